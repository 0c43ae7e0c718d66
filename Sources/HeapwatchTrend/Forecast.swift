/// The limits a forecast can be about.
public enum MemoryLimitKind: String, Sendable, Codable, CaseIterable {
    /// The cgroup's hard limit (`memory.max`, v1 `memory.limit_in_bytes`).
    case cgroup
    /// cgroup v2 `memory.high`.
    case cgroupHigh = "cgroup_high"
    /// The target's `rss_max`.
    case rssMax = "rss_max"
    /// V8's heap limit (`heap_size_limit`, or `--max-old-space-size`), against heapUsed.
    case v8Heap = "v8_heap"
    /// The host's memory: the process's RSS and swap plus MemAvailable.
    case host

    /// For people: `cgroup memory limit`, `V8 heap limit`.
    public var label: String {
        switch self {
        case .cgroup: "cgroup memory limit"
        case .cgroupHigh: "cgroup memory.high"
        case .rssMax: "rss_max"
        case .v8Heap: "V8 heap limit"
        case .host: "host memory"
        }
    }
}

/// The limit a forecast is about, and its size in bytes.
public struct ForecastLimit: Sendable, Equatable {
    public var kind: MemoryLimitKind
    public var bytes: Double
}

/// When the floor trend reaches the limit. Memory limits (cgroup, memory.high, rss_max, the host's) are
/// compared with the anon floor trend plus its usual excursion above the floor (the sawtooth: the
/// kernel kills at a peak, not at a floor) plus the non-anonymous resident memory (RSS − anon,
/// roughly constant). The V8 heap limit is compared with the heapUsed floor when heap figures
/// are known. (Not with the anon floor without them: on a real heap-limit crash, `make
/// bench-forecast`, the anon floor's forecast was 26-99 % early, then past the limit said nothing.)
/// The anon floor counts swapped-out anon too (`TrendSample.heldAnonBytes`), so with swap the
/// forecast is of when the process has grown to the limit, in RAM and swap together: a cgroup
/// that reaches `memory.max` with swap left swaps the heap out instead of being killed, and a
/// Node heap in swap stalls on every full GC, which marks the whole heap — the end of the
/// service as surely as the kill, and the point a warning is for.
struct Forecast: Sendable, Equatable {
    /// A line through `level` at `now` with a slope interval; bytes and bytes per second.
    struct Line: Sendable, Equatable {
        var level: Double
        var slope: Double
        var slopeLower: Double
        var slopeUpper: Double

        init(level: Double, slope: Double, slopeLower: Double, slopeUpper: Double) {
            self.level = level
            self.slope = slope
            self.slopeLower = slopeLower
            self.slopeUpper = slopeUpper
        }

        init(_ fit: Statistics.TheilSen, at now: Double) {
            self.init(level: fit.value(at: now), slope: fit.slope, slopeLower: fit.slopeLower, slopeUpper: fit.slopeUpper)
        }
    }

    var effectiveLimit: Double?
    /// The limit `eta` is the time to: the one the trend reaches first.
    var etaLimit: ForecastLimit?
    /// Seconds from now; 0 when already past; nil when the trend does not reach a limit.
    var eta: Double?
    /// Earliest (upper slope) and latest (lower slope; nil if not positive) crossing, widened to
    /// at least `minSpread` under `eta` and the same factor over it. The slope's interval alone is
    /// far too narrow to hold the crash (it leaves out the level, the swing above the floor, a
    /// wander): in `make bench-detect` it held the true time left on 36 % of `leaking` ticks.
    var etaLower: Double?
    var etaUpper: Double?

    /// - Parameters:
    ///   - anon: the anon floor trend now.
    ///   - excursion: how far anon climbs above its floor, bytes.
    ///   - heap: the heapUsed floor trend now, when heap figures are known; without it the V8
    ///     heap limit is ignored (it cannot be compared with RSS).
    ///   - minSpread: the range's least width, a fraction (`TrendPolicy.etaSpread`).
    init(anon: Line, excursion: Double, heap: Line?, sample: TrendSample, limits: MemoryLimits, minSpread: Double = 0) {
        var candidates: [(gap: Double, line: Line, limit: ForecastLimit)] = []
        var smallest: Double?
        let nonAnon = max(0, sample.rssBytes - sample.anonBytes)
        let memoryLimits: [(Double?, MemoryLimitKind)] = [
            (limits.cgroupBytes, .cgroup), (limits.cgroupHighBytes, .cgroupHigh), (limits.rssMaxBytes, .rssMax),
            (limits.hostBytes, .host),
        ]
        for case let (limit?, kind) in memoryLimits where limit > 0 {
            candidates.append((limit - nonAnon - anon.level - excursion, anon, ForecastLimit(kind: kind, bytes: limit)))
            smallest = min(smallest ?? limit, limit)
        }
        if let v8 = limits.v8HeapLimitBytes, v8 > 0, let heap {
            candidates.append((v8 - heap.level, heap, ForecastLimit(kind: .v8Heap, bytes: v8)))
            smallest = min(smallest ?? v8, v8)
        }
        effectiveLimit = smallest

        func time(_ gap: Double, _ slope: Double) -> Double? {
            if gap <= 0 { return 0 }
            return slope > 0 ? gap / slope : nil
        }
        func earliest(_ values: [Double?]) -> Double? { values.compactMap { $0 }.min() }
        let first = candidates.compactMap { candidate in time(candidate.gap, candidate.line.slope).map { (candidate.limit, $0) } }
            .min { $0.1 < $1.1 }
        let eta = first?.1
        self.eta = eta
        etaLimit = first?.0
        let lower = earliest(candidates.map { time($0.gap, $0.line.slopeUpper) })
        let upper = earliest(candidates.map { time($0.gap, $0.line.slopeLower) })
        if let eta {
            etaLower = min(lower ?? eta, eta * (1 - minSpread))
            etaUpper = upper.map { max($0, eta / (1 - minSpread)) }
        } else {
            (etaLower, etaUpper) = (lower, upper)
        }
    }
}
