import HeapwatchTrend

/// One trace with its ground truth and the settings it is judged with.
struct BenchCase: Sendable {
    var name: String
    var group: String
    var samples: [TrendSample]
    var limits: MemoryLimits
    var policy: TrendPolicy
    /// When the leak starts; nil for a trace without a leak.
    var leakStart: Double?
    /// When the leak stops (the floor stays flat from then on); nil when it goes on to the end.
    var leakStop: Double?
    /// True leak rate, bytes per hour (0 without a leak).
    var leakRate: Double
    /// When the floor reaches the limit; nil when it does not within the trace.
    var crashTime: Double?
    /// A PM2-style `max_memory_restart`, bytes of RSS.
    var thresholdBytes: Double

    /// A leak at or under growth_max only has to be `growing`; true when it must be `leaking`.
    var mustLeak: Bool
    /// Beyond what the data can tell (a warm-up slower than the window, a slow wander, a leak under
    /// a sawtooth as long as a third of the window, a leak that changes pace later): reported, not
    /// held to the targets.
    var stress = false
    /// The synthetic trace's seed (0 for a recorded trace), so a test can replay one case.
    var seed: UInt64 = 0

    var isLeak: Bool { leakStart != nil }

    /// Held to "a 30 MiB/h leak at 5 s ticks detected within 20 minutes": a 30 MiB/h leak from the
    /// start of its trace, plain or swapped out (RAM and swap together hold what the plain trace
    /// does), not a stress case.
    var isThirtyMiBTarget: Bool { !stress && name.contains("leak 30M/h σ") }

    /// The true time to the crash `elapsed` seconds into the trace; nil when no crash lies ahead.
    /// `captured` bytes left resident by captures bring it closer by what the leak takes to grow
    /// that much (its rate at the start: cases whose pace changes are stress cases).
    func timeLeft(elapsed: Double, captured: Double = 0) -> Double? {
        guard let crashTime else { return nil }
        let crash = captured > 0 && leakRate > 0 ? crashTime - captured / leakRate * 3600 : crashTime
        guard crash > elapsed else { return nil }
        return crash - elapsed
    }
}
