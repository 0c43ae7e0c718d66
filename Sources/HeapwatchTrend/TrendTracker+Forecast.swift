extension TrendTracker {
    /// The floor line a forecast extrapolates: the regime the process is in now.
    enum ForecastBasis: Sendable, Equatable {
        /// The window's own fit.
        case window
        /// A change (a leak starting after a plateau, a step) lies inside the window: the fit of
        /// the part since the change gives level and slope.
        case segment(Statistics.TheilSen)
        /// The longer history since its last change covers the whole window: its slope (more
        /// data, tighter), at the window's level.
        case history(Statistics.TheilSen)

        /// The long history's fit when it is the basis.
        var history: Statistics.TheilSen? {
            if case let .history(fit) = self { return fit }
            return nil
        }
    }

    /// The long history's current regime: where its last change of regime lies and the fit of
    /// the part since. It depends on the long history alone, so it is found when a long bucket
    /// closes, not at every bucket close of the window.
    struct HistoryRegime: Sendable, Equatable {
        /// Center time of the regime's first bucket, seconds.
        var start: Double
        /// Seconds per bucket of the long history.
        var bucketSeconds: Double
        /// Theil–Sen fit of the floor since `start`.
        var fit: Statistics.TheilSen?
        /// F statistic of the change at `start` (`Regime`); 0 when the history is one regime.
        var changeF: Double = 0
    }

    /// Nil with fewer than `minBuckets` closed buckets. The history is cut at its last change of
    /// regime (coarser buckets, up to `forecastWindow`).
    static func historyRegime(_ history: FloorWindow, policy: TrendPolicy) -> HistoryRegime? {
        guard history.closed.count >= policy.minBuckets, let bucketSeconds = history.bucketSeconds else { return nil }
        let points = FloorPoints(history)
        let (hx, hy) = (points.times, points.floors)
        let (start, changeF) = Regime.change(
            x: hx, y: hy, minPoints: max(6, hx.count / 8),
            fCritical: policy.regimeF, minSlopeChange: policy.regimeSlopeChange
        )
        let fit = Statistics.theilSen(x: Array(hx[start...]), y: Array(hy[start...]), z: policy.intervalZ)
        return HistoryRegime(start: hx[start], bucketSeconds: bucketSeconds, fit: fit, changeF: changeF)
    }

    /// Chooses the basis when a bucket closes. When the history's current regime started before
    /// the window, the history's slope is used: the window's own slope swings with a slow wander
    /// or a slow sawtooth, and when it is first steep enough to call a leak it is most often too
    /// steep. A real change of pace shows as a change of regime in the history (after a few of
    /// its buckets). When the regime started inside the window (or there is no history yet), the
    /// change is looked for on the window's finer points.
    static func forecastBasis(analysis a: FloorAnalysis, history: HistoryRegime?, policy: TrendPolicy) -> ForecastBasis {
        let (x, y) = (a.points.times, a.points.floors)
        guard let first = x.first else { return .window }
        if let history, history.start <= first + history.bucketSeconds {
            return history.fit.map { .history($0) } ?? .window
        }
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
