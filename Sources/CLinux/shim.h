#ifndef HEAPWATCH_CLINUX_SHIM_H
#define HEAPWATCH_CLINUX_SHIM_H
// Linux calls Swift cannot reach directly: `syscall` is variadic, and glibc 2.36 has no pidfd wrappers
// in every header set. Each returns -1 with errno set on failure, like the kernel call.
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>
#include <signal.h>

static inline int heapwatch_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

static inline int heapwatch_pidfd_send_signal(int pidfd, int sig) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, (void *)0, 0);
}

static inline pid_t heapwatch_gettid(void) {
    return (pid_t)syscall(SYS_gettid);
}

/// struct ucred needs _GNU_SOURCE, which would clash with other modules' view of the headers.
typedef struct { pid_t pid; uid_t uid; gid_t gid; } heapwatch_ucred;

/// SO_PEERCRED of a connected unix socket.
static inline int heapwatch_peer_credentials(int fd, pid_t *pid, uid_t *uid, gid_t *gid) {
    heapwatch_ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -1;
    *pid = cred.pid;
    *uid = cred.uid;
    *gid = cred.gid;
    return 0;
}
#endif
