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
#include <sys/resource.h>
#include <stdlib.h>
#include <fcntl.h>

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

/// An analysis worker (started by heapwatchd with HEAPWATCH_ANALYSIS_WORKER=1 in its environment)
/// takes the lowest CPU priority and puts itself first in line for the OOM killer. Nice values are
/// per thread on Linux and a new thread copies its creator's, so this too runs before main, while
/// there is one thread. Raising oom_score_adj needs no privilege. Returns whether it applied.
__attribute__((constructor)) static inline int heapwatch_analysis_worker_setup(void) {
    if (getenv("HEAPWATCH_ANALYSIS_WORKER") == NULL) return 0;
    (void)setpriority(PRIO_PROCESS, 0, 19);
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)write(fd, "1000", 4);
        close(fd);
    }
    return 1;
}
#endif
