/// What the detector and the capture planner need from a target's configuration, plus tuning
/// knobs with defaults chosen on the `heapwatch-bench-detect` corpus.
public struct TrendPolicy: Sendable, Equatable {
    /// Seconds of history the trend is judged on; `leaking` needs a full window of data, so the
    /// window is the floor of the detection latency. Default 15 min (the detection target is
    /// 20 min); with 30 min leaks are found after about 30 min.
    public var window: Double
    /// Floor growth above which the process is `leaking`, bytes per hour.
    public var growthMax: Double
    /// Seconds of floor history (in coarser buckets) the forecast may draw its slope from.
    public var forecastWindow: Double
    /// Capture a `near_limit` snapshot once the forecast crash is closer than this, seconds.
    public var captureBefore: Double
    /// Minimum seconds between two captures of one process instance.
    public var cooldown: Double

    /// At most this many buckets in a window (Theil–Sen and Mann–Kendall are O(buckets²)).
    public var maxBuckets: Int
    /// A bucket spans at least this many sample intervals, so its minimum is a post-GC floor.
    public var minTicksPerBucket: Int
    /// Fewest closed buckets a trend is computed from.
    public var minBuckets: Int
    /// One-sided Mann–Kendall p-value below which an upward trend is significant.
    public var significance: Double
    /// `leaking` may also take an upward trend as significant when the Theil–Sen slope's t-test
    /// (`Statistics.slopeTest`) is under `significance` and Mann–Kendall, which saturates on the
    /// few points of a window at a coarse scale, is at least under this.
    public var corroboratingSignificance: Double
    /// Two-sided normal score of the slope interval and the ETA bounds (1.96 = 95 %).
    public var intervalZ: Double
    /// `leaking` needs the floor level (median) of each third of the window to rise over the
    /// previous third's by at least this × `growthMax` × a third of the window (a sawtooth's
    /// floor, a plateau's and a step's do not keep rising).
    public var floorRiseRatio: Double
    /// `growing`/`leaking` need the rise into the middle third ≥ this × the rise into the last
    /// third: a step looks like a sudden rise after a flat stretch.
    public var accelerationRatio: Double
    /// Not `leaking` while the window slope, scaled to one window, falls below this fraction of
    /// what it was up to a window ago: growth that settles is a warm-up.
    public var settlingRatio: Double
    /// `leaking` needs the floor's largest fall in the window ≤ `drawdownRatio` × its rise (first
    /// to last third) + `drawdownNoise` × its spread around the trend.
    public var drawdownRatio: Double
    public var drawdownNoise: Double
    /// `leaking` needs the lower end of the slope interval ≥ this × `growthMax`.
    public var lowerSlopeRatio: Double
    /// `leaking` needs the Theil–Sen slope of the last third of the window ≥ this × `growthMax`
    /// and ≥ this × half the window's slope.
    public var recentSlopeRatio: Double
    /// `growing`/`leaking` need the rise into the last third ≥ this × the rise into the middle
    /// third: growth that slows down this much is a warm-up settling.
    public var decelerationRatio: Double
    /// `leaking`'s tests of the thirds — each third's rise at pace, the slowing from one rise to
    /// the next (`decelerationRatio`) — fail only by more than this many standard errors of the
    /// thirds' levels, from the noise of the window's points (`FloorAnalysis.pointNoise`). On 15
    /// one-minute floors under σ 4 MiB a third's median carries about 40 % of a 30 MiB/h third's
    /// rise as noise: taken at face value, the thirds failed a leak at most bucket closes.
    public var shapeNoise: Double
    /// The same for the last third's slope (`recentSlopeRatio`), in its standard errors. Half a
    /// standard error: with one, the startup growth of the recorded fixed Node app, slowing as a
    /// warm-up does, passed as a leak.
    public var recentSlopeNoise: Double
    /// `growing` needs a slope ≥ this × `growthMax`, or a forecast crash within `captureBefore`.
    public var growingMinRatio: Double
    /// `over_limit` when RSS plus swap exceeds this fraction of the cgroup limit.
    public var overLimitFraction: Double
    /// Once over the limit, RSS plus swap must fall this fraction below the line to leave `over_limit`…
    public var overLimitHysteresis: Double
    /// …and stay there this long, seconds: a low sample in noise, or the troughs of a sawtooth
    /// whose peaks cross the line, do not end it.
    public var overLimitClear: Double
    /// `leaking` and `growing` start only when this many of the last 4 bucket closes pass their
    /// tests (for `leaking`, or one does with a trend ten times as significant): over hours of
    /// bucket closes, one window of noise on a flat process passes them now and then (`--seeds`
    /// in `heapwatch-bench-detect`), and each entry is an alert or a baseline snapshot.
    public var entryConfirmations: Int
    /// One-sided Mann–Kendall p-value under which a `leaking`/`growing` process keeps its state.
    public var holdSignificance: Double
    /// `leaking` (and `growing`) ends only after the window has failed to hold it for this
    /// fraction of a window without a break: under noise or a sawtooth the window's tests pass and
    /// fail from one bucket to the next, and each new entry into `leaking` is another `leak
    /// detected` alert, each change a journald line and a sink event.
    public var holdRatio: Double
    /// The forecast's range spans at least this fraction under the forecast and the same factor
    /// over it (0.2: from 0.8 × to 1.25 ×).
    public var etaSpread: Double
    /// `bursty` when the window's swing (highest RSS-side anon minus lowest floor) exceeds this
    /// fraction of the median floor and `burstyMinBytes`.
    public var burstyFraction: Double
    public var burstyMinBytes: Double
    /// A change of regime (see `Regime`) is accepted when its F statistic exceeds this and it
    /// changes the slope by more than `regimeSlopeChange` (a fraction of the slope before).
    public var regimeF: Double
    public var regimeSlopeChange: Double
    /// A window steeper than a history a quarter longer that grows slower than growth_max is a
    /// leak only when that history's current regime starts with a change whose F statistic
    /// exceeds this (see `TrendTracker.historyDoubtsTheWindow`).
    public var regimeEntryF: Double
    /// Seconds of calm (`ok`/`bursty`) after which a leak episode is over and a new one may start.
    public var recovery: Double
    /// Seconds after a failed or refused capture before the planner asks again.
    public var retryDelay: Double
    /// Least seconds between two automatic captures when the forecast crash would come before the
    /// cooldown ends (`CapturePlanner.crashOutrunsCooldown`).
    public var minCaptureGap: Double

