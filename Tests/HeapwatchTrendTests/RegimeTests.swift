import Testing
@testable import HeapwatchTrend

private let mib = SyntheticTrace.mib

@Suite("Regime: where the current stretch of a floor series starts")
struct RegimeTests {
    /// Deterministic noise in ±amplitude, the same on every run.
    private func noise(_ count: Int, amplitude: Double, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in amplitude * (2 * rng.nextUnit() - 1) }
    }

    @Test func steadyLineHasNoChange() {
        let x = (0..<60).map { Double($0) * 15 }
        let e = noise(60, amplitude: 1 * mib, seed: 3)
        let y = zip(x, e).map { 200 * mib + 30 * mib * $0 / 3600 + $1 }
        #expect(Regime.start(x: x, y: y, minPoints: 15, fCritical: 12, minSlopeChange: 0.25) == 0)
        #expect(Regime.change(x: x, y: y, minPoints: 15, fCritical: 12, minSlopeChange: 0.25).f == 0)
    }

    /// The F statistic of the change found grows with the evidence after it: a leak that has run
    /// twice as long after the same plateau stands out far more (what `regimeEntryF` relies on).
    @Test func theChangesFGrowsWithTheLeakAfterIt() throws {
        func change(leakSeconds: Double) -> (start: Double, f: Double) {
            let x = (0..<120).map { Double($0) * 60 }
            let e = noise(120, amplitude: 3 * mib, seed: 11)
            let onset = 7200 - leakSeconds
            let y = zip(x, e).map { 300 * mib + 30 * mib * max(0, $0 - onset) / 3600 + $1 }
            let found = Regime.change(x: x, y: y, minPoints: 15, fCritical: 12, minSlopeChange: 0.25)
            return (x[found.start], found.f)
        }
        let short = change(leakSeconds: 1200), long = change(leakSeconds: 2400)
        #expect(abs(short.start - 6000) <= 300 && abs(long.start - 4800) <= 300, "starts \(short.start), \(long.start)")
        #expect(short.f > 12 && long.f > 2 * short.f, "F \(short.f), \(long.f)")
    }

    /// Flat for 390 s, then 50 MiB/h: the regime starts at the hinge (within two points).
    @Test func leakAfterPlateauStartsAtTheHinge() throws {
        let x = (0..<60).map { Double($0) * 15 }
        let e = noise(60, amplitude: 0.5 * mib, seed: 5)
        let y = zip(x, e).map { 320 * mib + 50 * mib * max(0, $0 - 390) / 3600 + $1 }
        let start = Regime.start(x: x, y: y, minPoints: 15, fCritical: 12, minSlopeChange: 0.25)
        #expect(abs(x[start] - 390) <= 30, "regime starts at \(x[start]) s")
    }

    /// A step of 120 MiB at 30 min, a plateau, then a leak from 60 min: the last change wins.
    @Test func stepThenLeakStartsAtTheLeak() throws {
        let x = (0..<90).map { Double($0) * 60 }
        let e = noise(90, amplitude: 0.5 * mib, seed: 7)
        let y = zip(x, e).map { t, n in
            200 * mib + (t >= 1800 ? 120 * mib : 0) + 50 * mib * max(0, t - 3600) / 3600 + n
        }
        let start = Regime.start(x: x, y: y, minPoints: 11, fCritical: 12, minSlopeChange: 0.25)
        #expect(abs(x[start] - 3600) <= 180, "regime starts at \(x[start]) s")
    }
}
