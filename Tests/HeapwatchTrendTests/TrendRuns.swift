@testable import HeapwatchTrend

/// Every assessment of a run, with its sample's time.
typealias TrendRun = [(time: Double, assessment: TrendAssessment)]

/// A capture as heapwatchd runs one: it begins after the tick at `start` and ends after the tick
/// at `end`.
struct CaptureTimes {
    var start: Double
    var end: Double
}

/// Runs a trace through a fresh tracker, told of `captures` as heapwatchd tells it.
func run(_ trace: SyntheticTrace, policy: TrendPolicy = TrendPolicy(), limits: MemoryLimits = .none,
         captures: [CaptureTimes] = []) -> TrendRun {
    var tracker = TrendTracker(policy: policy)
    var result: TrendRun = []
    for sample in trace.samples() {
        result.append((sample.time, tracker.record(sample, limits: limits)))
        for capture in captures {
            if sample.time == capture.start { tracker.captureStarted(at: sample.time) }
            if sample.time == capture.end { tracker.captureEnded(at: sample.time + 1, touched: true) }
        }
    }
    return result
}

/// A leak of `rate` MiB/h from the start under σ `noise` MiB, `hours` long.
func noisyLeak(hours: Double, seed: UInt64, rate: Double, noise: Double = 4) -> SyntheticTrace {
    var t = SyntheticTrace(duration: hours * 3600)
    t.seed = seed
    t.leakBytesPerHour = rate * SyntheticTrace.mib
    t.noiseBytes = noise * SyntheticTrace.mib
    return t
}

/// How many times the run enters `state`.
func entries(into state: TrendState, in run: TrendRun) -> Int {
    zip([TrendState.warmingUp] + run.map(\.assessment.state), run).filter { $0 != state && $1.assessment.state == state }.count
}

/// When the run is first in one of `states`.
func firstTime(_ states: Set<TrendState>, in run: TrendRun) -> Double? {
    run.first { states.contains($0.assessment.state) }?.time
}
