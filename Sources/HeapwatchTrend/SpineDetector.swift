/// The spine's detector: least-squares slope of anonymous memory over a window, and thresholds.
/// Issue 3 replaces it with a robust floor trend; the types are the contract the daemon uses.

public struct TrendSample: Sendable, Equatable {
    /// Seconds, monotonic.
    public var time: Double
    public var anonBytes: Double
    public var rssBytes: Double
    public var heapUsedBytes: Double?

    public init(time: Double, anonBytes: Double, rssBytes: Double, heapUsedBytes: Double? = nil) {
        self.time = time
        self.anonBytes = anonBytes
        self.rssBytes = rssBytes
        self.heapUsedBytes = heapUsedBytes
    }
}

public struct MemoryLimits: Sendable, Equatable {
    public var cgroupBytes: Double?
    public var cgroupHighBytes: Double?
    public var rssMaxBytes: Double?
    public var v8HeapLimitBytes: Double?

    public init(cgroupBytes: Double? = nil, cgroupHighBytes: Double? = nil, rssMaxBytes: Double? = nil, v8HeapLimitBytes: Double? = nil) {
        self.cgroupBytes = cgroupBytes
        self.cgroupHighBytes = cgroupHighBytes
        self.rssMaxBytes = rssMaxBytes
        self.v8HeapLimitBytes = v8HeapLimitBytes
    }
}

public struct TrendPolicy: Sendable, Equatable {
    /// Seconds of history the slope is fitted over.
    public var window: Double
    /// Bytes per hour above which growth is a leak.
    public var growthMax: Double
    /// Seconds: capture when the forecast crash is closer than this.
    public var captureBefore: Double
    /// Seconds between two captures of one process.
    public var cooldown: Double

    public init(window: Double, growthMax: Double, captureBefore: Double = 1800, cooldown: Double = 3600) {
        self.window = window
        self.growthMax = growthMax
        self.captureBefore = captureBefore
        self.cooldown = cooldown
    }
}

public enum TrendState: String, Sendable, Codable, CaseIterable {
    case warmingUp = "warming_up", ok, bursty, growing, leaking, overLimit = "over_limit"
}

public struct TrendAssessment: Sendable, Equatable {
    public var state: TrendState
    public var slopeBytesPerHour: Double?
    public var slopeLowerBytesPerHour: Double?
    public var slopeUpperBytesPerHour: Double?
    /// 0...1.
    public var confidence: Double
    public var floorBytes: Double?
    public var effectiveLimitBytes: Double?
    public var etaSeconds: Double?
    public var etaLowerSeconds: Double?
    public var etaUpperSeconds: Double?

    public init(state: TrendState, slopeBytesPerHour: Double? = nil, confidence: Double = 0, floorBytes: Double? = nil,
                effectiveLimitBytes: Double? = nil, etaSeconds: Double? = nil) {
        self.state = state
        self.slopeBytesPerHour = slopeBytesPerHour
        self.confidence = confidence
        self.floorBytes = floorBytes
        self.effectiveLimitBytes = effectiveLimitBytes
        self.etaSeconds = etaSeconds
    }
}

/// One process instance's samples over the window, and its current assessment.
public struct TrendTracker: Sendable {
    public let policy: TrendPolicy
    private var samples: [TrendSample] = []
    public private(set) var assessment = TrendAssessment(state: .warmingUp)

    public init(policy: TrendPolicy) { self.policy = policy }

    public mutating func record(_ sample: TrendSample, limits: MemoryLimits) -> TrendAssessment {
        samples.append(sample)
        let oldest = sample.time - policy.window
        // Keep one sample at or before the window's start so "a full window" can be told.
        while samples.count > 2, samples[1].time <= oldest { samples.removeFirst() }

        let limit = [limits.cgroupBytes, limits.cgroupHighBytes, limits.rssMaxBytes].compactMap { $0 }.min()
        let slope = Self.leastSquaresSlope(samples).map { $0 * 3600 }
        var result = TrendAssessment(state: .ok, slopeBytesPerHour: slope, floorBytes: sample.anonBytes, effectiveLimitBytes: limit)
        if let slope, slope > 0, let limit {
            result.etaSeconds = max(0, (limit - sample.rssBytes) / slope * 3600)
        }
        let fullWindow = samples.count >= 2 && sample.time - samples[0].time >= policy.window
        let overLimit = (limits.rssMaxBytes.map { sample.rssBytes > $0 } ?? false)
            || (limits.cgroupBytes.map { sample.rssBytes > 0.9 * $0 } ?? false)
        if overLimit {
            result.state = .overLimit
        } else if let slope, slope > policy.growthMax {
            result.state = fullWindow ? .leaking : .growing
        } else if !fullWindow {
            result.state = .warmingUp
        }
        result.confidence = fullWindow ? 1 : 0
        assessment = result
        return result
    }

    static func leastSquaresSlope(_ samples: [TrendSample]) -> Double? {
        guard samples.count >= 3 else { return nil }
        let n = Double(samples.count)
        let meanT = samples.reduce(0) { $0 + $1.time } / n
        let meanY = samples.reduce(0) { $0 + $1.anonBytes } / n
        var numerator = 0.0
        var denominator = 0.0
        for s in samples {
            numerator += (s.time - meanT) * (s.anonBytes - meanY)
            denominator += (s.time - meanT) * (s.time - meanT)
        }
        return denominator > 0 ? numerator / denominator : nil
    }
}

public enum CaptureReason: String, Sendable, Codable {
    case baseline, followUp = "follow_up", nearLimit = "near_limit", overLimit = "over_limit", manual
}

/// When to capture automatically: on entering `leaking` or `over_limit`, at most once per cooldown.
public struct CapturePlanner: Sendable {
    public let policy: TrendPolicy
    private var lastCapture: Double?
    private var lastState: TrendState?

    public init(policy: TrendPolicy) { self.policy = policy }

    public mutating func decide(_ assessment: TrendAssessment, now: Double) -> CaptureReason? {
        defer { lastState = assessment.state }
        guard assessment.state == .leaking || assessment.state == .overLimit else { return nil }
        if let lastCapture, now - lastCapture < policy.cooldown { return nil }
        lastCapture = now
        return assessment.state == .overLimit ? .overLimit : .baseline
    }

    /// A capture that did not happen frees its slot after a short pause rather than a full cooldown.
    public mutating func captureFailed(now: Double) {
        lastCapture = now - policy.cooldown + min(policy.cooldown, 60)
    }
}
