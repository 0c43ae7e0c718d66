import Testing
@testable import HeapwatchTrend

@Suite("Statistics: the slope's t-test and Student's t tail")
struct SlopeTestTests {
    // Reference values from scipy.stats.t.sf(t, df).
    @Test(arguments: [
        (3.0, 10, 0.006671827511284785),
        (4.144, 10, 0.000999522633844216),
        (318.3, 1, 0.0010000277691718188),
        (2.0, 1, 0.14758361765043326),
        (1.0, 2, 0.2113248654051871),
        (10.0, 2, 0.004926228511662845),
        (5.0, 3, 0.007696219036651147),
        (2.0, 4, 0.05805826175840778),
        (-1.5, 5, 0.9030481598787634),
        (2.5, 7, 0.020496109292876444),
        (6.0, 9, 0.00010124966103382039),
        (3.09, 1000, 0.0010284471205713255),
    ])
    func studentTailMatchesReference(t: Double, df: Int, expected: Double) {
        let p = Statistics.studentTUpperTail(t, degreesOfFreedom: df)
        #expect(abs(p - expected) <= 1e-9 * expected, "t \(t), df \(df): \(p) vs \(expected)")
    }

    @Test func studentTailEdges() {
        #expect(Statistics.studentTUpperTail(0, degreesOfFreedom: 6) == 0.5)
        #expect(Statistics.studentTUpperTail(.infinity, degreesOfFreedom: 3) == 0)
        #expect(Statistics.studentTUpperTail(-.infinity, degreesOfFreedom: 3) == 1)
        #expect(Statistics.studentTUpperTail(.nan, degreesOfFreedom: 3).isNaN)
        // Few degrees of freedom have heavier tails than the normal.
        #expect(Statistics.studentTUpperTail(3.09, degreesOfFreedom: 4) > 10 * (1 - Statistics.normalCDF(3.09)))
    }

    // y = 0 1 3 2 4 5 at x = 0…5: Theil–Sen slope 1, intercept 0; residuals 0 0 1 −1 0 0 (mean 0,
    // SS = 2); Σ(x − x̄)² = 17.5; lag-1 products sum to −1, so r₁ = −0.5, clipped to 0.
    // SE = √(2/4)/√17.5 = 0.169031, t = 5.916080, 4 degrees of freedom.
    @Test func handCheckedSeries() throws {
        let x: [Double] = [0, 1, 2, 3, 4, 5]
        let y: [Double] = [0, 1, 3, 2, 4, 5]
        let fit = try #require(Statistics.theilSen(x: x, y: y))
        let test = try #require(Statistics.slopeTest(x: x, y: y, line: fit))
        #expect(test.lag1 == 0)
        #expect(test.degreesOfFreedom == 4)
        #expect(abs(test.standardError - 0.16903085094570333) < 1e-12)
        #expect(abs(test.t - 5.916079783099615) < 1e-9)
        #expect(abs(test.pUpward - Statistics.studentTUpperTail(5.916079783099615, degreesOfFreedom: 4)) < 1e-15)
    }

    // y = x ± 1 at x = 0…11, the same residuals in two orders. Alternating: r₁ < 0 (clipped to 0),
    // SE = √(12/10)/√143 = 0.091606, 10 degrees of freedom. In runs of three: r₁ = 5/12, SE
    // widened by √(17/7) to 0.142757, degrees of freedom ⌊10 · 7/17⌋ = 4.
    @Test func autocorrelatedResidualsWidenTheError() throws {
        let x = (0..<12).map(Double.init)
        let alternating: [Double] = [1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1]
        let runs: [Double] = [1, 1, 1, -1, -1, -1, 1, 1, 1, -1, -1, -1]
        func test(_ residuals: [Double]) throws -> Statistics.SlopeTest {
            let y = zip(x, residuals).map { $0 + $1 }
            let fit = try #require(Statistics.theilSen(x: x, y: y))
            #expect(fit.slope == 1)
            return try #require(Statistics.slopeTest(x: x, y: y, line: fit))
        }
        let independent = try test(alternating)
        let correlated = try test(runs)
        #expect(independent.lag1 == 0)
        #expect(independent.degreesOfFreedom == 10)
        #expect(abs(independent.standardError - 0.09160572248286888) < 1e-12)
        #expect(abs(correlated.lag1 - 5.0 / 12) < 1e-12)
        #expect(correlated.degreesOfFreedom == 4)
        #expect(abs(correlated.standardError - 0.14275720780268988) < 1e-12)
        #expect(correlated.pUpward > 100 * independent.pUpward)
    }

