import Foundation
import Testing
@testable import HeapwatchTrend

/// `leaking`'s shape tests (each third's rise, the slowing from one rise to the next, the last
/// third's slope) and the long history's doubt allow a shortfall within `shapeNoise` standard
/// errors, estimated from the window's own points.
@Suite("Trend: leaking's shape tests weigh the noise they measure")
struct ShapeNoiseTests {
    let mib = SyntheticTrace.mib

    /// The point noise is read from successive differences: σ on normal noise, and about the
    /// same with a warm-up curve on it, where the spread around a straight line is many times σ.
    @Test func pointNoiseReadsTheNoiseNotTheCurve() throws {
        var rng = SplitMix64(seed: 7)
        let noise = (0..<2000).map { _ in rng.nextGaussian() * mib }
        let flat = FloorAnalysis.pointNoise(noise)
        #expect(abs(flat / mib - 1) < 0.05, "σ read as \(flat / mib) MiB")
        let x = noise.indices.map(Double.init)
        let curve = zip(x, noise).map { k, e in 100 * mib * (1 - exp(-k / 400)) + e }
        let curved = FloorAnalysis.pointNoise(curve)
        #expect(abs(curved / flat - 1) < 0.05, "σ under the curve read as \(curved / mib) MiB")
        let line = try #require(Statistics.theilSen(x: x, y: curve))
        let residuals = zip(x, curve).map { abs($1 - line.value(at: $0)) }
        let spread = 1.4826 * (try #require(Statistics.median(residuals)))
        #expect(spread > 4 * curved, "spread around the line \(spread / mib) MiB")
        #expect(FloorAnalysis.pointNoise([1, 2]) == 0)
    }

    /// The windows of a 30 MiB/h leak under σ 4 MiB and a 30 MiB/60 s sawtooth, one per seed.
    func leakWindows(_ seeds: ClosedRange<UInt64>) -> [FloorAnalysis] {
        let policy = TrendPolicy()
        return seeds.compactMap { seed in
            var t = noisyLeak(hours: policy.window / 3600, seed: seed, rate: 30)
            t.sawtoothAmplitude = 30 * mib
            t.sawtoothPeriod = 60
            var floors = FloorWindow(window: policy.window, maxBuckets: policy.maxBuckets, minTicksPerBucket: policy.minTicksPerBucket)
            for sample in t.samples() { _ = floors.add(sample) }
            return FloorAnalysis(floors, policy: policy)
        }
    }

    /// Over 400 windows of one leak, the standard errors the analysis gives match the spread the
    /// thirds' slowing, the last rise and the last third's slope show from window to window
    /// (measured: spread over error 0.86, 0.86 and 0.84; the errors run a little high, so the
    /// slack is a little wider than its nominal standard errors).
    @Test func theErrorsMatchTheSpreadOverManyWindows() throws {
        let windows = leakWindows(1...400)
        #expect(windows.count == 400)
        let r = TrendPolicy().decelerationRatio
        func ratio(_ values: [Double], _ errors: [Double]) -> Double {
            let mean = values.reduce(0, +) / Double(values.count)
            let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
            let rms = (errors.reduce(0) { $0 + $1 * $1 } / Double(errors.count)).squareRoot()
            return sd / rms
        }
        let slowing = ratio(windows.map { $0.lateRise - r * $0.earlyRise }, windows.map { $0.slowingError(ratio: r) })
        let rise = ratio(windows.map(\.lateRise), windows.map { $0.riseError(into: 2) })
        let recent = ratio(windows.map(\.recentSlope), windows.map(\.recentSlopeError))
        #expect(slowing > 0.75 && slowing < 1.33, "spread over error: \(slowing)")
        #expect(rise > 0.75 && rise < 1.33, "spread over error: \(rise)")
        #expect(recent > 0.75 && recent < 1.33, "spread over error: \(recent)")
    }
}

@Suite("Trend: a 30 MiB/h leak is not held back by the noise of its shape")
struct ShapeNoiseDecisionTests {
    let mib = SyntheticTrace.mib

    /// 30 MiB/h under σ 4 MiB and a 30 MiB/60 s sawtooth. With the shape tests taken at face
    /// value (`shapeNoise` and `recentSlopeNoise` 0) these seeds were first `leaking` after
    /// 20m15s, 21m15s and 20m15s; with the defaults after 16m45s, 19m15s and 15m15s.
    @Test(arguments: [UInt64(28), 37, 38])
    func aLeakWhoseShapeWobblesIsFoundInTime(seed: UInt64) throws {
        var t = noisyLeak(hours: 0.5, seed: seed, rate: 30)
        t.sawtoothAmplitude = 30 * mib
        t.sawtoothPeriod = 60
        var strict = TrendPolicy()
        strict.shapeNoise = 0
        strict.recentSlopeNoise = 0
        let found = try #require(firstTime([.leaking], in: run(t)))
        let foundStrictly = firstTime([.leaking], in: run(t, policy: strict)) ?? .infinity
        #expect(found <= 20 * 60, "first leaking at \(Int(found)) s")
        #expect(foundStrictly > 20 * 60, "first leaking at \(foundStrictly) s with the shape taken at face value")
    }

    /// The slack must not let a warm-up through: plateaus after exponential and linear warm-ups
    /// under σ 4 MiB and a 30 MiB/60 s sawtooth, 20 seeds each, are never `leaking`. Seed 719 of
    /// the τ 5 min warm-up was, at 46 min, before the slope's t-test was kept to windows without
    /// an older history regime: one window of noise read 22 MiB/h (t-test p 0.0009, Mann–Kendall
    /// 0.0015) while the regime since 16 min, still holding the warm-up's tail, read 17.9.
    @Test(arguments: ["exp τ5m +300M", "exp τ2m +100M", "linear 10m +300M"])
    func aWarmUpUnderNoiseIsNoLeak(shape: String) {
        for seed in UInt64(1)...20 {
            var t = noisyLeak(hours: 2, seed: 700 + seed, rate: 0)
            t.sawtoothAmplitude = 30 * mib
            switch shape {
            case "exp τ5m +300M": t.warmUp = .exponential(bytes: 300 * mib, tau: 300)
            case "exp τ2m +100M": t.warmUp = .exponential(bytes: 100 * mib, tau: 120)
            default: t.warmUp = .linear(bytes: 300 * mib, duration: 600)
            }
            let leakingAt = firstTime([.leaking], in: run(t))
            #expect(leakingAt == nil, "\(shape) seed \(700 + seed): leaking at \(leakingAt ?? 0) s")
        }
    }
}
