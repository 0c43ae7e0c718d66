#ifndef HEAPWATCH_CZLIB_SHIM_H
#define HEAPWATCH_CZLIB_SHIM_H
#include <zlib.h>
#endif
