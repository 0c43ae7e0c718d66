import HeapwatchTrend

/// `status`: the daemon and one row per watched process (or per target with no process).
public struct StatusReply: Codable, Sendable, Equatable {
    public var ok = true
    public var version: String
    public var intervalSeconds: Double
    public var targets: [TargetStatus]

    public init(version: String, intervalSeconds: Double, targets: [TargetStatus]) {
        self.version = version
        self.intervalSeconds = intervalSeconds
        self.targets = targets
    }

    enum CodingKeys: String, CodingKey {
        case ok, version, targets
        case intervalSeconds = "interval_seconds"
    }
}

public struct TargetStatus: Codable, Sendable, Equatable {
    public var name: String
    public var pid: Int32?
    public var startTime: UInt64?
    public var rssBytes: UInt64?
    public var anonBytes: UInt64?
    /// `VmSwap`: anonymous memory the kernel moved out to swap. The trend follows anon and swap
    /// together; 0 on a host without swap, nil without a process.
    public var swapBytes: UInt64?
    /// The smallest memory limit that applies (cgroup, `rss_max`); nil when none.
    public var limitBytes: UInt64?
    public var slopeBytesPerHour: Double?
    /// The post-GC floor of anonymous memory the trend follows, now (memory left by heapwatch's
    /// own snapshots included); nil before the trend has one.
    public var floorBytes: Double?
    /// `ok`, `warming_up`, `bursty`, `growing`, `leaking`, `over_limit`, or `absent` when no process matches.
    public var state: String
    /// Snapshots stored of this process instance; of the whole target on an `absent` row.
    public var snapshots: Int
    /// Snapshots stored for the target: of this process, of others beside it, and of the
    /// instances before a restart (the evidence of a crash).
    public var targetSnapshots: Int?
    /// Seconds until the trend crosses the limit, when it does.
    public var etaSeconds: Double?
    /// The earliest and latest crossing: what the slope's 95 % interval allows, and at least 0.8×
    /// to 1.25× the forecast; the latest is nil when the interval's low end does not grow.
    public var etaLowerSeconds: Double?
    public var etaUpperSeconds: Double?
    /// The limit the forecast is about (the first one the trend reaches: `cgroup`, `cgroup_high`,
    /// `rss_max` or `v8_heap`) and its size; nil without a forecast.
    public var etaLimit: MemoryLimitKind?
    public var etaLimitBytes: UInt64?
    /// Memory heapwatch's own snapshots left the process holding, left out of the trend (negative
    /// when a snapshot's full GC freed more than it left); 0 before any capture, nil without a process.
    public var captureResidueBytes: Int64?
    /// True while a capture runs or what it left is being measured (up to a few minutes): the
    /// trend, slope and forecast are the ones from before the capture; nil without a process.
    public var trendPaused: Bool?
    /// True while the process owes the snapshot of a SIGUSR2 or HTTP capture that timed out (a busy event loop):
    /// heapwatchd stores it when node writes it and asks nothing more of the process until then;
    /// nil without a process.
    public var snapshotOwed: Bool?
    /// 0...1: how sure the trend test is that memory grows.
    public var confidence: Double?
    /// V8's heapUsed, when a heap source gives it.
    public var heapUsedBytes: UInt64?
    /// V8's heap limit: from the heap source, `--max-old-space-size`, or V8's default for the
    /// memory Node sized its heap from; the forecast compares it with heapUsed only.
    public var v8HeapLimitBytes: UInt64?
    /// How the last capture of this process ended: `stored …`, `refused: …`, `failed: …`.
    public var lastCapture: String?
    /// The top finding of the latest analysis of this process's snapshots (what grows), if any.
    public var finding: String?
    /// The automatic snapshot this process's leak episode waits for, and why it waits; nil when
    /// none is owed or nothing holds it back.
    public var nextCapture: NextCapture?
    /// The target's latest process that died of memory while this daemon ran (on every row of the
    /// target, absent ones too: the one after a restart is how on-call finds the crash).
    public var lastDeath: ProcessDeath?

