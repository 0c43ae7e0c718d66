/// One watched process's reading at one tick, as the daemon recorded it.
public struct HistorySample: Sendable, Equatable {
    /// The `sample.capturing` column: bit 0 `capturing`, bit 1 `captureEndedUntouched` (files
    /// written before bit 1 existed hold 0 or 1).
    static func captureFlags(capturing: Bool, endedUntouched: Bool) -> Int64 { (capturing ? 1 : 0) | (endedUntouched ? 2 : 0) }
    static func captureFlags(_ column: Int64) -> (capturing: Bool, endedUntouched: Bool) { (column & 1 != 0, column & 2 != 0) }

    public var target: String
    public var pid: Int32
    /// Field 22 of `/proc/PID/stat`, clock ticks since boot: with `pid` it names the instance.
    public var startTime: UInt64
    public var rssBytes: UInt64
    public var anonBytes: UInt64
    /// V8's `heapUsed`, bytes, when the daemon knows it.
    public var heapUsedBytes: UInt64?
    /// The effective limit (cgroup, `rss_max`, V8 heap), bytes, when there is one.
    public var limitBytes: UInt64?
    /// The detector's state name, e.g. `ok`, `leaking`.
    public var state: String
    public var slopeBytesPerHour: Double?
    /// `VmSwap`, bytes: anonymous memory moved out to swap.
    public var swapBytes: UInt64
    /// A capture of the process was under way: the trend left the sample out.
    public var capturing: Bool
    /// A capture of the process ended since the last sample without reaching it (refused before a
    /// signal or request was sent): it left no step to measure.
    public var captureEndedUntouched: Bool

    public init(target: String, pid: Int32, startTime: UInt64, rssBytes: UInt64, anonBytes: UInt64,
                heapUsedBytes: UInt64? = nil, limitBytes: UInt64? = nil, state: String,
                slopeBytesPerHour: Double? = nil, swapBytes: UInt64 = 0, capturing: Bool = false,
                captureEndedUntouched: Bool = false) {
        self.swapBytes = swapBytes
        self.capturing = capturing
        self.captureEndedUntouched = captureEndedUntouched
        self.target = target
        self.pid = pid
        self.startTime = startTime
        self.rssBytes = rssBytes
        self.anonBytes = anonBytes
        self.heapUsedBytes = heapUsedBytes
        self.limitBytes = limitBytes
        self.state = state
        self.slopeBytesPerHour = slopeBytesPerHour
    }
}

/// Something that happened to a target (or to the daemon, when `target` is nil).
public struct HistoryEvent: Codable, Sendable, Equatable {
    /// Unix seconds, UTC. Encoded as ISO 8601 (`2026-11-25T01:22:33Z`, milliseconds when not whole).
    public var time: Double
    public var target: String?
    public var pid: Int32?
    public var kind: Kind
    public var message: String
    /// Small structured facts (snapshot path, reason, bytes), stored as a JSON object of strings.
    public var details: [String: String]?

    public init(time: Double, target: String?, pid: Int32? = nil, kind: Kind, message: String,
                details: [String: String]? = nil) {
        self.time = time
        self.target = target
        self.pid = pid
        self.kind = kind
        self.message = message
        self.details = details
    }

    /// An event kind. Open-ended: a kind this build does not know round-trips unchanged.
    public struct Kind: RawRepresentable, Codable, Sendable, Hashable, ExpressibleByStringLiteral {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }
        public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }

        public static let stateChange: Kind = "state_change"
        public static let leakDetected: Kind = "leak_detected"
        public static let overLimit: Kind = "over_limit"
        /// A snapshot stored. The daemon's event hub calls it `snapshot_captured`; both mark the chart.
        public static let capture: Kind = "capture"
        public static let snapshotCaptured: Kind = "snapshot_captured"
        public static let captureRefused: Kind = "capture_refused"
        public static let captureFailed: Kind = "capture_failed"
        public static let configRejected: Kind = "config_rejected"
        public static let processStarted: Kind = "process_started"
        public static let processExited: Kind = "process_exited"

        /// A watched process died of memory (OOM kill or V8 heap limit).
        public static let outOfMemory: Kind = "out_of_memory"

        /// Kinds drawn as `^` on the chart's time axis.
        public var isCapture: Bool { self == .capture || self == .snapshotCaptured }
    }

    enum CodingKeys: String, CodingKey { case time, target, pid, kind, message, details }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        time = try HistoryTime.decode(container, .time)
        target = try container.decodeIfPresent(String.self, forKey: .target)
        pid = try container.decodeIfPresent(Int32.self, forKey: .pid)
        kind = try container.decode(Kind.self, forKey: .kind)
        message = try container.decode(String.self, forKey: .message)
        details = try container.decodeIfPresent([String: String].self, forKey: .details)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(HistoryTime.iso8601(time), forKey: .time)
        try container.encodeIfPresent(target, forKey: .target)
        try container.encodeIfPresent(pid, forKey: .pid)
        try container.encode(kind, forKey: .kind)
        try container.encode(message, forKey: .message)
        try container.encodeIfPresent(details, forKey: .details)
    }
}
