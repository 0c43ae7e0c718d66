import CSystemd
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Tells the service manager about the daemon's state (`READY=1`, `STATUS=…`, `WATCHDOG=1`, …).
public protocol Notifier: Sendable {
    func notify(_ state: String)
}

/// `sd_notify` through libsystemd: a no-op without `NOTIFY_SOCKET`.
///
/// `sd_notify` blocks when the receiver's queue is full, so messages are sent from a serial queue
/// of their own and the sampling loop never waits on the service manager; a `STATUS=` line not yet
/// sent is replaced by a newer one rather than queued behind it.
public final class SystemdNotifier: Notifier, @unchecked Sendable {
    private let queue = DispatchQueue(label: "heapwatch.sd_notify")
    private let lock = NSLock()
    /// The newest STATUS waiting to be sent; guarded by `lock`.
    private var pendingStatus: String?

    public init() {}

    public func notify(_ state: String) {
        if state.hasPrefix("STATUS=") && !state.contains("\n") {
            let alreadyQueued = lock.withLock { () -> Bool in
                defer { pendingStatus = state }
                return pendingStatus != nil
            }
            if alreadyQueued { return }
            queue.async { [self] in
                guard let status = lock.withLock({ () -> String? in defer { pendingStatus = nil }; return pendingStatus }) else { return }
                _ = sd_notify(0, status)
            }
        } else {
            queue.async { _ = sd_notify(0, state) }
        }
    }

    /// Waits until everything queued so far has been handed to the service manager.
    public func flush() {
        queue.sync {}
    }

    /// `WATCHDOG_USEC` as a duration when systemd asked for watchdog pings, else nil.
    public static func watchdogInterval() -> Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }
}

/// `RELOADING=1` wants the monotonic clock with it (systemd ≥ 253 checks it for notify-reload).
func monotonicMicroseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
}