    public init(name: String, pid: Int32? = nil, startTime: UInt64? = nil, rssBytes: UInt64? = nil, anonBytes: UInt64? = nil,
                limitBytes: UInt64? = nil, slopeBytesPerHour: Double? = nil, state: String, snapshots: Int,
                etaSeconds: Double? = nil, etaLowerSeconds: Double? = nil, etaUpperSeconds: Double? = nil,
                confidence: Double? = nil, heapUsedBytes: UInt64? = nil, lastCapture: String? = nil, finding: String? = nil,
                floorBytes: Double? = nil, etaLimit: MemoryLimitKind? = nil, etaLimitBytes: UInt64? = nil,
                captureResidueBytes: Int64? = nil, trendPaused: Bool? = nil, snapshotOwed: Bool? = nil,
                v8HeapLimitBytes: UInt64? = nil, swapBytes: UInt64? = nil) {
        self.name = name
        self.pid = pid
        self.startTime = startTime
        self.rssBytes = rssBytes
        self.anonBytes = anonBytes
        self.swapBytes = swapBytes
        self.limitBytes = limitBytes
        self.slopeBytesPerHour = slopeBytesPerHour
        self.floorBytes = floorBytes
        self.state = state
        self.snapshots = snapshots
        self.etaSeconds = etaSeconds
        self.etaLowerSeconds = etaLowerSeconds
        self.etaUpperSeconds = etaUpperSeconds
        self.etaLimit = etaLimit
        self.etaLimitBytes = etaLimitBytes
        self.captureResidueBytes = captureResidueBytes
        self.trendPaused = trendPaused
        self.snapshotOwed = snapshotOwed
        self.confidence = confidence
        self.heapUsedBytes = heapUsedBytes
        self.v8HeapLimitBytes = v8HeapLimitBytes
        self.lastCapture = lastCapture
        self.finding = finding
    }

    enum CodingKeys: String, CodingKey {
        case name, pid, state, snapshots, confidence, finding
        case heapUsedBytes = "heap_used_bytes", v8HeapLimitBytes = "v8_heap_limit_bytes", lastCapture = "last_capture"
        case startTime = "start_time", rssBytes = "rss_bytes", anonBytes = "anon_bytes", swapBytes = "swap_bytes", limitBytes = "limit_bytes"
        case slopeBytesPerHour = "slope_bytes_per_hour", floorBytes = "floor_bytes", etaSeconds = "eta_seconds"
        case etaLowerSeconds = "eta_lower_seconds", etaUpperSeconds = "eta_upper_seconds"
        case etaLimit = "eta_limit", etaLimitBytes = "eta_limit_bytes"
        case captureResidueBytes = "capture_residue_bytes", trendPaused = "trend_paused", snapshotOwed = "snapshot_owed"
        case nextCapture = "next_capture", targetSnapshots = "target_snapshots", lastDeath = "last_death"
    }

