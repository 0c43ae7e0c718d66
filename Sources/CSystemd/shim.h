#ifndef HEAPWATCH_CSYSTEMD_SHIM_H
#define HEAPWATCH_CSYSTEMD_SHIM_H
// sd_journal_send/sd_journal_print are C variadics Swift cannot call: use sd_journal_sendv.
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/uio.h>
#endif
