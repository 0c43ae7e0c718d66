/// Pure checks made before heapwatch asks a process for a heap snapshot. Each returns nil when
/// the capture may go ahead, or the reason it may not, worded for the person reading the log.
public enum CaptureSafety {
    /// SIGUSR2 kills a Node process that has no handler for it, so both must hold: node was told to
    /// snapshot on SIGUSR2 (a caught SIGUSR2 alone may be the app's or nodemon's own use), and the
    /// handler is installed now (it is not until JS pre-execution has run).
    public static func signalRefusal(status: ProcStatus, flags: NodeFlags) -> String? {
        if !flags.snapshotsOnSIGUSR2 {
            return "not started with --heapsnapshot-signal=SIGUSR2 (command line or NODE_OPTIONS); "
                + "SIGUSR2 would kill it, so no signal was sent (use capture = \"inspector\" or \"auto\", which work on any Node process, or start node with the flag)"
        }
        if !status.catchesSIGUSR2 {
            return "SIGUSR2 handler not installed yet (SigCgt=\(String(status.caughtSignals, radix: 16))); no signal was sent"
        }
        return nil
    }

    /// A snapshot can take 8–10× the heap while V8 serialises it. Refuse unless the host and the
    /// process's cgroup both have `factor` × the heap free (`anonBytes`: heapUsed when known, else RssAnon).
    /// - Parameters: all sizes in bytes; `cgroupLimit`/`cgroupUsage` nil when there is no limit.
    public static func memoryRefusal(anonBytes: UInt64, memAvailable: UInt64?, cgroupLimit: UInt64?, cgroupUsage: UInt64?, factor: Double) -> String? {
        let need = UInt64(Double(anonBytes) * factor)
        if let memAvailable, memAvailable < need {
            return "host has \(Units.formatBytes(memAvailable)) available, a snapshot may need \(Units.formatBytes(need)) "
                + "(\(formatFactor(factor))× its \(Units.formatBytes(anonBytes)) heap)"
        }
        if let limit = cgroupLimit {
            let headroom = limit > (cgroupUsage ?? 0) ? limit - (cgroupUsage ?? 0) : 0
            if headroom < need {
                return "cgroup headroom is \(Units.formatBytes(headroom)) (limit \(Units.formatBytes(limit))), a snapshot may need "
                    + "\(Units.formatBytes(need)) (\(formatFactor(factor))× its \(Units.formatBytes(anonBytes)) heap); "
                    + "capturing could get it OOM-killed"
            }
        }
        return nil
    }

    /// The store's filesystem must hold twice the expected file (files run about 1.5× the heap).
    public static func diskRefusal(heapBytes: UInt64, freeBytes: UInt64, storeDirectory: String) -> String? {
        let expected = heapBytes + heapBytes / 2
        let need = expected * 2
        guard freeBytes < need else { return nil }
        return "\(storeDirectory) has \(Units.formatBytes(freeBytes)) free, a snapshot of a \(Units.formatBytes(heapBytes)) heap needs "
            + "about \(Units.formatBytes(need)) (twice the expected \(Units.formatBytes(expected)) file)"
    }

    private static func formatFactor(_ factor: Double) -> String {
        factor == factor.rounded() ? String(Int(factor)) : String(factor)
    }
}
