import HeapwatchCore
import HeapwatchTrend

/// A process instance being watched, with its latest figures and its trend.
struct WatchedProcess {
    let identity: ProcessIdentity
    let targetIndex: Int
    let directory: ProcessDirectory
    let arguments: [String]
    let flags: NodeFlags
    var cgroup: CgroupMembership
    var status = ProcStatus()
    /// Its cgroup's limits (`limitBytes`, `highBytes`; usage is not read while sampling).
    var cgroupLimits = CgroupMemory()
    var tracker: TrendTracker
    var planner: CapturePlanner
    var assessment = TrendAssessment(state: .warmingUp)
    /// The limits the latest sample was judged against (`limits(target:now:memAvailable:memTotal:)`).
    var judgedLimits = MemoryLimits.none
    /// The capture of this instance queued or running (its job's `token`), nil when none is.
    var capture: Int?
    var capturing: Bool { capture != nil }
    /// A capture began since the last history sample was taken: that sample counts as captured
    /// even when the capture ended before it was (`Monitor.historySamples`).
    var captureBegunSinceRecorded = false
    /// A capture ended without reaching the process since the history last recorded it.
    var captureEndedUntouchedSinceRecorded = false
    /// What an earlier run of the daemon recorded of this instance, replayed into the trend at its
    /// first sample (`TrendTracker.resume`); nil once replayed or when there was nothing.
    var recorded: [RecordedTrendSample]?

    /// `job` is queued for this instance at `time`: the trend leaves its aftermath out.
    mutating func beginCapture(_ job: CaptureJob, at time: Double) { beginCapture(token: job.token, at: time) }

    /// A capture with this token (see `CaptureJob.token`) is queued or running for this instance.
    mutating func beginCapture(token: Int, at time: Double) {
        capture = token
        captureBegunSinceRecorded = true
        tracker.captureStarted(at: time)
    }
    /// V8's figures from the target's heap source, and when they were taken (monitor seconds).
    var heap: HeapFigures?
    var heapFetchedAt: Double?
    /// Why the last heap reading failed (nil after a success).
    var heapFailure: String?
    /// How the last capture ended, for `status`.
    var lastCapture: String?
    /// The top finding of the latest analysis of its snapshots, for `status`.
    var finding: String?
    /// Where node writes the snapshots it takes on its own (`--heapsnapshot-near-heap-limit`).
    var ownSnapshots: OwnSnapshotWatch?
    /// When node began each of those (monitor seconds).
    var ownSnapshotsBegun: [Double] = []
    /// The OOM-kill counters as they stood when it was last seen alive (`ProcessEnd`).
    var oomKills = OOMKillCounts()

    /// Heap figures count as current for two minutes.
    func currentHeap(now: Double) -> HeapFigures? {
        guard let heap, let at = heapFetchedAt, now - at < 120 else { return nil }
        return heap
    }

    /// The smallest limit that applies: the cgroup's, `rss_max`, or nil.
    func limitBytes(target: TargetConfig) -> UInt64? {
        [cgroupLimits.limitBytes, target.rssMax].compactMap { $0 }.min()
    }

    /// The V8 heap limit: measured when a heap source gave it, else `--max-old-space-size`, else
    /// V8's default for the memory Node sizes it from (the cgroup's limit, or `memTotal`). The
    /// host's: this process's RSS and swap plus the host's MemAvailable (nil when /proc/meminfo was
    /// not read), since the trend it is compared with counts swap.
    func limits(target: TargetConfig, now: Double, memAvailable: UInt64?, memTotal: UInt64?) -> MemoryLimits {
        let sizedFrom = [cgroupLimits.limitBytes, memTotal].compactMap { $0 }.min()
        var limits = Self.memoryLimits(cgroup: cgroupLimits, rssMax: target.rssMax, heapLimit: currentHeap(now: now)?.heapLimit,
                                       maxOldSpaceSizeMiB: flags.maxOldSpaceSizeMiB,
                                       defaultOldSpaceBytes: sizedFrom.map { V8Defaults.oldSpaceBytes(memoryBytes: $0) })
        limits.hostBytes = memAvailable.map { Double(status.rssBytes) + Double(status.swapBytes) + Double($0) }
        return limits
    }

    /// Byte counts as the detector's doubles. (Beware `.map(Double.init)` on a `UInt64?`: it picks
    /// `Double(bitPattern:)`.)
    static func memoryLimits(cgroup: CgroupMemory, rssMax: UInt64?, heapLimit: UInt64?, maxOldSpaceSizeMiB: Int?,
                             defaultOldSpaceBytes: UInt64? = nil) -> MemoryLimits {
        MemoryLimits(
            cgroupBytes: cgroup.limitBytes.map { Double($0) },
            cgroupHighBytes: cgroup.highBytes.map { Double($0) },
            rssMaxBytes: rssMax.map { Double($0) },
            v8HeapLimitBytes: heapLimit.map { Double($0) } ?? maxOldSpaceSizeMiB.map { Double($0) * 1024 * 1024 }
                ?? defaultOldSpaceBytes.map { Double($0) }
        )
    }
}

/// Everything a capture needs, taken from the monitor at the moment it was decided.
public struct CaptureJob: Sendable {
    public var identity: ProcessIdentity
    public var target: String
    public var method: CaptureMethod
    public var flags: NodeFlags
    public var directory: ProcessDirectory
    public var cgroup: CgroupMembership
    /// `baseline`, `follow_up`, `near_limit`, `over_limit` or `manual`.
    public var reason: String
    public var rssBytes: UInt64
    public var anonBytes: UInt64
    public var slopeBytesPerHour: Double?
    /// V8's heapUsed, when a heap source gave it.
    public var heapUsedBytes: UInt64?
    public var headroomFactor: Double
    /// Automatic captures go through the planner; a failed one frees its slot sooner.
    public var automatic: Bool
    /// Tells this capture from a later one of the same pid (after a reload re-watched the process).
    public var token = 0
}
