import CSystemd
#if canImport(Glibc)
import Glibc
#endif

/// Tells the service manager about the daemon's state (`READY=1`, `STATUS=…`, `WATCHDOG=1`, …).
public protocol Notifier: Sendable {
    func notify(_ state: String)
}

/// `sd_notify` through libsystemd: a no-op without `NOTIFY_SOCKET`.
public struct SystemdNotifier: Notifier {
    public init() {}

    public func notify(_ state: String) {
        _ = sd_notify(0, state)
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