    /// Absent values are written as `null`, not left out: scripts can rely on every key.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(pid, forKey: .pid)
        try container.encode(startTime, forKey: .startTime)
        try container.encode(rssBytes, forKey: .rssBytes)
        try container.encode(anonBytes, forKey: .anonBytes)
        try container.encode(swapBytes, forKey: .swapBytes)
        try container.encode(limitBytes, forKey: .limitBytes)
        try container.encode(slopeBytesPerHour, forKey: .slopeBytesPerHour)
        try container.encode(floorBytes, forKey: .floorBytes)
        try container.encode(state, forKey: .state)
        try container.encode(snapshots, forKey: .snapshots)
        try container.encode(targetSnapshots, forKey: .targetSnapshots)
        try container.encode(etaSeconds, forKey: .etaSeconds)
        try container.encode(etaLowerSeconds, forKey: .etaLowerSeconds)
        try container.encode(etaUpperSeconds, forKey: .etaUpperSeconds)
        try container.encode(etaLimit, forKey: .etaLimit)
        try container.encode(etaLimitBytes, forKey: .etaLimitBytes)
        try container.encode(captureResidueBytes, forKey: .captureResidueBytes)
        try container.encode(trendPaused, forKey: .trendPaused)
        try container.encode(snapshotOwed, forKey: .snapshotOwed)
        try container.encode(confidence, forKey: .confidence)
        try container.encode(heapUsedBytes, forKey: .heapUsedBytes)
        try container.encode(v8HeapLimitBytes, forKey: .v8HeapLimitBytes)
        try container.encode(lastCapture, forKey: .lastCapture)
        try container.encode(finding, forKey: .finding)
        try container.encode(nextCapture, forKey: .nextCapture)
        try container.encode(lastDeath, forKey: .lastDeath)
    }

    /// The forecast with its range, for people: `in 3h5m (1h52m to 8h41m)`, `in 3h5m (1h52m or
    /// later)` when the interval's low end does not grow; nil without a forecast.
    public static func forecastText(eta: Double?, earliest: Double?, latest: Double?) -> String? {
        guard let eta else { return nil }
        let point = "in \(Units.formatDuration(eta))"
        guard let earliest, earliest < eta || (latest ?? .infinity) > eta else { return point }
        guard let latest else { return point + " (\(Units.formatDuration(earliest)) or later)" }
        return point + " (\(Units.formatDuration(earliest)) to \(Units.formatDuration(latest)))"
    }

    /// `api pid 41187` (`pid -` for a target with no process), the start of every line about it.
    public var processLabel: String { "\(name) pid \(pid.map(String.init) ?? "-")" }

    /// The SNAPSHOTS column: this process's count, and the target's when it holds more (`1 of 4`:
    /// others ran beside it or before a restart), so a row never claims another process's files.
    public var snapshotsColumn: String {
        guard let all = targetSnapshots, all != snapshots else { return String(snapshots) }
        return "\(snapshots) of \(all)"
    }

    /// `hits its V8 heap limit (4GiB) in 3h29m (2h37m or later)`, `fills the host's memory (23GiB)
    /// in 6h10m`; nil without a forecast. Without heap figures a forecast about another limit says
    /// that the V8 heap limit, which only heapUsed can be forecast to, may come first.
    public var forecastSentence: String? {
        let size = etaLimitBytes.map { " (\(Units.formatBytes($0)))" } ?? ""
        guard let when = Self.forecastText(eta: etaSeconds, earliest: etaLowerSeconds, latest: etaUpperSeconds) else { return nil }
        let what = etaLimit == .host ? "fills the host's memory\(size)" : "hits its \(etaLimit.map { $0.label + size } ?? "limit")"
        guard etaLimit != .v8Heap, heapUsedBytes == nil, let v8 = v8HeapLimitBytes, v8 < etaLimitBytes ?? .max else { return "\(what) \(when)" }
        return "\(what) \(when); its V8 heap limit (\(Units.formatBytes(v8))) may end it sooner (a heap_source would tell)"
    }

    /// What heapwatch's own captures did to this process, for people; nil when nothing to say.
    public var captureNote: String? {
        if snapshotOwed == true {
            return "owes the heap snapshot heapwatch asked for (its event loop was busy); heapwatch stores it when node writes it, "
                + "and asks nothing more of the process until then"
        }
        if trendPaused == true { return "trend paused while a heap snapshot is taken and what it leaves behind is measured" }
        let residue = captureResidueBytes ?? 0, mib: Int64 = 1 << 20
        if residue >= mib {
            return "\(Units.formatBytes(UInt64(residue))) of its memory is what heapwatch's heap snapshots left (not counted as growth)"
        }
        if residue <= -mib {
            return "its memory fell \(Units.formatBytes(UInt64(-residue))) at heapwatch's heap snapshots (not counted as a fall)"
        }
        return nil
    }

    /// The one-line summary systemd shows as STATUS: `3 processes; api 1.2GiB +40MiB/h leaking`
    /// (`api 300MiB+80MiB swap +40MiB/h leaking` when some is in swap: RSS alone would look flat).
    /// Troubled processes come first; at most `limit` are named.
    public static func summaryLine(_ rows: [TargetStatus], limit: Int = 3) -> String {
        let running = rows.filter { $0.pid != nil }
        let head = running.count == 1 ? "1 process" : "\(running.count) processes"
        guard !running.isEmpty else { return "watching; no matching process" }
        let severity: [String: Int] = ["over_limit": 0, "leaking": 1, "growing": 2, "bursty": 3, "warming_up": 4, "ok": 5]
        let ordered = running.sorted { (severity[$0.state] ?? 9, $0.name) < (severity[$1.state] ?? 9, $1.name) }
        let parts = ordered.prefix(limit).map { row -> String in
            var text = "\(row.name)"
            if running.filter({ $0.name == row.name }).count > 1, let pid = row.pid { text += "[\(pid)]" }
            text += " " + Units.formatBytes(row.rssBytes ?? 0)
            if let swap = row.swapBytes, swap > 0 { text += "+" + Units.formatBytes(swap) + " swap" }
            if let slope = row.slopeBytesPerHour {
                text += " " + (slope >= 0 ? "+" : "") + Units.formatBytes(slope) + "/h"
            }
            return text + " " + row.state
        }
        let more = running.count > limit ? "; +\(running.count - limit) more" : ""
        return head + "; " + parts.joined(separator: "; ") + more
    }
}

