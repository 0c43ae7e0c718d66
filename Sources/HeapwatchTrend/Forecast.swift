/// When the floor trend reaches the limit. Memory limits (cgroup, memory.high, rss_max) are
/// compared with the anon floor trend plus its usual excursion above the floor (the sawtooth: the
/// kernel kills at a peak, not at a floor) plus the non-anonymous resident memory (RSS − anon,
/// roughly constant). The V8 heap limit is compared with the heapUsed floor when heap figures
/// are known.
struct Forecast: Sendable, Equatable {
    var effectiveLimit: Double?
    /// Seconds from now; 0 when already past; nil when the trend does not reach a limit.
    var eta: Double?
    /// Earliest (upper slope) and latest (lower slope; nil if not positive) crossing.
    var etaLower: Double?
    var etaUpper: Double?

    init(analysis: FloorAnalysis, sample: TrendSample, limits: MemoryLimits, now: Double, z: Double) {
        struct Candidate { var gap: Double; var fit: Statistics.TheilSen }
        var candidates: [Candidate] = []
        var smallest: Double?
        let nonAnon = max(0, sample.rssBytes - sample.anonBytes)
        let peakNow = analysis.fit.value(at: now) + analysis.excursion
        for limit in [limits.cgroupBytes, limits.cgroupHighBytes, limits.rssMaxBytes].compactMap({ $0 }) where limit > 0 {
            candidates.append(Candidate(gap: limit - nonAnon - peakNow, fit: analysis.fit))
            smallest = min(smallest ?? limit, limit)
        }
        if let v8 = limits.v8HeapLimitBytes, v8 > 0, sample.heapUsedBytes != nil, let heapFit = analysis.heapFit {
            candidates.append(Candidate(gap: v8 - heapFit.value(at: now), fit: heapFit))
            smallest = min(smallest ?? v8, v8)
        }
        effectiveLimit = smallest

        func time(_ gap: Double, _ slope: Double) -> Double? {
            if gap <= 0 { return 0 }
            return slope > 0 ? gap / slope : nil
        }
        func earliest(_ values: [Double?]) -> Double? { values.compactMap { $0 }.min() }
        eta = earliest(candidates.map { time($0.gap, $0.fit.slope) })
        etaLower = earliest(candidates.map { time($0.gap, $0.fit.slopeUpper) })
        etaUpper = earliest(candidates.map { time($0.gap, $0.fit.slopeLower) })
    }
}
