#ifndef HEAPWATCH_CLINUX_SHIM_H
#define HEAPWATCH_CLINUX_SHIM_H
// Linux calls Swift cannot reach directly: `syscall` is variadic, and glibc 2.36 has no pidfd wrappers
// in every header set. Each returns -1 with errno set on failure, like the kernel call.
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>
#include <signal.h>
#include <sys/prctl.h>

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
/// Empties the ambient capability set. The process keeps its permitted and effective capabilities;
/// programs it runs (exec sinks) no longer inherit them. Capabilities are per thread and a new
/// thread copies its creator's, so this runs as a constructor, before main, while there is one
/// thread (the runtime has started several by the time Swift code runs). Clang emits it, and so
/// registers the constructor, once Swift code refers to it.
__attribute__((constructor)) static inline void heapwatch_clear_ambient_capabilities(void) {
    (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0L, 0L, 0L);
}
#endif
