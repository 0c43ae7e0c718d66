#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Statistics {
    /// A t-test of a fitted line's slope against zero, from the spread of the points around it.
    ///
    /// Mann–Kendall only counts the signs of pairs, so on a short series with a clear trend it
    /// saturates: on 15 points every long-lag pair is already positive and its z cannot grow,
    /// whereas the slope over its standard error keeps growing with the trend. This test uses
    /// the size of the rise, not only its sign. Residuals of a memory floor are not independent
    /// (a sawtooth or a slow wander leaves runs above and below the line), so the standard error
    /// is widened and the degrees of freedom cut for the residuals' lag-1 autocorrelation r₁,
    /// the AR(1) correction for an effective sample size of n(1 − r₁)/(1 + r₁).
    public struct SlopeTest: Sendable, Equatable {
        /// Slope over `standardError`.
        public var t: Double
        /// Standard error of the slope, y units per x unit, after the AR(1) widening.
        public var standardError: Double
        /// Residual degrees of freedom after the AR(1) cut: ⌊(n − 2)(1 − r₁)/(1 + r₁)⌋, at least 1.
        public var degreesOfFreedom: Int
        /// Lag-1 autocorrelation of the residuals, clipped to 0…`maxLag1` (a negative value would
        /// narrow the error, which a robust test should not do on its own evidence).
        public var lag1: Double
        /// One-sided p-value for an upward slope: P(T ≥ t) for Student's t with
        /// `degreesOfFreedom` degrees of freedom.
        public var pUpward: Double { Statistics.studentTUpperTail(t, degreesOfFreedom: degreesOfFreedom) }

        /// Largest lag-1 autocorrelation taken into account: above it the widening would grow
        /// without bound on a series that is nearly a random walk.
        public static let maxLag1 = 0.95
    }

    /// t-test of `line`'s slope on the points (x, y). The residuals are taken around `line`
    /// (a Theil–Sen fit, say, so one outlier does not tilt it), their variance around their own
    /// mean, and the error of the slope is √(SS/(n − 2)) / √Σ(x − x̄)², widened by
    /// √((1 + r₁)/(1 − r₁)). Nil with fewer than 3 points, when all x are equal, or when the
    /// points lie exactly on a line (no spread to weigh the slope against).
    public static func slopeTest(x: [Double], y: [Double], line: TheilSen) -> SlopeTest? {
        precondition(x.count == y.count, "slopeTest: x and y differ in length")
        let n = x.count
        guard n >= 3 else { return nil }
        let sxx = squaredDeviations(x)
        let residuals = zip(x, y).map { $1 - line.value(at: $0) }
        let rMean = residuals.reduce(0, +) / Double(n)
        let centred = residuals.map { $0 - rMean }
        let ss = centred.reduce(0) { $0 + $1 * $1 }
        guard sxx > 0, ss > 0 else { return nil }
        var lagged = 0.0
        for i in 1..<n { lagged += centred[i] * centred[i - 1] }
        let r1 = min(SlopeTest.maxLag1, max(0, lagged / ss))
        let widening = ((1 + r1) / (1 - r1)).squareRoot()
        let standardError = widening * (ss / Double(n - 2)).squareRoot() / sxx.squareRoot()
        let df = max(1, Int((Double(n - 2) * (1 - r1) / (1 + r1)).rounded(.down)))
        return SlopeTest(t: line.slope / standardError, standardError: standardError,
                         degreesOfFreedom: df, lag1: r1)
    }

    /// P(T ≥ t) for Student's t with `degreesOfFreedom` (≥ 1) degrees of freedom, exact for whole
    /// degrees of freedom: the finite series of Abramowitz & Stegun 26.7.3–4 for
    /// A(t|ν) = P(|T| ≤ t), with θ = atan(t/√ν). Hand-written: the test needs one tail
    /// probability, not a statistics library.
    public static func studentTUpperTail(_ t: Double, degreesOfFreedom: Int) -> Double {
        precondition(degreesOfFreedom >= 1, "studentTUpperTail: degrees of freedom must be ≥ 1")
        if t.isNaN { return .nan }
        if t == .infinity { return 0 }
        if t == -.infinity { return 1 }
        let nu = Double(degreesOfFreedom)
        let theta = atan(abs(t) / nu.squareRoot())
        let c2 = cos(theta) * cos(theta)
        let s = sin(theta)
        // The series in cos²θ: 1 + ½c² + (1·3)/(2·4)c⁴ + … for even ν, 1 + ⅔c² + (2·4)/(3·5)c⁴ + …
        // for odd ν, each term (k − 1)/k·c² times the one before, up to the power ν − 2 of cos θ.
        let even = degreesOfFreedom.isMultiple(of: 2)
        var term = 1.0
        var sum = 1.0
        var k = even ? 2.0 : 3.0
        while k <= nu - 2 {
            term *= (k - 1) / k * c2
            sum += term
            k += 2
        }
        let a: Double
        if even {
            a = s * sum
        } else if degreesOfFreedom == 1 {
            a = 2 / Double.pi * theta
        } else {
            a = 2 / Double.pi * (theta + s * cos(theta) * sum)
        }
        let upper = max(0, min(1, (1 - a) / 2))
        return t >= 0 ? upper : 1 - upper
    }
}
