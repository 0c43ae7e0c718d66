/// The statistics of one window of floor buckets, recomputed when a bucket closes.
/// Times are seconds on the caller's clock; slopes are bytes per second.
struct FloorAnalysis: Sendable, Equatable {
    /// Theil–Sen line of the anon floor over the whole window.
    var fit: Statistics.TheilSen
    /// Mann–Kendall test of the anon floor over the whole window.
    var trend: Statistics.MannKendall
    /// Buckets merged per point for `fit` and `trend` (1, 2 or 4): the smallest scale that
    /// hides a sawtooth slower than one bucket.
    var scale: Int
    /// The floor at `scale`: the points `fit` and `trend` were computed on.
    var points: FloorPoints
    /// t-test of `fit`'s slope on `points`, with the AR(1) correction; nil when the points lie on
    /// a line.
    var slopeTest: Statistics.SlopeTest?
    /// Theil–Sen slope over the last third of the window (at least 6 points), at `scale`.
    var recentSlope: Double
    /// Standard error of `recentSlope` from the points' noise (`pointNoise`), bytes per second.
    var recentSlopeError: Double
    /// Level of the floor in each third of the window, oldest first: the median of the floors
    /// at `scale` in that third. Robust to a sawtooth (a third holds whole periods), noise and
    /// outliers; a step moves it only when it covers most of the third.
    var thirdFloors: [Double]
    /// Seconds per third.
    var thirdSeconds: Double
    /// Standard error of each of `thirdFloors`, bytes: the median of a third's points, with the
    /// points' spread taken from their successive differences (`pointNoise`), so that the
    /// curvature of a warm-up, which the thirds are there to see, does not count as noise.
    var thirdErrors: [Double]
    /// Largest fall of the floor (at `scale`) below an earlier value in the window, bytes: a
    /// leak's floor does not fall back; held uploads and caches that are released do.
    var drawdown: Double
    /// Robust spread of the floor around the trend line at `scale` (1.4826 × median absolute
    /// residual), bytes.
    var noise: Double
    /// Median floor, bytes.
    var medianFloor: Double
    /// Highest anon minus lowest floor over the window, bytes.
    var swing: Double
    /// How far anon usually climbs above the floor trend (90th percentile of bucket maxima above
    /// the line), bytes: the GC sawtooth and bursts a crash forecast must leave room for.
    var excursion: Double
    /// Theil–Sen line of the heapUsed floor over the buckets that have heap figures (at least
    /// `minBuckets` of them), nil otherwise.
    var heapFit: Statistics.TheilSen?
    /// Window slope now over window slope up to a window ago, scaled to one window (see
    /// `TrendTracker.slopeDecay`); nil when unknown. Well under 1: growth settling, as a warm-up does.
    var slopeDecay: Double?
    /// Number of buckets and seconds they cover.
    var bucketCount: Int
    var span: Double

    /// Rise of the floor from the first to the second third, and from the second to the last.
    var earlyRise: Double { thirdFloors[1] - thirdFloors[0] }
    var lateRise: Double { thirdFloors[2] - thirdFloors[1] }
    /// Standard error of the rise into third `k` (1 or 2) from the one before.
    func riseError(into k: Int) -> Double {
        (thirdErrors[k] * thirdErrors[k] + thirdErrors[k - 1] * thirdErrors[k - 1]).squareRoot()
    }
    /// Standard error of `lateRise − ratio × earlyRise`, the second rise's shortfall from `ratio`
    /// of the first: third 2 − (1 + ratio) × third 1 + ratio × third 0.
    func slowingError(ratio r: Double) -> Double {
        let e = thirdErrors
        return (e[2] * e[2] + (1 + r) * (1 + r) * e[1] * e[1] + r * r * e[0] * e[0]).squareRoot()
    }

    /// Nil with fewer than `policy.minBuckets` closed buckets.
    init?(_ floors: FloorWindow, policy: TrendPolicy) {
        let buckets = floors.closed
        let n = buckets.count
        guard n >= max(6, policy.minBuckets) else { return nil }
        let times = buckets.map { floors.centerTime(of: $0) }
        let anon = buckets.map(\.minAnon)
        guard let (fit, trend, scale, points) = Self.bestScale(times: times, buckets: buckets, policy: policy) else { return nil }
        self.fit = fit
        self.trend = trend
        self.scale = scale
        self.points = points
        slopeTest = Statistics.slopeTest(x: points.times, y: points.floors, line: fit)

        let pointNoise = Self.pointNoise(points.floors)
        (recentSlope, recentSlopeError) = Self.recentSlope(points, count: max(6, n / 3 / scale), noise: pointNoise, policy: policy)
        let thirds = Self.thirdLevels(points, times: times, floors: anon)
        thirdFloors = thirds.map(\.level)
        thirdSeconds = (times[n - 1] - times[0]) / 3
        // The median of m normal points has a standard error of √(π/2) σ/√m.
        thirdErrors = thirds.map { (Double.pi / 2).squareRoot() * pointNoise / Double(max(1, $0.count)).squareRoot() }
        // At the trend's scale: the floor the slope was measured on must not fall back much.
        var peak = -Double.infinity
        var fall = 0.0
        for value in points.floors {
            peak = max(peak, value)
            fall = max(fall, peak - value)
        }
        drawdown = fall
        let residuals = zip(points.times, points.floors).map { $1 - fit.value(at: $0) }
        noise = 1.4826 * (Statistics.median(residuals.map(abs)) ?? 0)
        medianFloor = Statistics.median(anon) ?? 0
        swing = (buckets.map(\.maxAnon).max() ?? 0) - (anon.min() ?? 0)
        let above = zip(times, buckets).map { $1.maxAnon - fit.value(at: $0) }.sorted()
        excursion = max(0, above[min(above.count - 1, Int(Double(above.count) * 0.9))])

        let heap = zip(times, buckets).compactMap { time, bucket in bucket.minHeap.map { (time, $0) } }
        heapFit = heap.count >= max(6, policy.minBuckets)
            ? Statistics.theilSen(x: heap.map(\.0), y: heap.map(\.1), z: policy.intervalZ)
            : nil
        bucketCount = n
        span = floors.closedSpan
    }

