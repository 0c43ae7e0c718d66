#ifndef HEAPWATCH_CCRYPTO_SHIM_H
#define HEAPWATCH_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#endif
