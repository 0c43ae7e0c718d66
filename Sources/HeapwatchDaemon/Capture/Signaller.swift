import CLinux
import HeapwatchCore
#if canImport(Glibc)
import Glibc
#endif

/// Sends a signal to one process instance, never to whatever else now has its pid.
public protocol Signaller: Sendable {
    func send(_ signal: Int32, to identity: ProcessIdentity) throws(SystemError)
}

/// Opens a pidfd, then checks the start time: if `/proc/PID/stat` still shows our start time after
/// the pidfd was opened, the pidfd is our process (a pid cannot go back to an older process), and a
/// signal through it can reach no other, even if the process exits in between.
public struct PidfdSignaller: Signaller {
    public let procFS: ProcFS

    public init(procFS: ProcFS) { self.procFS = procFS }

    public func send(_ signal: Int32, to identity: ProcessIdentity) throws(SystemError) {
        let pidfd = heapwatch_pidfd_open(identity.pid)
        guard pidfd >= 0 else { throw SystemError("pidfd_open", path: "pid \(identity.pid)", errno: errno) }
        defer { close(pidfd) }
        let stat = try procFS.stat(identity.pid)
        guard stat.startTime == identity.startTime else {
            throw SystemError("pid \(identity.pid) was reused; not signalling", path: "pid \(identity.pid)", errno: ESRCH)
        }
        guard heapwatch_pidfd_send_signal(pidfd, signal) == 0 else {
            throw SystemError("pidfd_send_signal", path: "pid \(identity.pid)", errno: errno)
        }
    }
}
