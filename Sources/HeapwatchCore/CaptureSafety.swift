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

    /// Node writes its own snapshots (`--heapsnapshot-near-heap-limit`) when its heap is at its limit
    /// (`heapLimitBytes`, old space). Writing one may need `factor` × that heap: over its cgroup's
    /// limit, the kernel most likely kills it mid-write (FIELD-NOTES: a cut-off file, no evidence).
    /// Nil when that fits, or there is no cgroup limit.
    public static func nearHeapLimitRisk(heapLimitBytes: UInt64, cgroupLimit: UInt64?, factor: Double) -> String? {
        guard let limit = cgroupLimit else { return nil }
        let need = UInt64(Double(heapLimitBytes) * factor)
        guard need > limit else { return nil }
        return "node writes them when its heap is at its limit (\(Units.formatBytes(heapLimitBytes))), and a snapshot may need "
            + "\(Units.formatBytes(need)) (\(formatFactor(factor))× that heap), over its cgroup limit \(Units.formatBytes(limit)): "
            + "the kernel will most likely kill it while it writes one, leaving a cut-off file. heapwatchd's own captures "
            + "before the limit (capture_before) are the evidence to count on; node's own would have room with a heap limit "
            + "(--max-old-space-size) under \(Units.formatBytes(UInt64(Double(limit) / factor)))"
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
