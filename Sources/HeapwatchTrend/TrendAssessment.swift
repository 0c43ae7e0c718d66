/// How a process instance's memory is doing.
public enum TrendState: String, Sendable, Codable, CaseIterable {
    /// Less than a full window of data: too early to call.
    case warmingUp = "warming_up"
    /// No significant upward trend of the floor (or it has plateaued).
    case ok
    /// Large swings, no trend.
    case bursty
    /// A significant, persistent upward trend below `growthMax`.
    case growing
    /// A significant, persistent upward trend above `growthMax` over a full window.
    case leaking
    /// RSS plus swap above `rss_max` or above 90 % of the cgroup limit.
    case overLimit = "over_limit"
}

/// The detector's verdict after a sample. Rates are bytes per hour, times are seconds.
public struct TrendAssessment: Sendable, Equatable {
    public var state: TrendState
    /// Theil–Sen slope of the floor over the window.
    public var slopeBytesPerHour: Double?
    /// Sen's confidence interval of that slope.
    public var slopeLowerBytesPerHour: Double?
    public var slopeUpperBytesPerHour: Double?
    /// Theil–Sen slope of the floor over the recent part of the window.
    public var recentSlopeBytesPerHour: Double?
    /// Confidence in an upward trend, 0...1 (Mann–Kendall: 1 − two-sided p when rising, else 0).
    public var confidence: Double
    /// The floor trend's value now, bytes of `RssAnon`.
    public var floorBytes: Double?
    /// The smallest limit that applies (cgroup, memory.high, rss_max, V8 heap limit).
    public var effectiveLimitBytes: Double?
    /// Seconds until the floor trend crosses the limit; nil when it never does at this slope.
    public var etaSeconds: Double?
    /// The limit `etaSeconds` is about: the first one the trend reaches.
    public var etaLimit: ForecastLimit?
    /// ETA at the upper end of the slope interval (earliest) and at its lower end (latest; nil
    /// when the lower slope is not positive).
    public var etaLowerSeconds: Double?
    public var etaUpperSeconds: Double?
    /// Seconds of data behind the trend (≤ window).
    public var spanSeconds: Double
    /// Memory heapwatch's own snapshots left the process holding (the steps spliced out of the
    /// trend; negative when a snapshot's full GC freed more than it left), bytes.
    public var captureResidueBytes: Double = 0
    /// A capture runs or what it left is still being measured: the trend is the one from before it.
    public var trendPaused = false

    public init(
        state: TrendState,
        slopeBytesPerHour: Double? = nil,
        slopeLowerBytesPerHour: Double? = nil,
        slopeUpperBytesPerHour: Double? = nil,
        recentSlopeBytesPerHour: Double? = nil,
        confidence: Double = 0,
        floorBytes: Double? = nil,
        effectiveLimitBytes: Double? = nil,
        etaSeconds: Double? = nil,
        etaLowerSeconds: Double? = nil,
        etaUpperSeconds: Double? = nil,
        etaLimit: ForecastLimit? = nil,
        spanSeconds: Double = 0
    ) {
        self.state = state
        self.slopeBytesPerHour = slopeBytesPerHour
        self.slopeLowerBytesPerHour = slopeLowerBytesPerHour
        self.slopeUpperBytesPerHour = slopeUpperBytesPerHour
        self.recentSlopeBytesPerHour = recentSlopeBytesPerHour
        self.confidence = confidence
        self.floorBytes = floorBytes
        self.effectiveLimitBytes = effectiveLimitBytes
        self.etaSeconds = etaSeconds
        self.etaLowerSeconds = etaLowerSeconds
        self.etaUpperSeconds = etaUpperSeconds
        self.etaLimit = etaLimit
        self.spanSeconds = spanSeconds
    }

    public static let warmingUp = TrendAssessment(state: .warmingUp)

    /// A crash forecast within `seconds` (a target's `capture_before`): the planner's `near_limit`
    /// capture, and heapwatchd's warning when a process turns `growing` that close to its limit
    /// (a slow leak at its limit, or a process that would die before its first window is judged).
    public func forecastsCrash(within seconds: Double) -> Bool {
        (etaSeconds ?? .infinity) < seconds
    }
}