/// `snapshots [TARGET]`.
public struct SnapshotsReply: Codable, Sendable, Equatable {
    public var ok = true
    public var snapshots: [SnapshotEntry]

    public init(snapshots: [SnapshotEntry]) { self.snapshots = snapshots }
}

public struct SnapshotEntry: Codable, Sendable, Equatable {
    public var target: String
    public var pid: Int32
    public var path: String
    /// Bytes on disk.
    public var bytes: UInt64
    /// Bytes of the snapshot itself (larger than `bytes` when compressed).
    public var originalBytes: UInt64
    public var compressed: Bool
    /// UTC, ISO 8601.
    public var time: String
    public var reason: String
    public var method: String

    public init(target: String, pid: Int32, path: String, bytes: UInt64, originalBytes: UInt64, compressed: Bool,
                time: String, reason: String, method: String) {
        self.target = target
        self.pid = pid
        self.path = path
        self.bytes = bytes
        self.originalBytes = originalBytes
        self.compressed = compressed
        self.time = time
        self.reason = reason
        self.method = method
    }

    enum CodingKeys: String, CodingKey {
        case target, pid, path, bytes, compressed, time, reason, method
        case originalBytes = "original_bytes"
    }
}

/// `prune`: what retention deleted.
public struct PruneReply: Codable, Sendable, Equatable {
    public var ok = true
    public var deleted: [String]
    public var freedBytes: UInt64

    public init(deleted: [String], freedBytes: UInt64) {
        self.deleted = deleted
        self.freedBytes = freedBytes
    }

    enum CodingKeys: String, CodingKey {
        case ok, deleted
        case freedBytes = "freed_bytes"
    }
}

/// `snapshot`: `started` without `wait`; `stored` with the path when waited for.
public struct CaptureReply: Codable, Sendable, Equatable {
    public var ok = true
    public var status: String
    public var target: String
    public var pid: Int32
    public var path: String?

    public init(status: String, target: String, pid: Int32, path: String? = nil) {
        self.status = status
        self.target = target
        self.pid = pid
        self.path = path
    }
}

/// A watched process that died of memory (`ProcessEnd`), as `status` shows it.
public struct ProcessDeath: Codable, Sendable, Equatable {
    public var pid: Int32
    /// `oom_kill` or `heap_limit`.
    public var cause: String
    public var secondsAgo: Double
    /// What heapwatchd said of it then: how it died, what it last saw, where its snapshots are.
    public var message: String

    public init(pid: Int32, cause: String, secondsAgo: Double, message: String) {
        self.pid = pid
        self.cause = cause
        self.secondsAgo = secondsAgo
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case pid, cause, message
        case secondsAgo = "seconds_ago"
    }

    /// For people, after the target's name: `pid 42, 5m ago: was killed by …`.
    public var sentence: String { "pid \(pid), \(Units.formatDuration(secondsAgo.rounded())) ago: \(message)" }
}
