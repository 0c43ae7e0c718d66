extension TrendTracker {
    /// The state of a full window that is not over the limit. `previous` gives hysteresis: a
    /// `leaking` or `growing` process keeps its state on weaker evidence than it took to enter it,
    /// so noise does not make it flap.
    ///
    /// `long` is the same analysis over the forecast window (once it is longer than the window): a
    /// leak too slow to show inside one window is `growing` when a long history of two windows or
    /// more passes the same tests, and a leak over growth_max is `leaking` when the history since
    /// the start passes the window's tests or a slow sawtooth hides it from a swinging window (see
    /// `entersLeaking`).
    /// `history` is the fit of the long history's current regime when that regime covers the whole
    /// window (see `forecastBasis`): when even its upper bound stays under growth_max, the window's
    /// steeper slope is noise on a slower leak, which is `growing`, not `leaking`.
    ///
    /// `recent` says how many of the last 4 bucket closes (this one included) passed
    /// `entersLeaking` and `entersGrowing`: a process enters `leaking` or `growing` once
    /// `entryConfirmations` of them have (or, for `leaking`, one with a far stronger trend), so one
    /// window that passes by chance (noise on a flat process) raises no alert and takes no
    /// baseline snapshot.
    static func classify(
        _ a: FloorAnalysis, long: FloorAnalysis?, history: Statistics.TheilSen?, regime: HistoryRegime?, forecast: Forecast,
        previous: TrendState, recent: RecentEntries = .confirmed, policy: TrendPolicy
    ) -> TrendState {
        let slope = a.fit.slope
        let growthMax = policy.growthMax / 3600
        let settling = isSettling(a, policy: policy)
        let historyAllows = (history?.slopeUpper ?? .infinity) >= growthMax
        let swings = swingsLikeBursts(a, policy: policy)
        let long2 = longHistory(long, policy: policy)
        if entersLeaking(a, long: long, history: history, regime: regime, policy: policy),
           previous == .leaking || recent.leaking >= policy.entryConfirmations || a.trend.pUpward < policy.significance / 10 {
            return .leaking
        }
        // Hysteresis: a leak stays a leak while the window still rises clearly, or while the long
        // history of a swinging window still rises at half of growth_max.
        let stillSignificant = slope > 0 && a.trend.z > 0 && a.trend.pUpward < policy.holdSignificance
        let floorAbove = a.thirdFloors[2] > a.thirdFloors[0]
        if previous == .leaking {
            if stillSignificant, leakRate(a.fit, holding: true, policy: policy), floorAbove, !settling,
               historyAllows, a.lateRise > 0, a.recentSlope > -growthMax {
                return .leaking
            }
            if let long2, swings, historyAllows, slowGrowth(long2, nearLimit: false, holding: true, policy: policy),
               leakRate(long2.fit, holding: true, policy: policy) {
                return .leaking
            }
        }
        let nearLimit = (forecast.eta ?? .infinity) < policy.captureBefore
        let rising = previous == .growing || previous == .leaking
        if entersGrowing(a, long: long, nearLimit: nearLimit, policy: policy), rising || recent.growing >= policy.entryConfirmations {
            return .growing
        }
        // Hysteresis: growth stays `growing` on a weaker trend at half the rate worth naming.
        if rising {
            let stillWorthNaming = slope >= worthNamingSlope(holding: true, policy: policy) || nearLimit
            if stillSignificant, floorAbove, stillWorthNaming { return .growing }
            if let long2, slowGrowth(long2, nearLimit: nearLimit, holding: true, policy: policy) { return .growing }
        }
        return swings ? .bursty : .ok
    }

    /// How many of the last 4 bucket closes passed the tests to enter each state.
    struct RecentEntries: Sendable, Equatable {
        var leaking: Int
        var growing: Int

        /// As if every close had passed: no confirmation asked.
        static let confirmed = RecentEntries(leaking: .max, growing: .max)
    }

    /// Whether this analysis makes a process `growing` that was not (or `leaking`, which is at
    /// least growing): the window passes the same persistence tests as for `leaking`, relative to
    /// its own slope instead of growth_max, at a slope worth naming (or a forecast crash within
    /// `captureBefore`); or a long history of two windows or more rises slowly and steadily.
    /// `growing` costs a baseline snapshot.
    static func entersGrowing(_ a: FloorAnalysis, long: FloorAnalysis?, nearLimit: Bool, policy: TrendPolicy) -> Bool {
        let slope = a.fit.slope
        let significant = slope > 0 && a.trend.z > 0 && a.trend.pUpward < policy.significance
        let worthNaming = slope >= worthNamingSlope(holding: false, policy: policy) || nearLimit
        if significant, risesSteadily(a, policy: policy), worthNaming, !isSettling(a, policy: policy), !fallsBack(a, policy: policy),
           a.recentSlope > 0, a.recentSlope >= 0.5 * policy.recentSlopeRatio * slope {
            return true
        }
        if let long2 = longHistory(long, policy: policy), slowGrowth(long2, nearLimit: nearLimit, holding: false, policy: policy) {
            return true
        }
        return false
    }

    /// A warm-up settles: the window's slope keeps falling from one window to the next.
    static func isSettling(_ a: FloorAnalysis, policy: TrendPolicy) -> Bool {
        (a.slopeDecay ?? 1) < policy.settlingRatio
    }

    /// The floor falls back a lot (held memory being released): its largest fall in the window
    /// exceeds `drawdownRatio` of its rise plus `drawdownNoise` × its noise. A leak's does not.
    static func fallsBack(_ a: FloorAnalysis, policy: TrendPolicy) -> Bool {
        a.drawdown > policy.drawdownRatio * max(0, a.thirdFloors[2] - a.thirdFloors[0]) + policy.drawdownNoise * a.noise
    }

    /// Whether this analysis makes a process `leaking` that was not:
    /// - the window passes `leaksSteadily`, unless the 2 h history's current regime rules out
    ///   growth_max, or the window swings like a bursty one and a history of two windows or more
    ///   rules it out (uploads that overlap can raise the floor steadily for a whole window), or
    ///   the history is not the window's (`historyDoubtsTheWindow`); the slope's t-test counts
    ///   only when the 2 h history has no regime older than the window or that regime grows at
    ///   growth_max or more (after a warm-up, its tail keeps the regime's bound over growth_max
    ///   while one window of noise reads as a leak);
    /// - early on, the history since the start, once a quarter longer than the window and until it
    ///   spans two, passes the same tests while the window is not settling: the slope of 20
    ///   minutes is far surer than that of the last 15 (its error falls as the span to the power
    ///   1.5), so a leak near growth_max under noise is found sooner. Later the long history holds
    ///   a leak that has stopped for an hour or more, so it does not start one;
    /// - the window swings like a bursty one and the long history (two windows or more) rises
    ///   steadily over growth_max: a slow sawtooth hides a leak from the window.
    static func entersLeaking(
        _ a: FloorAnalysis, long: FloorAnalysis?, history: Statistics.TheilSen?, regime: HistoryRegime?, policy: TrendPolicy
    ) -> Bool {
        let growthMax = policy.growthMax / 3600
        // The 2 h history's current regime does not rule out growth_max.
        guard (history?.slopeUpper ?? .infinity) >= growthMax else { return false }
        guard !historyDoubtsTheWindow(a, long: long, regime: regime, policy: policy) else { return false }
        let swings = swingsLikeBursts(a, policy: policy)
        let long2 = longHistory(long, policy: policy)
        let slopeTests = (history?.slope ?? .infinity) >= growthMax
        if !swings || (long2?.fit.slopeUpper ?? .infinity) >= growthMax, leaksSteadily(a, slopeTests: slopeTests, policy: policy) { return true }
        if !isSettling(a, policy: policy), let long, outlastsWindow(long, a, policy: policy), long.span < 2 * policy.window,
           leaksSteadily(long, slopeTests: slopeTests, policy: policy) {
            return true
        }
        if let long2, swings, slowGrowth(long2, nearLimit: false, holding: false, policy: policy),
           leakRate(long2.fit, holding: false, policy: policy) {
            return true
        }
        return false
    }

    /// A history a quarter longer than the window that grows slower than growth_max, whose current
    /// regime does not start with a change clear of the noise (F ≥ `regimeEntryF`) into growth
    /// that growth_max lies within: the window's steeper slope is then the noise of one window, not
    /// a leak. A leak that starts late shows as such a change within minutes of its start (F 16–146
    /// where the window alone first found a 30 MiB/h leak 8.5–23 minutes after 3 flat hours, 12
    /// seeds; with this rule each was found at most 5 minutes later, the slowest at the same time);
    /// one window of noise on a flat 2 GiB process under σ 8 MiB passed the window's tests with the
    /// history since the start reading 3.1 MiB/h (F 16 at its "change"), or 16.4 MiB/h with no change.
    static func historyDoubtsTheWindow(_ a: FloorAnalysis, long: FloorAnalysis?, regime: HistoryRegime?, policy: TrendPolicy) -> Bool {
        let growthMax = policy.growthMax / 3600
        guard let long, outlastsWindow(long, a, policy: policy), long.fit.slope < growthMax else { return false }
        guard let regime, regime.changeF >= policy.regimeEntryF, let fit = regime.fit else { return true }
        return fit.slopeUpper < growthMax
    }

    /// The long history is a quarter of a window longer than the window: enough more data for its
    /// slope to weigh against the window's (its error falls as the span to the power 1.5).
    static func outlastsWindow(_ long: FloorAnalysis, _ a: FloorAnalysis, policy: TrendPolicy) -> Bool {
        long.span > a.span + policy.window / 4
    }

    /// The long history when it spans two windows or more: long enough to tell a slow trend the
    /// window cannot, and to rule out a rate the window shows by chance.
    static func longHistory(_ long: FloorAnalysis?, policy: TrendPolicy) -> FloorAnalysis? {
        long.flatMap { $0.span >= 2 * policy.window ? $0 : nil }
    }

    /// The window swings like a bursty one: its highest anon over its lowest floor by more than
    /// `burstyFraction` of the median floor and `burstyMinBytes`.
    static func swingsLikeBursts(_ a: FloorAnalysis, policy: TrendPolicy) -> Bool {
        a.swing > max(policy.burstyMinBytes, policy.burstyFraction * a.medianFloor)
    }

    /// The window's tests for `leaking`, on the window or the longer history: an upward trend
    /// significant over the whole span (`risesSignificantly`) at a rate over growth_max
    /// (`leakRate`, with the slope's t-test), a floor that keeps rising through each third at that
    /// pace without slowing much (a warm-up settling) or jumping (a step), still climbing in the
    /// last third (a plateau reached there is flat), not settling from one window to the next, and
    /// not falling back much (held memory being released). The thirds' and the last third's tests
    /// allow a shortfall within `shapeNoise` and `recentSlopeNoise` standard errors. The slope's
    /// t-test counts (`slopeTests`) only where the window is all there is: it stands in for
    /// Mann–Kendall, which saturates on 15 points; a history regime older than the window has
    /// points enough, and its slope must reach growth_max for the t-test to count.
    static func leaksSteadily(_ a: FloorAnalysis, slopeTests: Bool, policy: TrendPolicy) -> Bool {
        let slopeTest = slopeTests ? a.slopeTest : nil
        let slope = a.fit.slope
        let growthMax = policy.growthMax / 3600
        let k = policy.shapeNoise
        let pace = policy.floorRiseRatio * growthMax * a.thirdSeconds
        let keepsPace = a.earlyRise >= pace - k * a.riseError(into: 1) && a.lateRise >= pace - k * a.riseError(into: 2)
        let recentClimbs = a.recentSlope >= policy.recentSlopeRatio * max(growthMax, 0.5 * slope)
            - policy.recentSlopeNoise * a.recentSlopeError
        let significant = risesSignificantly(slope: slope, trend: a.trend, slopeTest: slopeTest, policy: policy)
        return significant && leakRate(a.fit, slopeTest: slopeTest, holding: false, policy: policy)
            && risesSteadily(a, slack: k, policy: policy) && keepsPace && recentClimbs
            && !isSettling(a, policy: policy) && !fallsBack(a, policy: policy)
    }

    /// An upward trend significant enough to enter `leaking`: Mann–Kendall under `significance`,
    /// or the slope's t-test under it with Mann–Kendall under `corroboratingSignificance`. On
    /// 15 one-minute floors (a window at scale 4) a 30 MiB/h leak gives Mann–Kendall an expected
    /// z of about 3.1, right at the 3.09 that p < 0.001 needs, so half its windows fail by
    /// chance; the t-test weighs the size of the rise and expects about 4.5. Requiring both
    /// keeps a single wild point (which the t-test overrates) or a sign pattern without size
    /// (which Mann–Kendall overrates) from passing alone.
    static func risesSignificantly(
        slope: Double, trend: Statistics.MannKendall, slopeTest: Statistics.SlopeTest?, policy: TrendPolicy
    ) -> Bool {
        guard slope > 0, trend.z > 0 else { return false }
        if trend.pUpward < policy.significance { return true }
        guard let slopeTest else { return false }
        return slopeTest.pUpward < policy.significance && trend.pUpward < policy.corroboratingSignificance
    }

    /// Persistence: the floor level of each third sits above the one before, and the growth has
    /// neither slowed down much (a warm-up settling) nor jumped (a step). With a `slack`, the
    /// slowing must show beyond that many standard errors of the thirds' levels.
    static func risesSteadily(_ a: FloorAnalysis, slack: Double = 0, policy: TrendPolicy) -> Bool {
        let r = policy.decelerationRatio
        return a.earlyRise > 0 && a.lateRise > 0
            && a.lateRise - r * a.earlyRise >= -slack * a.slowingError(ratio: r)
            && a.earlyRise >= policy.accelerationRatio * a.lateRise
            && a.thirdFloors[2] - a.thirdFloors[0] >= policy.floorRiseRatio * a.fit.slope * 2 * a.thirdSeconds
    }

    /// The least slope worth calling `growing`, bytes per second: `growingMinRatio` of growth_max
    /// to enter, half that to stay (`holding`), so a leak at the threshold's rate does not flap
    /// around it.
    static func worthNamingSlope(holding: Bool, policy: TrendPolicy) -> Double {
        (holding ? 0.5 : 1) * policy.growingMinRatio * policy.growthMax / 3600
    }

    /// A slope fast enough for `leaking`: over growth_max with its interval clearing
    /// `lowerSlopeRatio` of it (not just zero) to enter; over half of growth_max to stay
    /// (`holding`). The interval's lower end is Sen's, or, with a `slopeTest`, the higher of Sen's
    /// and slope − intervalZ × its standard error: Sen's interval is built from Mann–Kendall's
    /// variance and saturates on few points as the test does (`risesSignificantly`).
    static func leakRate(
        _ fit: Statistics.TheilSen, slopeTest: Statistics.SlopeTest? = nil, holding: Bool, policy: TrendPolicy
    ) -> Bool {
        let growthMax = policy.growthMax / 3600
        if holding { return fit.slope > 0.5 * growthMax }
        let tLower = slopeTest.map { fit.slope - policy.intervalZ * $0.standardError } ?? -.infinity
        return fit.slope > growthMax && max(fit.slopeLower, tLower) >= policy.lowerSlopeRatio * growthMax
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
