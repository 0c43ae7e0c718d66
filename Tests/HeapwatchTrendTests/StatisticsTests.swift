import Testing
@testable import HeapwatchTrend

@Suite("Statistics: Theil–Sen and Mann–Kendall on hand-checked series")
struct StatisticsTests {
    // y = 1 2 3 2 5 at x = 0…4. Pairs: 8 up, 1 down (3→2), 1 tie (2,2) → S = 7.
    // Var(S) = (5·4·15 − 2·1·9)/18 = 282/18; z = (7 − 1)/√(282/18) = 1.5159.
    // Pairwise slopes sorted: −1, 0, ⅓, 1, 1, 1, 1, 1, 1, 3 → median 1; residuals y − x: 1 1 1 −1 1 → 1.
    @Test func smallSeriesWithOneTie() throws {
        let y: [Double] = [1, 2, 3, 2, 5]
        let mk = try #require(Statistics.mannKendall(y))
        #expect(mk.s == 7)
        #expect(abs(mk.variance - 282.0 / 18.0) < 1e-12)
        #expect(abs(mk.z - 1.515873) < 1e-5)

        let fit = try #require(Statistics.theilSen(x: [0, 1, 2, 3, 4], y: y))
        #expect(fit.slope == 1)
        #expect(fit.intercept == 1)
        // C = 1.96·√(282/18) = 7.758: ranks ⌊(10 − C)/2⌋ = 1 and ⌈(10 + C)/2⌉ + 1 = 10.
        #expect(fit.slopeLower == -1)
        #expect(fit.slopeUpper == 3)
    }

    @Test func strictlyIncreasingSeries() throws {
        let y = (0..<10).map { Double($0 * $0) }
        let mk = try #require(Statistics.mannKendall(y))
        #expect(mk.s == 45)
        #expect(mk.variance == 125) // 10·9·25/18
        #expect(abs(mk.z - 44 / 125.0.squareRoot()) < 1e-12)
        #expect(mk.upwardConfidence > 0.9999)
    }

    @Test func decreasingSeriesHasNoUpwardConfidence() throws {
        // 5 4 4 3 1: S = −9, one tie of 2 → Var = 282/18, z = (−9 + 1)/√Var.
        let mk = try #require(Statistics.mannKendall([5, 4, 4, 3, 1]))
        #expect(mk.s == -9)
        #expect(abs(mk.z - -2.021165) < 1e-5)
        #expect(mk.upwardConfidence == 0)
        #expect(mk.pUpward > 0.97)
    }

    // 1 1 2 2 2 3: 15 pairs, 4 tied (1 within the 1s, 3 within the 2s), 11 up → S = 11.
    // Var = (6·5·17 − 2·1·9 − 3·2·11)/18 = 426/18, smaller than the untied 510/18.
    @Test func tieCorrection() throws {
        let mk = try #require(Statistics.mannKendall([1, 1, 2, 2, 2, 3]))
        #expect(mk.s == 11)
        #expect(abs(mk.variance - 426.0 / 18.0) < 1e-12)
        #expect(abs(mk.z - 2.055566) < 1e-5)
        #expect(Statistics.tieGroupSizes([3, 1, 3, 2, 3]) == [1, 1, 3])
    }

    @Test func constantSeriesIsNoTrend() throws {
        let y = [Double](repeating: 7, count: 20)
        let mk = try #require(Statistics.mannKendall(y))
        #expect(mk.s == 0)
        #expect(mk.variance == 0)
        #expect(mk.z == 0)
        #expect(mk.upwardConfidence == 0)
        let fit = try #require(Statistics.theilSen(x: (0..<20).map(Double.init), y: y))
        #expect(fit.slope == 0)
        #expect(fit.intercept == 7)
        #expect(fit.slopeLower == 0 && fit.slopeUpper == 0)
    }

    // y = 2x + 1 with one wild value: 36 of the 45 pairwise slopes are exactly 2.
    @Test(arguments: [1_000.0, -1_000.0, 1e12])
    func outlierDoesNotMoveTheilSen(outlier: Double) throws {
        let x = (0..<10).map(Double.init)
        var y = x.map { 2 * $0 + 1 }
        y[5] = outlier
        let fit = try #require(Statistics.theilSen(x: x, y: y))
        #expect(fit.slope == 2)
        #expect(fit.intercept == 1)
        #expect(fit.value(at: 20) == 41)
        #expect(fit.slopeLower <= 2 && fit.slopeUpper >= 2)
    }

    @Test func unevenSpacingAndRepeatedX() throws {
        // Points on y = 3x − 2 with x unevenly spaced and one x repeated (that pair is skipped).
        let x: [Double] = [0, 0.5, 0.5, 2, 7, 7.25]
        let y = x.map { 3 * $0 - 2 }
        let fit = try #require(Statistics.theilSen(x: x, y: y))
        #expect(abs(fit.slope - 3) < 1e-12)
        #expect(abs(fit.intercept + 2) < 1e-12)
        #expect(Statistics.theilSen(x: [1, 1], y: [0, 5]) == nil)
        #expect(Statistics.theilSen(x: [1], y: [0]) == nil)
        #expect(Statistics.mannKendall([1, 2]) == nil)
    }

    @Test func normalDistribution() {
        #expect(Statistics.normalCDF(0) == 0.5)
        #expect(abs(Statistics.normalCDF(1.959964) - 0.975) < 1e-6)
        #expect(abs(Statistics.normalCDF(-2.326348) - 0.01) < 1e-6)
    }

    @Test func medians() {
        #expect(Statistics.median([]) == nil)
        #expect(Statistics.median([3, 1, 2]) == 2)
        #expect(Statistics.median([4, 1, 3, 2]) == 2.5)
    }
}

@Suite("Statistics: selection")
struct SelectionTests {
    @Test(arguments: [1, 2, 7, 100, 1001])
    func selectAgreesWithSorting(count: Int) {
        var rng = SplitMix64(seed: UInt64(count))
        let values = (0..<count).map { _ in (rng.nextUnit() * 20).rounded() } // many ties
        let sorted = values.sorted()
        var work = values
        for k in [0, count / 3, count / 2, count - 1] {
            #expect(Statistics.select(&work, k) == sorted[k])
        }
    }
}
