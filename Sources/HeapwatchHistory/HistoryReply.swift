/// One point of a target's memory over time. A raw sample has `count == 1` and its min, max and
/// value equal; a 1-minute rollup or a downsampled bucket summarises `count` samples: `rssBytes`
/// `anonBytes` and `swapBytes` are their means, the `…Min`/`…Max` fields their extremes.
public struct HistoryPoint: Codable, Sendable, Equatable {
    /// Unix seconds, UTC (for a summary, the mean of its samples' times).
    public var time: Double
    public var pid: Int32?
    public var rssBytes: UInt64
    public var anonBytes: UInt64
    public var rssMin: UInt64
    public var rssMax: UInt64
    public var anonMin: UInt64
    public var anonMax: UInt64
    /// `VmSwap`: anonymous memory moved out to swap (0 on a host without swap, and in history
    /// recorded before heapwatch kept it).
    public var swapBytes: UInt64 = 0
    public var swapMin: UInt64 = 0
    public var swapMax: UInt64 = 0
    public var count: Int

    public init(time: Double, pid: Int32? = nil, rssBytes: UInt64, anonBytes: UInt64, swapBytes: UInt64 = 0) {
        self.init(time: time, pid: pid, rssBytes: rssBytes, anonBytes: anonBytes,
                  rssMin: rssBytes, rssMax: rssBytes, anonMin: anonBytes, anonMax: anonBytes, count: 1)
        (self.swapBytes, swapMin, swapMax) = (swapBytes, swapBytes, swapBytes)
    }

    public init(time: Double, pid: Int32?, rssBytes: UInt64, anonBytes: UInt64, rssMin: UInt64, rssMax: UInt64,
                anonMin: UInt64, anonMax: UInt64, count: Int) {
        self.time = time
        self.pid = pid
        self.rssBytes = rssBytes
        self.anonBytes = anonBytes
        self.rssMin = rssMin
        self.rssMax = rssMax
        self.anonMin = anonMin
        self.anonMax = anonMax
        self.count = count
    }

    /// The anonymous memory held, in RAM and swap: what the trend follows and the chart draws.
    /// (A summary's bounds: the extremes of anon and swap need not fall on one sample.)
    var heldMin: UInt64 { anonMin + swapMin }
    var heldMax: UInt64 { anonMax + swapMax }

    enum CodingKeys: String, CodingKey {
        case time, pid, count
        case rssBytes = "rss_bytes", anonBytes = "anon_bytes", swapBytes = "swap_bytes"
        case rssMin = "rss_min_bytes", rssMax = "rss_max_bytes", anonMin = "anon_min_bytes", anonMax = "anon_max_bytes"
        case swapMin = "swap_min_bytes", swapMax = "swap_max_bytes"
    }

    /// JSON: `{"time", "rss_bytes", "anon_bytes", "swap_bytes", "pid"}`, plus `count` and the six
    /// `…_min_bytes` / `…_max_bytes` fields only for a summary of several samples.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        time = try HistoryTime.decode(c, .time)
        pid = try c.decodeIfPresent(Int32.self, forKey: .pid)
        rssBytes = try c.decode(UInt64.self, forKey: .rssBytes)
        anonBytes = try c.decode(UInt64.self, forKey: .anonBytes)
        rssMin = try c.decodeIfPresent(UInt64.self, forKey: .rssMin) ?? rssBytes
        rssMax = try c.decodeIfPresent(UInt64.self, forKey: .rssMax) ?? rssBytes
        anonMin = try c.decodeIfPresent(UInt64.self, forKey: .anonMin) ?? anonBytes
        anonMax = try c.decodeIfPresent(UInt64.self, forKey: .anonMax) ?? anonBytes
        swapBytes = try c.decodeIfPresent(UInt64.self, forKey: .swapBytes) ?? 0
        swapMin = try c.decodeIfPresent(UInt64.self, forKey: .swapMin) ?? swapBytes
        swapMax = try c.decodeIfPresent(UInt64.self, forKey: .swapMax) ?? swapBytes
        count = try c.decodeIfPresent(Int.self, forKey: .count) ?? 1
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(HistoryTime.iso8601(time), forKey: .time)
        try c.encodeIfPresent(pid, forKey: .pid)
        try c.encode(rssBytes, forKey: .rssBytes)
        try c.encode(anonBytes, forKey: .anonBytes)
        try c.encode(swapBytes, forKey: .swapBytes)
        guard count > 1 else { return }
        try c.encode(count, forKey: .count)
        try c.encode(rssMin, forKey: .rssMin)
        try c.encode(rssMax, forKey: .rssMax)
        try c.encode(anonMin, forKey: .anonMin)
        try c.encode(anonMax, forKey: .anonMax)
        try c.encode(swapMin, forKey: .swapMin)
        try c.encode(swapMax, forKey: .swapMax)
    }
}

