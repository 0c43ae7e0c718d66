/// The kernel's OOM-kill counters as heapwatchd read them: `oom_kill` in the process's memory
/// cgroup (v1 `memory.oom_control`, v2 `memory.events`) and in `/proc/vmstat` (every OOM kill on
/// the host, a cgroup's included). Nil where the counter could not be read.
public struct OOMKillCounts: Sendable, Equatable {
    public var cgroup: UInt64?
    public var host: UInt64?

    public init(cgroup: UInt64? = nil, host: UInt64? = nil) {
        self.cgroup = cgroup
        self.host = host
    }
}

/// How a watched process most likely ended, told from the outside: heapwatchd is not its parent
/// and never sees its exit status. The evidence is the OOM-kill counters, read at its last sample
/// and again once it was gone, and what was known of its V8 heap.
public enum ProcessEnd: Sendable, Equatable {
    /// The kernel's OOM killer killed a process between its last sample and its exit: in its
    /// cgroup (`inCgroup`), or on the host when its cgroup's counter could not be read both times
    /// (the cgroup of a stopped systemd unit is removed with it).
    case oomKilled(inCgroup: Bool, before: UInt64, after: UInt64)
    /// Most likely V8's `FATAL ERROR: Reached heap limit` (node aborts): its heap was at
    /// `heapFraction` (≥ `heapLimitFraction`) of its limit at the last reading, or node had begun `ownSnapshots` snapshots
    /// near its heap limit shortly before (`--heapsnapshot-near-heap-limit`).
    case heapLimit(heapFraction: Double?, ownSnapshots: Int)
    /// Nothing says it was memory: a deploy, a crash, a clean exit.
    case unknown

    /// A heap this full at the last reading counts as having died of its limit.
    public static let heapLimitFraction = 0.9
    /// Node's own near-limit snapshots this recent (seconds) count as dying of the heap limit: node
    /// raises its limit for each and most often dies of it within a minute.
    public static let ownSnapshotHorizon = 600.0

    public static func judge(before: OOMKillCounts, after: OOMKillCounts, heapUsedBytes: UInt64?, heapLimitBytes: UInt64?,
                             recentOwnSnapshots: Int) -> ProcessEnd {
        if let earlier = before.cgroup, let later = after.cgroup {
            if later > earlier { return .oomKilled(inCgroup: true, before: earlier, after: later) }
            // Its cgroup's counter stood still: a kill elsewhere on the host was another process's.
        } else if let earlier = before.host, let later = after.host, later > earlier {
            return .oomKilled(inCgroup: false, before: earlier, after: later)
        }
        var full: Double?
        if let used = heapUsedBytes, let limit = heapLimitBytes, limit > 0, Double(used) >= heapLimitFraction * Double(limit) {
            full = Double(used) / Double(limit)
        }
        guard full != nil || recentOwnSnapshots > 0 else { return .unknown }
        return .heapLimit(heapFraction: full, ownSnapshots: recentOwnSnapshots)
    }

    /// `cause` of the `out_of_memory` event and the journal's `HEAPWATCH_CAUSE`; nil for `unknown`.
    public var cause: String? {
        switch self {
        case .oomKilled: "oom_kill"
        case .heapLimit: "heap_limit"
        case .unknown: nil
        }
    }

    /// What happened, after `api pid 42 `: `was killed by the kernel's OOM killer (…)`.
    public var sentence: String {
        switch self {
        case .oomKilled(true, let before, let after):
            "was killed by the kernel's OOM killer (oom_kill of its cgroup \(before) → \(after))"
        case .oomKilled(false, let before, let after):
            "is gone, and the kernel's OOM killer killed a process meanwhile (oom_kill in /proc/vmstat \(before) → \(after)): most likely it"
        case .heapLimit(let fraction, let own):
            "died, most likely of its V8 heap limit (node aborts with 'FATAL ERROR: Reached heap limit'): "
                + [fraction.map { "its heap was at \(Int(($0 * 100).rounded())) % of its limit at the last reading" },
                   own > 0 ? "node had begun \(own) snapshot\(own == 1 ? "" : "s") near its heap limit (--heapsnapshot-near-heap-limit)" : nil]
                .compactMap { $0 }.joined(separator: ", and ")
        case .unknown:
            "exited"
        }
    }
}
