#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Robust statistics for short series (at most a few hundred points): Theil–Sen slope with Sen's
/// confidence interval, and the Mann–Kendall trend test with tie correction. Both are O(n²).
public enum Statistics {
    /// Median of `values`; nil when empty. Sorts a copy.
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count.isMultiple(of: 2) ? (sorted[mid - 1] + sorted[mid]) / 2 : sorted[mid]
    }

    /// Σ(x − x̄)², the spread of `values` about their mean; 0 when empty.
    static func squaredDeviations(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let mean = values.reduce(0, +) / Double(values.count)
        return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
    }

    /// Standard normal cumulative distribution function Φ(z).
    public static func normalCDF(_ z: Double) -> Double {
        0.5 * erfc(-z / 2.0.squareRoot())
    }

    /// Result of the Mann–Kendall test on a series taken in time order.
    public struct MannKendall: Sendable, Equatable {
        /// Σ sign(yⱼ − yᵢ) over all pairs i < j.
        public var s: Int
        /// Variance of S under "no trend", corrected for tied values.
        public var variance: Double
        /// Normal score with continuity correction: (S − 1)/σ for S > 0, (S + 1)/σ for S < 0, else 0.
        public var z: Double

        /// One-sided p-value for an upward trend: P(Z ≥ z) under "no trend".
        public var pUpward: Double { 1 - Statistics.normalCDF(z) }
        /// Confidence in an upward trend, 0...1: 1 − (two-sided p) when z > 0, else 0.
        public var upwardConfidence: Double { z > 0 ? max(0, min(1, 2 * Statistics.normalCDF(z) - 1)) : 0 }
    }

    /// Mann–Kendall test of `values` (in time order). Nil for fewer than 3 values.
    public static func mannKendall(_ values: [Double]) -> MannKendall? {
        let n = values.count
        guard n >= 3 else { return nil }
        var s = 0
        for i in 0..<(n - 1) {
            let yi = values[i]
            for j in (i + 1)..<n {
                let d = values[j] - yi
                if d > 0 { s += 1 } else if d < 0 { s -= 1 }
            }
        }
        let variance = kendallVariance(values)
        let z: Double
        if variance <= 0 || s == 0 {
            z = 0
        } else {
            let sigma = variance.squareRoot()
            z = s > 0 ? Double(s - 1) / sigma : Double(s + 1) / sigma
        }
        return MannKendall(s: s, variance: variance, z: z)
    }

    /// Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18, the sum over groups of t tied values.
    static func kendallVariance(_ values: [Double]) -> Double {
        let n = Double(values.count)
        var variance = n * (n - 1) * (2 * n + 5)
        for t in tieGroupSizes(values) where t > 1 {
            let td = Double(t)
            variance -= td * (td - 1) * (2 * td + 5)
        }
        return variance / 18
    }

    /// Sizes of the groups of equal values (each ≥ 1; they add up to `values.count`), ascending by value.
    static func tieGroupSizes(_ values: [Double]) -> [Int] {
        let sorted = values.sorted()
        var sizes: [Int] = []
        var run = 0
        for (k, v) in sorted.enumerated() {
            if k > 0 && v == sorted[k - 1] {
                run += 1
            } else {
                if run > 0 { sizes.append(run) }
                run = 1
            }
        }
        if run > 0 { sizes.append(run) }
        return sizes
    }

    /// A Theil–Sen line y = intercept + slope·x with Sen's confidence interval on the slope.
    public struct TheilSen: Sendable, Equatable {
        /// Median of the pairwise slopes (y units per x unit).
        public var slope: Double
        /// Median of yᵢ − slope·xᵢ.
        public var intercept: Double
        /// Sen's interval on the slope at the requested normal score.
        public var slopeLower: Double
        public var slopeUpper: Double

        public func value(at x: Double) -> Double { intercept + slope * x }
    }

    /// Theil–Sen fit of (x, y) pairs. Pairs with equal x are skipped. `z` is the two-sided normal
    /// score of the slope interval (1.96 for 95 %). Nil when no two x values differ.
    public static func theilSen(x: [Double], y: [Double], z: Double = 1.96) -> TheilSen? {
        precondition(x.count == y.count, "theilSen: x and y differ in length")
        let n = x.count
        guard n >= 2 else { return nil }
        var slopes: [Double] = []
        slopes.reserveCapacity(n * (n - 1) / 2)
        for i in 0..<(n - 1) {
            for j in (i + 1)..<n where x[j] != x[i] {
                slopes.append((y[j] - y[i]) / (x[j] - x[i]))
            }
        }
        guard !slopes.isEmpty else { return nil }
        let count = slopes.count
        let mid = count / 2
        let upperMid = select(&slopes, mid)
        let slope = count.isMultiple(of: 2) ? (select(&slopes, mid - 1) + upperMid) / 2 : upperMid
        let intercept = median(zip(x, y).map { $1 - slope * $0 }) ?? 0

        // Sen (1968): with N slopes and C = z·√Var(S), the interval runs from the
        // ((N − C)/2)-th to the ((N + C)/2 + 1)-th ordered slope (1-based).
        let c = z * kendallVariance(y).squareRoot()
        let nSlopes = Double(count)
        let lowerRank = Int(((nSlopes - c) / 2).rounded(.down))
        let upperRank = Int(((nSlopes + c) / 2).rounded(.up)) + 1
        let lower = select(&slopes, min(max(lowerRank, 1), count) - 1)
        let upper = select(&slopes, min(max(upperRank, 1), count) - 1)
        return TheilSen(slope: slope, intercept: intercept, slopeLower: lower, slopeUpper: upper)
    }

    /// The `k`-th smallest element (0-based) of `values`, reordering them (quickselect, expected
    /// O(n)). Repeated calls on the same array stay correct: they only reorder it.
    static func select(_ values: inout [Double], _ k: Int) -> Double {
        precondition(values.indices.contains(k), "select: k out of range")
        var low = 0
        var high = values.count - 1
        while low < high {
            // Median of three as the pivot guards against sorted input.
            let middle = low + (high - low) / 2
            let a = values[low], b = values[middle], c = values[high]
            let pivot = max(min(a, b), min(max(a, b), c))
            var i = low
            var j = high
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j {
                high = j
            } else if k >= i {
                low = i
            } else {
                return values[k]
            }
        }
        return values[k]
    }
}