/// A straight line through the anonymous-memory floor, as the detector estimated it:
/// `bytes(t) = interceptBytes + slopeBytesPerHour × (t − interceptTime) / 3600`.
public struct HistoryTrend: Codable, Sendable, Equatable {
    public var slopeBytesPerHour: Double
    public var interceptBytes: Double
    /// Unix seconds at which the line is worth `interceptBytes`.
    public var interceptTime: Double
    /// Unix seconds where the samples the line was fitted on begin (the window): before that the
    /// line says nothing, and the chart does not draw it there. Nil when unknown.
    public var startTime: Double?
    /// The process the line is fitted to, when the daemon said.
    public var pid: Int32?

    public init(slopeBytesPerHour: Double, interceptBytes: Double, interceptTime: Double, startTime: Double? = nil, pid: Int32? = nil) {
        self.slopeBytesPerHour = slopeBytesPerHour
        self.interceptBytes = interceptBytes
        self.interceptTime = interceptTime
        self.startTime = startTime
        self.pid = pid
    }

    public func bytes(at time: Double) -> Double {
        interceptBytes + slopeBytesPerHour * (time - interceptTime) / 3600
    }

    enum CodingKeys: String, CodingKey {
        case slopeBytesPerHour = "slope_bytes_per_hour", interceptBytes = "intercept_bytes", interceptTime = "intercept_time"
        case startTime = "start_time", pid
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        slopeBytesPerHour = try c.decode(Double.self, forKey: .slopeBytesPerHour)
        interceptBytes = try c.decode(Double.self, forKey: .interceptBytes)
        interceptTime = try HistoryTime.decode(c, .interceptTime)
        startTime = c.contains(.startTime) ? try HistoryTime.decode(c, .startTime) : nil
        pid = try c.decodeIfPresent(Int32.self, forKey: .pid)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(slopeBytesPerHour, forKey: .slopeBytesPerHour)
        try c.encode(interceptBytes, forKey: .interceptBytes)
        try c.encode(HistoryTime.iso8601(interceptTime), forKey: .interceptTime)
        if let startTime { try c.encode(HistoryTime.iso8601(startTime), forKey: .startTime) }
        try c.encodeIfPresent(pid, forKey: .pid)
    }
}

/// The answer to `history`: JSON `{"target", "samples": [...], "events": [...]}`, plus
/// `limit_bytes` and `trend` when the daemon knows them (the chart draws both).
public struct HistoryReply: Codable, Sendable, Equatable {
    public var target: String
    public var samples: [HistoryPoint]
    public var events: [HistoryEvent]
    public var limitBytes: UInt64?
    public var trend: HistoryTrend?

    public init(target: String, samples: [HistoryPoint], events: [HistoryEvent], limitBytes: UInt64? = nil,
                trend: HistoryTrend? = nil) {
        self.target = target
        self.samples = samples
        self.events = events
        self.limitBytes = limitBytes
        self.trend = trend
    }

    enum CodingKeys: String, CodingKey {
        case target, samples, events, trend
        case limitBytes = "limit_bytes"
    }
}

/// The `history` reply as it goes over the control socket: the reply's fields plus `"ok": true`,
/// as every reply there carries. `heapwatchctl` decodes it as a `HistoryReply` (unknown keys ignored).
public struct HistoryOKReply: Encodable, Sendable {
    public var reply: HistoryReply

    public init(_ reply: HistoryReply) { self.reply = reply }

    private enum CodingKeys: String, CodingKey { case ok }

    public func encode(to encoder: any Encoder) throws {
        try reply.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(true, forKey: .ok)
    }
}
