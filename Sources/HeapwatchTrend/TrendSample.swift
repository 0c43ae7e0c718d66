/// One reading of one process instance, as the daemon samples it each tick.
public struct TrendSample: Sendable, Equatable {
    /// Seconds on a monotonic clock. Samples must come in increasing time; older ones are ignored.
    public var time: Double
    /// `RssAnon`, bytes: the anonymous resident memory, where a JS heap leak shows.
    public var anonBytes: Double
    /// `VmRSS`, bytes.
    public var rssBytes: Double
    /// V8 `heapUsed`, bytes, when known (inspector or an app endpoint); nil otherwise.
    public var heapUsedBytes: Double?
    /// `VmSwap`, bytes: anonymous memory the kernel moved out to swap. 0 on a host without swap.
    public var swapBytes: Double

    public init(time: Double, anonBytes: Double, rssBytes: Double, heapUsedBytes: Double? = nil, swapBytes: Double = 0) {
        self.time = time
        self.anonBytes = anonBytes
        self.rssBytes = rssBytes
        self.heapUsedBytes = heapUsedBytes
        self.swapBytes = swapBytes
    }

    /// The anonymous memory the process holds, in RAM or in swap: the signal the trend follows.
    /// Under memory pressure the kernel moves a leak's cold pages out, so `RssAnon` alone can stay
    /// flat, or fall, while the process grows towards its end.
    public var heldAnonBytes: Double { anonBytes + swapBytes }
}

/// The limits a process can die on, all in bytes; nil when there is none.
public struct MemoryLimits: Sendable, Equatable {
    /// cgroup v2 `memory.max` or v1 `memory.limit_in_bytes`: the OOM killer's line.
    public var cgroupBytes: Double?
    /// cgroup v2 `memory.high`: reclaim and throttling start here.
    public var cgroupHighBytes: Double?
    /// The target's configured `rss_max`.
    public var rssMaxBytes: Double?
    /// V8's heap limit (`--max-old-space-size` or V8's default); compared with `heapUsedBytes`.
    public var v8HeapLimitBytes: Double?
    /// How large the process can grow before the host runs out of memory: its RSS and swap plus
    /// the host's `MemAvailable`. It holds when no other limit does (a service without
    /// `MemoryMax`), and it stays put as the process grows, since each byte it takes comes out of
    /// MemAvailable (and each byte swapped out goes back in). Free swap is not counted: a heap
    /// that has to live in swap is already down.
    public var hostBytes: Double?

    public init(
        cgroupBytes: Double? = nil,
        cgroupHighBytes: Double? = nil,
        rssMaxBytes: Double? = nil,
        v8HeapLimitBytes: Double? = nil,
        hostBytes: Double? = nil
    ) {
        self.cgroupBytes = cgroupBytes
        self.cgroupHighBytes = cgroupHighBytes
        self.rssMaxBytes = rssMaxBytes
        self.v8HeapLimitBytes = v8HeapLimitBytes
        self.hostBytes = hostBytes
    }

    public static let none = MemoryLimits()
}