    public init(
        window: Double = 900,
        growthMax: Double = 20 * 1_048_576,
        captureBefore: Double = 1800,
        forecastWindow: Double = 7200,
        cooldown: Double = 3600,
        maxBuckets: Int = 120,
        minTicksPerBucket: Int = 3,
        minBuckets: Int = 12,
        significance: Double = 0.001,
        corroboratingSignificance: Double = 0.01,
        intervalZ: Double = 1.96,
        floorRiseRatio: Double = 0.5,
        decelerationRatio: Double = 0.4,
        shapeNoise: Double = 1,
        recentSlopeNoise: Double = 0.5,
        accelerationRatio: Double = 0.2,
        settlingRatio: Double = 0.5,
        drawdownRatio: Double = 0.5,
        drawdownNoise: Double = 4,
        lowerSlopeRatio: Double = 0.5,
        recentSlopeRatio: Double = 0.5,
        growingMinRatio: Double = 0.25,
        overLimitFraction: Double = 0.9,
        overLimitHysteresis: Double = 0.02,
        overLimitClear: Double = 300,
        entryConfirmations: Int = 2,
        holdSignificance: Double = 0.02,
        holdRatio: Double = 0.5,
        etaSpread: Double = 0.2,
        burstyFraction: Double = 0.25,
        burstyMinBytes: Double = 32 * 1_048_576,
        regimeF: Double = 12,
        regimeSlopeChange: Double = 0.25,
        regimeEntryF: Double = 24,
        recovery: Double = 7200,
        retryDelay: Double = 300,
        minCaptureGap: Double = 120
    ) {
        self.window = window
        self.growthMax = growthMax
        self.captureBefore = captureBefore
        self.forecastWindow = forecastWindow
        self.cooldown = cooldown
        self.maxBuckets = maxBuckets
        self.minTicksPerBucket = minTicksPerBucket
        self.minBuckets = minBuckets
        self.significance = significance
        self.corroboratingSignificance = corroboratingSignificance
        self.intervalZ = intervalZ
        self.floorRiseRatio = floorRiseRatio
        self.decelerationRatio = decelerationRatio
        self.shapeNoise = shapeNoise
        self.recentSlopeNoise = recentSlopeNoise
        self.accelerationRatio = accelerationRatio
        self.settlingRatio = settlingRatio
        self.drawdownRatio = drawdownRatio
        self.drawdownNoise = drawdownNoise
        self.lowerSlopeRatio = lowerSlopeRatio
        self.recentSlopeRatio = recentSlopeRatio
        self.growingMinRatio = growingMinRatio
        self.overLimitFraction = overLimitFraction
        self.overLimitHysteresis = overLimitHysteresis
        self.overLimitClear = overLimitClear
        self.entryConfirmations = entryConfirmations
        self.holdSignificance = holdSignificance
        self.holdRatio = holdRatio
        self.etaSpread = etaSpread
        self.burstyFraction = burstyFraction
        self.burstyMinBytes = burstyMinBytes
        self.regimeF = regimeF
        self.regimeSlopeChange = regimeSlopeChange
        self.regimeEntryF = regimeEntryF
        self.recovery = recovery
        self.retryDelay = retryDelay
        self.minCaptureGap = minCaptureGap
    }
}
