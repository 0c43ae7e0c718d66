extension TrendTracker {
    /// The floor line a forecast extrapolates: the regime the process is in now.
    enum ForecastBasis: Sendable, Equatable {
        /// The window's own fit.
        case window
        /// A change (a leak starting after a plateau, a step) lies inside the window: the fit of
        /// the part since the change gives level and slope.
        case segment(Statistics.TheilSen)
        /// The longer history since its last change covers the whole window and agrees with it:
        /// its slope (more data, tighter), at the window's level.
        case history(Statistics.TheilSen)
    }

    /// Chooses the basis when a bucket closes. The long history (coarser buckets, up to
    /// `forecastWindow`) is cut at its last change of regime; when that regime started before the
    /// window and its slope lies inside the window's interval — widened by √((1 + ρ)/(1 − ρ)) for
    /// residuals that are alike from one point to the next (a wander) — the history's slope is
    /// used. A change inside the window is then looked for on the window's finer points.
    static func forecastBasis(
        window: FloorWindow, analysis a: FloorAnalysis, history: FloorWindow, policy: TrendPolicy
    ) -> ForecastBasis {
        let (x, y) = FloorAnalysis.points(window, scale: a.scale)
        guard let first = x.first else { return .window }
        var changeInWindow = true
        if history.closed.count >= policy.minBuckets, let bucket = history.bucketSeconds {
            let (hx, hy) = FloorAnalysis.points(history, scale: 1)
            let start = Regime.start(
                x: hx, y: hy, minPoints: max(6, hx.count / 8),
                fCritical: policy.regimeF, minSlopeChange: policy.regimeSlopeChange
            )
            if hx[start] <= first + bucket {
                changeInWindow = false
                let widen = ((1 + a.residualCorrelation) / (1 - a.residualCorrelation)).squareRoot()
                let lower = a.fit.slope - widen * (a.fit.slope - a.fit.slopeLower)
                let upper = a.fit.slope + widen * (a.fit.slopeUpper - a.fit.slope)
                if let fit = Statistics.theilSen(x: Array(hx[start...]), y: Array(hy[start...]), z: policy.intervalZ),
                   fit.slope >= lower, fit.slope <= upper {
                    return .history(fit)
                }
            }
        }
        guard changeInWindow else { return .window }
        let start = Regime.start(
            x: x, y: y, minPoints: max(6, x.count / 4),
            fCritical: policy.regimeF, minSlopeChange: policy.regimeSlopeChange
        )
        guard start > 0, let fit = Statistics.theilSen(x: Array(x[start...]), y: Array(y[start...]), z: policy.intervalZ)
        else { return .window }
        return .segment(fit)
    }

    /// The floor now and its slope, from `basis`.
    static func forecastLine(_ a: FloorAnalysis, basis: ForecastBasis, now: Double) -> Forecast.Line {
        let short = Forecast.Line(a.fit, at: now)
        switch basis {
        case .window:
            return short
        case let .segment(fit):
            return Forecast.Line(fit, at: now)
        case let .history(fit):
            return Forecast.Line(level: short.level, slope: fit.slope, slopeLower: fit.slopeLower, slopeUpper: fit.slopeUpper)
        }
    }
}
