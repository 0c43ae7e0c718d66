/// Where the current regime of a floor series starts: the last change of slope (a leak starting
/// after a plateau or a warm-up: a hinge) or of level (a step: two separate lines). A forecast
/// extrapolates the regime the process is in now, not a line bent by what came before.
///
/// Binary segmentation from the right, least squares: the best single change (hinge or two free
/// lines) of the stretch since the last accepted change is accepted when its F statistic per
/// added parameter exceeds `fCritical` (a multiple-testing-sized critical value; 12 ≈ 5 % for
/// a change searched over the middle of the series) and it changes the slope by more than
/// `minSlopeChange` of the stretch's own slope (noise that bends the line a little, or a slow
/// wander, does not cut the history short). Cost O(n²) for n points.
enum Regime {
    /// Index of the first point of the current regime (0 when no change is found). Each part of a
    /// split keeps at least `minPoints` points.
    static func start(x: [Double], y: [Double], minPoints: Int, fCritical: Double, minSlopeChange: Double) -> Int {
        change(x: x, y: y, minPoints: minPoints, fCritical: fCritical, minSlopeChange: minSlopeChange).start
    }

    /// `start`, and the F statistic of the change found there (0 when none is).
    static func change(
        x: [Double], y: [Double], minPoints: Int, fCritical: Double, minSlopeChange: Double
    ) -> (start: Int, f: Double) {
        precondition(x.count == y.count, "Regime.change: x and y differ in length")
        let n = x.count
        let minPoints = max(3, minPoints)
        let sums = prefixSums(x: x, y: y)
        var lo = 0
        var accepted = 0.0
        while n - lo >= 2 * minPoints {
            let whole = line(sums, lo, n)
            let m = Double(n - lo)
            var best: (f: Double, index: Int, slope: Double)?
            for k in (lo + minPoints)...(n - minPoints) {
                let left = line(sums, lo, k)
                let right = line(sums, k, n)
                let split = left.sse + right.sse
                if split > 0 {
                    let f = (whole.sse - split) / 2 / (split / (m - 4))
                    if f > best?.f ?? -.infinity { best = (f, k, right.slope) }
                }
                if let h = hinge(x: x, y: y, from: lo, at: x[k]), h.sse > 0 {
                    let f = (whole.sse - h.sse) / (h.sse / (m - 3))
                    if f > best?.f ?? -.infinity { best = (f, k, h.slopeAfter) }
                }
            }
            guard let best, best.f > fCritical,
                  abs(best.slope - whole.slope) > minSlopeChange * abs(whole.slope)
            else { break }
            lo = best.index
            accepted = best.f
        }
        return (lo, accepted)
    }

    /// Running sums of x (relative to the first x, for precision), y and their products.
    struct Sums {
        var n = 0.0, x = 0.0, y = 0.0, xx = 0.0, xy = 0.0, yy = 0.0
    }

    static func prefixSums(x: [Double], y: [Double]) -> [Sums] {
        var out = [Sums()]
        out.reserveCapacity(x.count + 1)
        let origin = x.first ?? 0
        for (xi, yi) in zip(x, y) {
            let u = xi - origin
            var s = out[out.count - 1]
            s.n += 1; s.x += u; s.y += yi; s.xx += u * u; s.xy += u * yi; s.yy += yi * yi
            out.append(s)
        }
        return out
    }

    /// Least-squares line over points `from..<to`: residual sum of squares and slope.
    static func line(_ sums: [Sums], _ from: Int, _ to: Int) -> (sse: Double, slope: Double) {
        let a = sums[to], b = sums[from]
        let n = a.n - b.n
        guard n > 0 else { return (0, 0) }
        let sx = a.x - b.x, sy = a.y - b.y
        let vxx = (a.xx - b.xx) - sx * sx / n
        let vxy = (a.xy - b.xy) - sx * sy / n
        let vyy = (a.yy - b.yy) - sy * sy / n
        guard vxx > 0 else { return (max(0, vyy), 0) }
        return (max(0, vyy - vxy * vxy / vxx), vxy / vxx)
    }

    /// Continuous two-slope line y = a + b₀·min(x − c, 0) + b₁·max(x − c, 0) over points from
    /// `from`, least squares: residual sum of squares and b₁. Nil when degenerate.
    static func hinge(x: [Double], y: [Double], from: Int, at c: Double) -> (sse: Double, slopeAfter: Double)? {
        // Normal equations [A | b] for the regressors (1, a = min(x − c, 0), b = max(x − c, 0)),
        // summed in scalars: this loop runs for every candidate change of every search.
        var n = 0.0, sa = 0.0, sb = 0.0, saa = 0.0, sab = 0.0, sbb = 0.0, sy = 0.0, say = 0.0, sby = 0.0
        for i in from..<x.count {
            let a = min(x[i] - c, 0), b = max(x[i] - c, 0)
            n += 1; sa += a; sb += b; saa += a * a; sab += a * b; sbb += b * b
            sy += y[i]; say += a * y[i]; sby += b * y[i]
        }
        var m = [[n, sa, sb, sy], [sa, saa, sab, say], [sb, sab, sbb, sby]]
        for col in 0..<3 {
            var pivot = col
            for row in col..<3 where abs(m[row][col]) > abs(m[pivot][col]) { pivot = row }
            m.swapAt(col, pivot)
            guard abs(m[col][col]) > 1e-12 else { return nil }
            for row in 0..<3 where row != col {
                let factor = m[row][col] / m[col][col]
                for k in col..<4 { m[row][k] -= factor * m[col][k] }
            }
        }
        let beta = (0..<3).map { m[$0][3] / m[$0][$0] }
        var sse = 0.0
        for i in from..<x.count {
            let fitted = beta[0] + beta[1] * min(x[i] - c, 0) + beta[2] * max(x[i] - c, 0)
            sse += (y[i] - fitted) * (y[i] - fitted)
        }
        return (sse, beta[2])
    }
}
