/// Incremental, bounded-memory tracker for ONE process instance (pid + start time). A new
/// instance gets a new tracker. Pure and clock-free: time comes with the samples.
///
/// The signal is the floor: the per-bucket minimum of `RssAnon` (a bucket is a few ticks), which
/// removes the GC sawtooth. Over the window, Theil–Sen gives the slope and Mann–Kendall its
/// significance; the recent part of the window must still grow and the floor must have risen, so
/// a warm-up that has plateaued, a step and a slow sawtooth are not leaks.
public struct TrendTracker: Sendable {
    public let policy: TrendPolicy
    private var floors: FloorWindow
    private var firstTime: Double?
    private var lastTime: Double?
    private var analysis: FloorAnalysis?
    public private(set) var assessment: TrendAssessment = .warmingUp

    public init(policy: TrendPolicy) {
        self.policy = policy
        floors = FloorWindow(
            window: policy.window,
            maxBuckets: policy.maxBuckets,
            minTicksPerBucket: policy.minTicksPerBucket
        )
    }

    /// Takes one sample and returns the new assessment. A sample not later than the previous one
    /// only refreshes the over-limit check.
    @discardableResult
    public mutating func record(_ sample: TrendSample, limits: MemoryLimits) -> TrendAssessment {
        if let lastTime, sample.time <= lastTime {
            assessment = assess(sample, limits: limits, now: lastTime)
            return assessment
        }
        if firstTime == nil { firstTime = sample.time }
        lastTime = sample.time
        if floors.add(sample) {
            analysis = FloorAnalysis(floors, policy: policy)
        }
        assessment = assess(sample, limits: limits, now: sample.time)
        return assessment
    }

    /// Items held in memory (buckets and pending samples): stays bounded however long it runs.
    public var storedItemCount: Int { floors.storedCount }

    private func assess(_ sample: TrendSample, limits: MemoryLimits, now: Double) -> TrendAssessment {
        let overLimit = Self.isOverLimit(rss: sample.rssBytes, limits: limits, fraction: policy.overLimitFraction)
        guard let analysis else {
            return TrendAssessment(state: overLimit ? .overLimit : .warmingUp)
        }
        let forecast = Forecast(analysis: analysis, sample: sample, limits: limits, now: now, z: policy.intervalZ)
        let observed = now - (firstTime ?? now)
        let fullWindow = observed >= policy.window
            && analysis.bucketCount >= max(policy.minBuckets, floors.closed.count / 2)
            && analysis.span >= policy.window / 2
        let state: TrendState
        if overLimit {
            state = .overLimit
        } else if !fullWindow {
            state = .warmingUp
        } else {
            state = Self.classify(analysis, forecast: forecast, policy: policy)
        }
        let perHour = 3600.0
        let showsForecast = state == .growing || state == .leaking || state == .overLimit
        return TrendAssessment(
            state: state,
            slopeBytesPerHour: analysis.fit.slope * perHour,
            slopeLowerBytesPerHour: analysis.fit.slopeLower * perHour,
            slopeUpperBytesPerHour: analysis.fit.slopeUpper * perHour,
            recentSlopeBytesPerHour: analysis.recentSlope * perHour,
            confidence: analysis.trend.upwardConfidence,
            floorBytes: analysis.fit.value(at: now),
            effectiveLimitBytes: forecast.effectiveLimit,
            etaSeconds: showsForecast ? forecast.eta : nil,
            etaLowerSeconds: showsForecast ? forecast.etaLower : nil,
            etaUpperSeconds: showsForecast ? forecast.etaUpper : nil,
            spanSeconds: analysis.span
        )
    }

    static func isOverLimit(rss: Double, limits: MemoryLimits, fraction: Double) -> Bool {
        if let rssMax = limits.rssMaxBytes, rssMax > 0, rss > rssMax { return true }
        if let cgroup = limits.cgroupBytes, cgroup > 0, rss > fraction * cgroup { return true }
        return false
    }
}