    /// The trend at the scale where it is clearest. A GC sawtooth slower than a bucket leaves the
    /// bucket minima scattered; merging 2 or 4 buckets (minimum of the minima) removes it at the
    /// cost of fewer points. Tries each scale that keeps `minBuckets` points, keeps the one with
    /// the largest Mann–Kendall z, and fits the line at that scale only (Theil–Sen costs far more
    /// than the test).
    static func bestScale(
        times: [Double], buckets: [FloorBucket], policy: TrendPolicy
    ) -> (Statistics.TheilSen, Statistics.MannKendall, Int, FloorPoints)? {
        var best: (trend: Statistics.MannKendall, scale: Int, points: FloorPoints)?
        for scale in [1, 2, 4] where scale == 1 || buckets.count / scale >= max(6, policy.minBuckets) {
            let points = FloorPoints(times: times, buckets: buckets, scale: scale)
            guard let trend = Statistics.mannKendall(points.floors) else { continue }
            if best == nil || trend.z > best!.trend.z { best = (trend, scale, points) }
        }
        guard let best, let fit = Statistics.theilSen(x: best.points.times, y: best.points.floors, z: policy.intervalZ)
        else { return nil }
        return (fit, best.trend, best.scale, best.points)
    }

    /// Theil–Sen slope of the newest `count` points (the last third of the window), and its
    /// standard error for points of σ `noise` (least squares' σ/√Σ(t − t̄)², which Theil–Sen's
    /// nears on normal noise).
    static func recentSlope(_ points: FloorPoints, count: Int, noise: Double, policy: TrendPolicy) -> (slope: Double, error: Double) {
        let x = Array(points.times.suffix(count))
        let y = Array(points.floors.suffix(count))
        let slope = Statistics.theilSen(x: x, y: y, z: policy.intervalZ)?.slope ?? 0
        let spread = Statistics.squaredDeviations(x)
        return (slope, spread > 0 ? noise / spread.squareRoot() : 0)
    }

    /// Median of the `points` in each third of the window, oldest first, and how many points it
    /// is the median of. The thirds divide the span of the bucket `times`; a third without points
    /// takes the bucket floor at its start (a count of 1).
    static func thirdLevels(_ points: FloorPoints, times: [Double], floors: [Double]) -> [(level: Double, count: Int)] {
        let n = floors.count
        let start = times[0]
        let third = (times[n - 1] - start) / 3
        return (0..<3).map { k in
            let lower = start + Double(k) * third
            let upper = k == 2 ? Double.infinity : lower + third
            let values = zip(points.times, points.floors).filter { $0.0 >= lower && $0.0 < upper }.map(\.1)
            guard let level = Statistics.median(values) else { return (floors[min(n - 1, k * n / 3)], 1) }
            return (level, values.count)
        }
    }

    /// Robust standard deviation of one point about a smooth level, from successive differences:
    /// 1.4826 × their median absolute deviation, over √2 (a difference holds two points' noise).
    /// A trend or a slow curve moves the differences' median, not their spread.
    static func pointNoise(_ floors: [Double]) -> Double {
        let steps = zip(floors.dropFirst(), floors).map { $0 - $1 }
        guard let center = Statistics.median(steps), let mad = Statistics.median(steps.map { abs($0 - center) })
        else { return 0 }
        return 1.4826 * mad / 2.0.squareRoot()
    }
}

/// A floor series with buckets merged by a scale: each group of `scale` buckets gives one point,
/// its mean time and the floor of its samples (`FloorEstimate`). Groups are aligned to the newest
/// bucket, so the latest points are always complete. Oldest first; times in seconds, floors in
/// bytes.
struct FloorPoints: Sendable, Equatable {
    var times: [Double]
    var floors: [Double]

    init(times bucketTimes: [Double], buckets: [FloorBucket], scale: Int) {
        var times: [Double] = []
        var floors: [Double] = []
        var end = buckets.count
        while end - scale >= 0 {
            let group = (end - scale)..<end
            times.append(bucketTimes[group].reduce(0, +) / Double(scale))
            floors.append(FloorEstimate.floor(of: buckets[group]))
            end -= scale
        }
        self.times = times.reversed()
        self.floors = floors.reversed()
    }

    /// The closed buckets of `window`, one point each.
    init(_ window: FloorWindow) {
        times = window.closed.map { window.centerTime(of: $0) }
        floors = window.closed.map(\.floor)
    }
}
