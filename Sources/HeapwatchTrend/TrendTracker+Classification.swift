extension TrendTracker {
    /// The state of a full window that is not over the limit. `previous` gives hysteresis: a
    /// `leaking` or `growing` process keeps its state on weaker evidence than it took to enter it,
    /// so noise does not make it flap.
    ///
    /// `long` is the same analysis over the forecast window (when it spans two windows): a leak too
    /// slow to show inside one window is `growing` when the long history passes the same tests, and
    /// a leak over growth_max that a slow sawtooth hides from a swinging window is `leaking`.
    /// `history` is the fit of the long history's current regime when that regime covers the whole
    /// window (see `forecastBasis`): when even its upper bound stays under growth_max, the window's
    /// steeper slope is noise on a slower leak, which is `growing`, not `leaking`.
    static func classify(
        _ a: FloorAnalysis, long: FloorAnalysis?, history: Statistics.TheilSen?, forecast: Forecast,
        previous: TrendState, policy: TrendPolicy
    ) -> TrendState {
        let slope = a.fit.slope
        let growthMax = policy.growthMax / 3600
        let pace = policy.floorRiseRatio * growthMax * a.thirdSeconds

        // Significance of the upward trend of the floor over the whole window.
        let significant = slope > 0 && a.trend.z > 0 && a.trend.pUpward < policy.significance
        // Persistence: the floor level of each third sits above the one before, and the growth
        // has neither slowed down much (a warm-up settling) nor jumped (a step).
        let keepsRising = a.earlyRise > 0 && a.lateRise > 0
            && a.lateRise >= policy.decelerationRatio * a.earlyRise
            && a.earlyRise >= policy.accelerationRatio * a.lateRise
            && a.thirdFloors[2] - a.thirdFloors[0] >= policy.floorRiseRatio * slope * 2 * a.thirdSeconds

        // Still climbing now: a plateau reached inside the last third has a flat recent slope.
        let recentClimbs = a.recentSlope >= policy.recentSlopeRatio * max(growthMax, 0.5 * slope)
        // A warm-up settles: its window slope keeps falling from one window to the next.
        let settling = (a.slopeDecay ?? 1) < policy.settlingRatio
        // A leak's floor does not fall back much: a large fall means held memory that is released.
        let noFallBack = a.drawdown <= policy.drawdownRatio * max(0, a.thirdFloors[2] - a.thirdFloors[0]) + policy.drawdownNoise * a.noise
        // The longer history does not rule out growth_max.
        let historyAllows = (history?.slopeUpper ?? .infinity) >= growthMax
        if significant, leakRate(a.fit, holding: false, policy: policy), historyAllows, keepsRising, recentClimbs, !settling, noFallBack,
           a.earlyRise >= pace, a.lateRise >= pace {
            return .leaking
        }
        // Hysteresis: a leak stays a leak while the window still rises clearly.
        let stillSignificant = slope > 0 && a.trend.z > 0 && a.trend.pUpward < policy.holdSignificance
        let floorAbove = a.thirdFloors[2] > a.thirdFloors[0]
        if previous == .leaking, stillSignificant, leakRate(a.fit, holding: true, policy: policy), floorAbove, !settling, historyAllows,
           a.lateRise > 0, a.recentSlope > -growthMax {
            return .leaking
        }
        // A leak that a slow sawtooth (a major GC every few minutes) hides from the window: when
        // the window swings like a bursty one, the long history decides, at growth_max.
        let swings = a.swing > max(policy.burstyMinBytes, policy.burstyFraction * a.medianFloor)
        if let long, swings, historyAllows, slowGrowth(long, nearLimit: false, holding: previous == .leaking, policy: policy),
           leakRate(long.fit, holding: previous == .leaking, policy: policy) {
            return .leaking
        }
        let nearLimit = (forecast.eta ?? .infinity) < policy.captureBefore
        let worthNaming = slope >= worthNamingSlope(holding: false, policy: policy) || nearLimit
        // `growing` costs a baseline snapshot: the same persistence tests as `leaking`, relative to
        // the window's own slope instead of growth_max.
        if significant, keepsRising, worthNaming, !settling, noFallBack,
           a.recentSlope > 0, a.recentSlope >= 0.5 * policy.recentSlopeRatio * slope {
            return .growing
        }
        let stillWorthNaming = slope >= worthNamingSlope(holding: true, policy: policy) || nearLimit
        if previous == .growing || previous == .leaking, stillSignificant, floorAbove, stillWorthNaming {
            return .growing
        }
        if let long, slowGrowth(long, nearLimit: nearLimit, holding: previous == .growing || previous == .leaking, policy: policy) {
            return .growing
        }
        if swings {
            return .bursty
        }
        return .ok
    }

    /// The least slope worth calling `growing`, bytes per second: `growingMinRatio` of growth_max
    /// to enter, half that to stay (`holding`), so a leak at the threshold's rate does not flap
    /// around it.
    static func worthNamingSlope(holding: Bool, policy: TrendPolicy) -> Double {
        (holding ? 0.5 : 1) * policy.growingMinRatio * policy.growthMax / 3600
    }

    /// A slope fast enough for `leaking`: over growth_max with its interval clearing
    /// `lowerSlopeRatio` of it (not just zero) to enter; over half of growth_max to stay
    /// (`holding`).
    static func leakRate(_ fit: Statistics.TheilSen, holding: Bool, policy: TrendPolicy) -> Bool {
        let growthMax = policy.growthMax / 3600
        if holding { return fit.slope > 0.5 * growthMax }
        return fit.slope > growthMax && fit.slopeLower >= policy.lowerSlopeRatio * growthMax
    }

    /// A slow, steady rise over the long history: significant, every third above the one before
    /// without slowing down, the last third still rising at half the pace, and worth naming.
    /// When `holding` (already growing), a significant rise at half the rate worth naming whose
    /// last third is above the first is enough.
    static func slowGrowth(_ l: FloorAnalysis, nearLimit: Bool, holding: Bool, policy: TrendPolicy) -> Bool {
        let slope = l.fit.slope
        let alpha = holding ? policy.holdSignificance : policy.significance
        guard slope > 0, l.trend.z > 0, l.trend.pUpward < alpha else { return false }
        guard slope >= worthNamingSlope(holding: holding, policy: policy) || nearLimit else { return false }
        if holding { return l.thirdFloors[2] > l.thirdFloors[0] && l.lateRise > 0 }
        let pace = policy.floorRiseRatio * slope * l.thirdSeconds
        return l.earlyRise >= pace && l.lateRise >= pace
            && l.lateRise >= policy.decelerationRatio * l.earlyRise
            && l.earlyRise >= policy.accelerationRatio * l.lateRise
            && l.recentSlope >= policy.recentSlopeRatio * slope
    }
}