    // A slow wander: a step of 10 halfway through 20 points of y = 0.1 x leaves the residuals
    // around the Theil–Sen line (slope 0.688) in two runs: r₁ = 0.66341, degrees of freedom
    // ⌊18 · 0.33659/1.66341⌋ = 3 instead of 18.
    @Test func aSlowWanderCutsTheDegreesOfFreedom() throws {
        let x = (0..<20).map(Double.init)
        let y = x.map { $0 < 10 ? 0.1 * $0 : 10 + 0.1 * $0 }
        let fit = try #require(Statistics.theilSen(x: x, y: y))
        let test = try #require(Statistics.slopeTest(x: x, y: y, line: fit))
        #expect(abs(test.lag1 - 0.6634146341463413) < 1e-9)
        #expect(test.degreesOfFreedom == 3)
    }

    @Test func noSpreadOrTooFewPointsGiveNoTest() throws {
        let x: [Double] = [0, 1, 2, 3]
        let line = try #require(Statistics.theilSen(x: x, y: x.map { 2 * $0 }))
        #expect(Statistics.slopeTest(x: x, y: x.map { 2 * $0 }, line: line) == nil)
        #expect(Statistics.slopeTest(x: [0, 1], y: [0, 3], line: line) == nil)
        #expect(Statistics.slopeTest(x: [2, 2, 2], y: [0, 1, 5], line: line) == nil)
    }
}

@Suite("Classification: the slope's t-test beside Mann–Kendall")
struct SlopeTestGateTests {
    let policy = TrendPolicy()

    /// A Mann–Kendall result with normal score `z` (one-sided p 0.0005 at z 3.2905, 0.005 at
    /// 2.5758, 0.02 at 2.0537; scipy.stats.norm.isf).
    func mannKendall(z: Double) -> Statistics.MannKendall {
        Statistics.MannKendall(s: 40, variance: 100, z: z)
    }

    func slopeTest(t: Double, df: Int = 13, standardError: Double = 1) -> Statistics.SlopeTest {
        Statistics.SlopeTest(t: t, standardError: standardError, degreesOfFreedom: df, lag1: 0)
    }

    @Test func mannKendallAloneIsEnough() {
        #expect(TrendTracker.risesSignificantly(slope: 1, trend: mannKendall(z: 3.2905), slopeTest: nil, policy: policy))
    }

    @Test func aClearTTestNeedsMannKendallToCorroborate() {
        let clear = slopeTest(t: 6) // p ≈ 2e-5 at 13 degrees of freedom
        #expect(clear.pUpward < policy.significance)
        #expect(TrendTracker.risesSignificantly(slope: 1, trend: mannKendall(z: 2.5758), slopeTest: clear, policy: policy))
        #expect(!TrendTracker.risesSignificantly(slope: 1, trend: mannKendall(z: 2.0537), slopeTest: clear, policy: policy))
        #expect(!TrendTracker.risesSignificantly(slope: 1, trend: mannKendall(z: 2.5758), slopeTest: nil, policy: policy))
    }

    @Test func aWeakTTestOrFewDegreesOfFreedomDoNotPass() {
        let trend = mannKendall(z: 2.5758)
        #expect(!TrendTracker.risesSignificantly(slope: 1, trend: trend, slopeTest: slopeTest(t: 3), policy: policy))
        // t = 6 on 2 degrees of freedom (residuals nearly a random walk): p ≈ 0.013.
        #expect(!TrendTracker.risesSignificantly(slope: 1, trend: trend, slopeTest: slopeTest(t: 6, df: 2), policy: policy))
        #expect(!TrendTracker.risesSignificantly(slope: -1, trend: mannKendall(z: 3.7190), slopeTest: slopeTest(t: 6), policy: policy))
    }

    @Test func theLeakRateTakesTheHigherOfSensAndTheTTestsLowerBound() throws {
        let growthMax = policy.growthMax / 3600
        let slope = 1.5 * growthMax
        // Sen's lower end at 0.4 growth_max fails lowerSlopeRatio (0.5) on its own.
        let fit = Statistics.TheilSen(slope: slope, intercept: 0, slopeLower: 0.4 * growthMax, slopeUpper: 2 * growthMax)
        #expect(!TrendTracker.leakRate(fit, holding: false, policy: policy))
        // slope − 1.96 SE ≥ 0.5 growth_max ⇔ SE ≤ growth_max / 1.96.
        #expect(TrendTracker.leakRate(fit, slopeTest: slopeTest(t: 0, standardError: 0.5 * growthMax), holding: false, policy: policy))
        #expect(!TrendTracker.leakRate(fit, slopeTest: slopeTest(t: 0, standardError: 0.52 * growthMax), holding: false, policy: policy))
        // A wide t interval does not undo a clear Sen interval; neither helps under growth_max.
        var clear = fit
        clear.slopeLower = 0.9 * growthMax
        #expect(TrendTracker.leakRate(clear, slopeTest: slopeTest(t: 0, standardError: 10 * growthMax), holding: false, policy: policy))
        var slow = fit
        slow.slope = 0.99 * growthMax
        #expect(!TrendTracker.leakRate(slow, slopeTest: slopeTest(t: 0, standardError: 0), holding: false, policy: policy))
    }
}
