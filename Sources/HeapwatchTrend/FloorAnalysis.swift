/// The statistics of one window of floor buckets, recomputed when a bucket closes.
/// Times are seconds on the caller's clock; slopes are bytes per second.
struct FloorAnalysis: Sendable, Equatable {
    /// Theil–Sen line of the anon floor over the whole window.
    var fit: Statistics.TheilSen
    /// Mann–Kendall test of the anon floor over the whole window.
    var trend: Statistics.MannKendall
    /// Theil–Sen slope over the recent part of the window.
    var recentSlope: Double
    /// Lowest floor of the recent part minus lowest floor of the first part, bytes.
    var floorRise: Double
    /// Seconds between the centres of the first and the recent part.
    var partDistance: Double
    /// Median floor, bytes.
    var medianFloor: Double
    /// Highest anon minus lowest floor over the window, bytes.
    var swing: Double
    /// Theil–Sen line of the heapUsed floor, when every bucket of the window has one.
    var heapFit: Statistics.TheilSen?
    /// Number of buckets and seconds they cover.
    var bucketCount: Int
    var span: Double

    /// Nil with fewer than `policy.minBuckets` closed buckets.
    init?(_ floors: FloorWindow, policy: TrendPolicy) {
        let buckets = floors.closed
        let n = buckets.count
        guard n >= max(4, policy.minBuckets) else { return nil }
        let times = buckets.map { floors.centerTime(of: $0) }
        let anon = buckets.map(\.minAnon)
        guard let fit = Statistics.theilSen(x: times, y: anon, z: policy.intervalZ),
              let trend = Statistics.mannKendall(anon)
        else { return nil }
        self.fit = fit
        self.trend = trend

        let partCount = min(n, max(4, Int((Double(n) * policy.recentFraction).rounded())))
        let recentTimes = Array(times.suffix(partCount))
        let recentAnon = Array(anon.suffix(partCount))
        recentSlope = Statistics.theilSen(x: recentTimes, y: recentAnon, z: policy.intervalZ)?.slope ?? 0
        floorRise = (recentAnon.min() ?? 0) - (anon.prefix(partCount).min() ?? 0)
        partDistance = (Statistics.median(recentTimes) ?? 0) - (Statistics.median(Array(times.prefix(partCount))) ?? 0)
        medianFloor = Statistics.median(anon) ?? 0
        swing = (buckets.map(\.maxAnon).max() ?? 0) - (anon.min() ?? 0)

        let heap = buckets.compactMap(\.minHeap)
        heapFit = heap.count == n ? Statistics.theilSen(x: times, y: heap, z: policy.intervalZ) : nil
        bucketCount = n
        span = floors.closedSpan
    }
}
