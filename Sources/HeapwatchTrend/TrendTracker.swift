#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Incremental, bounded-memory tracker for ONE process instance (pid + start time). A new
/// instance gets a new tracker. Pure and clock-free: time comes with the samples.
///
/// The signal is the floor: the per-bucket minimum of `RssAnon` (a bucket is a few ticks), which
/// removes the fast GC sawtooth; buckets are merged by 2 or 4 when that shows the trend more
/// clearly (a slower sawtooth), a merged point's floor being the mean of its lowest samples
/// (`FloorEstimate`). Over the window, Theil–Sen gives the slope and Mann–Kendall its
/// significance. `leaking` also needs the floor level of each third of the window to keep rising
/// at a pace that neither slows down (a warm-up settling, a plateau) nor jumps (a step), the last
/// third to be still climbing, and the floor not to fall back (held memory being released), and
/// the 2 h history not to rule growth_max out (nor, when it grows slower, to show no clear change
/// into the window's rate: `historyDoubtsTheWindow`). `leaking` and `growing` end only after the window
/// has stopped showing them for half a window (`hold`), so noise does not make the state flap;
/// each begins only when 2 of the last 4 bucket closes pass its tests (`entryConfirmations`), so
/// one window of noise raises no alert and takes no baseline snapshot. A 2 h coarse history finds leaks too slow for one window, and early
/// on, the history since the start finds a leak the window's noisier slope misses; the forecast extrapolates the
/// current regime (see `forecastBasis`): the history since its last change when that change lies
/// before the window, the part of the window since a change inside it, or else the window.
/// The trend does not see the memory our own captures leave behind (`CaptureSplice`): the daemon
/// says when each begins and ends.
///
/// Memory: two windows of at most `maxBuckets` + 2 buckets and one slope per bucket, whatever
/// the run time. Cost per closed bucket: O(buckets²) (Theil–Sen, Mann–Kendall).
public struct TrendTracker: Sendable {
    public let policy: TrendPolicy
    private var floors: FloorWindow
    /// A longer, coarser history of the floor (`forecastWindow`), for a steadier forecast slope.
    private var longFloors: FloorWindow
    private var longAnalysis: FloorAnalysis?
    /// The long history's current regime, found when a long bucket closes.
    private var historyRegime: HistoryRegime?
    private var lastTime: Double?
    private var analysis: FloorAnalysis?
    /// What the forecast extrapolates, chosen when a bucket closes.
    private var forecastBasis: ForecastBasis = .window
    /// Which of the last 4 bucket closes passed `entersLeaking` and `entersGrowing` (bit 0: the
    /// newest), judged as each closes (`feedAndJudge`).
    private var leakPasses: UInt8 = 0
    private var growPasses: UInt8 = 0
    /// Counts the window's analyses, so each is judged once.
    private var analysisSerial = 0
    private var judgedSerial = 0
    /// (time, window slope) at each bucket close over the last window, oldest first: to tell a
    /// warm-up that is settling (its slope keeps falling) from a steady leak.
    private var slopeHistory: [SlopeMark] = []
    /// The last classification of a full window, ignoring `over_limit`: hysteresis survives a
    /// spell over the limit.
    private var trendState: TrendState = .warmingUp
    /// Since when `classify` has put a `leaking` or `growing` process lower (nil while it agrees).
    private var lapse: Double?
    private var overLimit = OverLimit.under
    /// Takes the steps our own captures leave out of what the trend sees.
    private var splice: CaptureSplice
    public private(set) var assessment: TrendAssessment = .warmingUp
    /// While the step after a capture is measured: the copy whose assessments are shown, with the
    /// step and the number of held samples it was fed.
    private var shadow: Shadow?

    /// `indirect`: a struct cannot hold a value of its own type inline.
    indirect enum Shadow: Sendable {
        case copy(TrendTracker, step: Double, count: Int)
    }

    struct SlopeMark: Sendable {
        var time: Double
        var fit: Statistics.TheilSen
    }

    public init(policy: TrendPolicy) {
        self.policy = policy
        splice = CaptureSplice(settleSeconds: policy.window * CaptureSplice.settleShareOfWindow)
        floors = FloorWindow(
            window: policy.window,
            maxBuckets: policy.maxBuckets,
            minTicksPerBucket: policy.minTicksPerBucket
        )
        longFloors = FloorWindow(
            window: max(policy.window, policy.forecastWindow),
            maxBuckets: policy.maxBuckets,
            minTicksPerBucket: policy.minTicksPerBucket
        )
    }

    /// Takes one sample and returns the new assessment. A sample not later than the previous one
    /// only refreshes the over-limit check.
    @discardableResult
    public mutating func record(_ sample: TrendSample, limits: MemoryLimits) -> TrendAssessment {
        let now: Double
        var fed: [TrendSample] = []
        if let lastTime, sample.time <= lastTime {
            now = lastTime
        } else {
            now = sample.time
            lastTime = now
            fed = splice.take(sample)
        }
        // Worked out once a tick: while a capture settles it takes the median of its points.
        let levelOffset = splice.levelOffset
        let provisional = splice.provisional
        if case let .copy(shown, _, _)? = shadow, provisional == nil {
            // The step is measured (or another capture began): what was shown goes on.
            trendState = shown.trendState
            lapse = shown.lapse
            shadow = nil
        }
        for spliced in fed { feedAndJudge(spliced, limits: limits, levelOffset: levelOffset) }
        // While the step after a capture is measured, the trend is judged on a copy fed the held
        // samples spliced with the step their complete points give so far: a leak goes on being
        // seen (or a plateau) instead of waiting out the measurement with the state before it.
        // The tracker itself takes them in once the step is measured, and goes on from the state
        // the copy showed, so the state does not flap back when it does.
        // The copy is made before this tick's `assess` moves the tracker's own state on.
        var copy = provisional.map { provisionalCopy(step: $0.step, held: $0.samples, limits: limits, levelOffset: levelOffset) }
        assessment = assess(sample, limits: limits, now: now, levelOffset: levelOffset)
        if let provisional, var shown = copy.take() {
            assessment = shown.assess(sample, limits: limits, now: now, levelOffset: levelOffset)
            shadow = .copy(shown, step: provisional.step, count: provisional.samples.count)
        }
        assessment.captureResidueBytes = levelOffset
        assessment.trendPaused = splice.isBusy
        return assessment
    }

    /// A heap snapshot of this process begins at `time` (same clock as the samples): the trend
    /// leaves out the samples taken while it runs and the step it leaves behind (`CaptureSplice`).
    public mutating func captureStarted(at time: Double) {
        let bucket = floors.bucketSeconds ?? policy.window / Double(policy.maxBuckets)
        var reference: CaptureSplice.Reference?
        if let analysis {
            // The current regime's line; a step within the floor's noise or its usual swing is
            // the process's own variation.
            let line = Self.forecastLine(analysis, basis: forecastBasis, now: time)
            reference = .init(time: time, level: line.level, slope: max(0, line.slope),
                              minStep: max(3 * analysis.noise, analysis.excursion))
        } else if let floor = floors.latestFloor {
            reference = .init(time: time, level: floor, slope: 0)
        }
        splice.captureStarted(reference: reference, width: bucket * Double(analysis?.scale ?? 1))
    }

    /// The capture begun by `captureStarted` ended. `touched` is false when it was refused before
    /// anything was sent to the process.
    public mutating func captureEnded(at time: Double, touched: Bool) {
        splice.captureEnded(at: time, touched: touched)
    }

    /// The copy judged while a capture's step is measured: the last one fed the samples held
    /// since, when the step is the same; else a new copy of this tracker fed all of them, which
    /// keeps the state the last copy showed (its hold goes on).
    private func provisionalCopy(step: Double, held: [TrendSample], limits: MemoryLimits, levelOffset: Double) -> TrendTracker {
        var copy: TrendTracker
        var start = 0
        if case let .copy(last, lastStep, count)? = shadow, lastStep == step, count <= held.count {
            copy = last
            start = count
        } else {
            copy = self
            copy.shadow = nil
            if case let .copy(last, _, _)? = shadow {
                copy.trendState = last.trendState
                copy.lapse = last.lapse
            }
        }
        for spliced in held[start...] { copy.feedAndJudge(spliced, limits: limits, levelOffset: levelOffset) }
        return copy
    }

    /// Feeds a sample (spliced) and, when it closes a bucket, judges the window's new analysis
    /// against the tests for entering `leaking` and `growing` (`leakPasses`, `growPasses`): each
    /// bucket close is judged, also those in the samples held back after a capture and fed at once.
    private mutating func feedAndJudge(_ sample: TrendSample, limits: MemoryLimits, levelOffset: Double) {
        feed(sample)
        guard let analysis, judgedSerial != analysisSerial else { return }
        judgedSerial = analysisSerial
        let eta = forecast(analysis, sample: sample, limits: limits, now: sample.time, levelOffset: levelOffset).eta
        let leaks = Self.entersLeaking(analysis, long: longAnalysis, history: forecastBasis.history, regime: historyRegime,
                                       policy: policy)
        let grows = leaks || Self.entersGrowing(analysis, long: longAnalysis, nearLimit: (eta ?? .infinity) < policy.captureBefore,
                                                policy: policy)
        leakPasses = ((leakPasses << 1) | (leaks ? 1 : 0)) & 0xF
        growPasses = ((growPasses << 1) | (grows ? 1 : 0)) & 0xF
    }

    /// The forecast at `now`: the current regime's line (the trend runs on the spliced floor) from
    /// the memory really held (`levelOffset` added back).
    private func forecast(_ analysis: FloorAnalysis, sample: TrendSample, limits: MemoryLimits, now: Double,
                          levelOffset: Double) -> Forecast {
        var line = Self.forecastLine(analysis, basis: forecastBasis, now: now)
        line.level += levelOffset
        return Forecast(
            anon: line,
            excursion: analysis.excursion,
            heap: analysis.heapFit.map { Forecast.Line($0, at: now) },
            sample: sample,
            limits: limits,
            minSpread: policy.etaSpread
        )
    }

    /// Adds a sample, spliced, to the window and the long history.
    private mutating func feed(_ sample: TrendSample) {
        if longFloors.add(sample) {
            longAnalysis = longFloors.closedSpan > policy.window ? FloorAnalysis(longFloors, policy: policy) : nil
            historyRegime = Self.historyRegime(longFloors, policy: policy)
        }
        if floors.add(sample) {
            analysis = FloorAnalysis(floors, policy: policy)
            if var current = analysis {
                current.slopeDecay = Self.slopeDecay(history: slopeHistory, now: sample.time, fit: current.fit, window: policy.window)
                analysis = current
                forecastBasis = Self.forecastBasis(analysis: current, history: historyRegime, policy: policy)
                analysisSerial += 1
                slopeHistory.append(SlopeMark(time: sample.time, fit: current.fit))
                slopeHistory.removeAll { $0.time < sample.time - policy.window }
            }
        }
    }

    /// Items held in memory (buckets, pending samples, slope history): stays bounded however long
    /// it runs.
    public var storedItemCount: Int { floors.storedCount + longFloors.storedCount + slopeHistory.count + splice.storedCount }

    /// How the window slope changed from the oldest remembered one to now, scaled to one window:
    /// (now / then)^(window / Δt). Nil unless the oldest is at least a third of a window old and
    /// the fall is significant (the old interval lies wholly above the new one).
    static func slopeDecay(history: [SlopeMark], now: Double, fit: Statistics.TheilSen, window: Double) -> Double? {
        guard let oldest = history.first, oldest.fit.slope > 0, now - oldest.time >= window / 3,
              oldest.fit.slopeLower > fit.slopeUpper
        else { return nil }
        let ratio = max(0, fit.slope) / oldest.fit.slope
        return pow(ratio, window / (now - oldest.time))
    }

    /// `levelOffset`: the bytes the splice has taken off the trend (`CaptureSplice.levelOffset`).
    private mutating func assess(_ sample: TrendSample, limits: MemoryLimits, now: Double, levelOffset: Double) -> TrendAssessment {
        overLimit = Self.overLimit(held: sample.rssBytes + sample.swapBytes, limits: limits, policy: policy, now: now, was: overLimit)
        guard let analysis else {
            return TrendAssessment(state: overLimit.isOver ? .overLimit : .warmingUp)
        }
        let forecast = forecast(analysis, sample: sample, limits: limits, now: now, levelOffset: levelOffset)
        let observed = now - (floors.origin ?? now)
        let fullWindow = observed >= policy.window
            && analysis.bucketCount >= max(policy.minBuckets, floors.bucketsPerWindow / 2)
        var trend: TrendState
        if fullWindow {
            trend = Self.classify(analysis, long: longAnalysis, history: forecastBasis.history, regime: historyRegime,
                                  forecast: forecast, previous: trendState,
                                  recent: RecentEntries(leaking: leakPasses.nonzeroBitCount, growing: growPasses.nonzeroBitCount),
                                  policy: policy)
        } else if trendState == .growing
                    || Self.crashesBeforeJudged(analysis, forecast: forecast, observed: observed,
                                                growingPasses: growPasses.nonzeroBitCount, policy: policy) {
            trend = .growing
        } else {
            trend = .warmingUp
        }
        (trend, lapse) = Self.hold(trend, was: trendState, lapse: lapse, now: now, policy: policy)
        trendState = trend
        let state = overLimit.isOver ? .overLimit : trend
        let perHour = 3600.0
        let showsForecast = state == .growing || state == .leaking || state == .overLimit
        return TrendAssessment(
            state: state,
            slopeBytesPerHour: analysis.fit.slope * perHour,
            slopeLowerBytesPerHour: analysis.fit.slopeLower * perHour,
            slopeUpperBytesPerHour: analysis.fit.slopeUpper * perHour,
            recentSlopeBytesPerHour: analysis.recentSlope * perHour,
            confidence: analysis.trend.upwardConfidence,
            floorBytes: analysis.fit.value(at: now) + levelOffset,
            effectiveLimitBytes: forecast.effectiveLimit,
            etaSeconds: showsForecast ? forecast.eta : nil,
            etaLowerSeconds: showsForecast ? forecast.etaLower : nil,
            etaUpperSeconds: showsForecast ? forecast.etaUpper : nil,
            etaLimit: showsForecast ? forecast.etaLimit : nil,
            spanSeconds: analysis.span
        )
    }

    /// A process still warming up (less than a window of history) whose floor rises steadily
    /// towards a limit it is forecast to reach before its first window is full or less than
    /// `minCaptureGap` after (judged then, it could not have a second snapshot: a real leaky app
    /// forecast to die 90 s after its window, and dead before it, was never judged), and sooner
    /// than it has been watched: it
    /// would die before a window can tell a leak from a warm-up (a
    /// service that leaks from the start and is killed every few minutes was never judged, and
    /// got a snapshot only over 90 % of its limit), so it is `growing` — a forecast shown, a
    /// snapshot taken while there is still headroom — on the tests that take a full window into
    /// `growing` (`entersGrowing` with the crash near, at `entryConfirmations` of the last 4
    /// bucket closes), over at least `minBuckets` buckets. Not extrapolating further ahead than
    /// the data reaches back keeps a warm-up's ramp and the first rise of a slow sawtooth out;
    /// a process that would outlive its first window is left to it. It stays `growing` for the
    /// rest of the warm-up; then the window judges it, with the usual hold.
    static func crashesBeforeJudged(_ a: FloorAnalysis, forecast: Forecast, observed: Double, growingPasses: Int,
                                    policy: TrendPolicy) -> Bool {
        guard a.bucketCount >= policy.minBuckets, let eta = forecast.eta, eta < policy.captureBefore,
              eta < policy.window - observed + policy.minCaptureGap, eta <= observed
        else { return false }
        return growingPasses >= policy.entryConfirmations
    }

    /// `leaking` lasts until `classify` has said otherwise, and `growing` until it has said `ok` or
    /// `bursty`, for `holdRatio` of a window without a break; returns the state and since when
    /// `classify` has disagreed (nil unless it does). Rising is never held back.
    static func hold(
        _ trend: TrendState, was: TrendState, lapse: Double?, now: Double, policy: TrendPolicy
    ) -> (TrendState, Double?) {
        let lower: Bool
        switch was {
        case .leaking: lower = trend != .leaking
        case .growing: lower = trend == .ok || trend == .bursty
        default: lower = false
        }
        guard lower else { return (trend, nil) }
        let since = lapse ?? now
        return now - since < policy.holdRatio * policy.window ? (was, since) : (trend, nil)
    }

    /// Whether the process is over its limit; when it is, since when the memory it holds has been
    /// back under the exit line (nil while it is not).
    enum OverLimit: Sendable, Equatable {
        case under
        case over(underSince: Double?)

        var isOver: Bool { self != .under }
    }

    /// Over when `held` (the memory the process holds: RSS plus swap, as the forecast counts it,
    /// so a process the forecast puts past its limit is not `ok` because the kernel swapped its
    /// leak out) exceeds `rss_max` or `overLimitFraction` of the cgroup limit. The host's memory
    /// is not a line here: on a host short of memory every process would be over it. Once over,
    /// it stays over until `held` has been `overLimitHysteresis` (a fraction) below the line for
    /// `overLimitClear` seconds, so noise or a GC trough at the line does not make the state flap.
    static func overLimit(held: Double, limits: MemoryLimits, policy: TrendPolicy, now: Double, was: OverLimit) -> OverLimit {
        func over(_ margin: Double) -> Bool {
            if let rssMax = limits.rssMaxBytes, rssMax > 0, held > margin * rssMax { return true }
            if let cgroup = limits.cgroupBytes, cgroup > 0, held > margin * policy.overLimitFraction * cgroup { return true }
            return false
        }
        guard case let .over(underSince) = was else { return over(1) ? .over(underSince: nil) : .under }
        if over(1 - policy.overLimitHysteresis) { return .over(underSince: nil) }
        let since = underSince ?? now
        return now - since >= policy.overLimitClear ? .under : .over(underSince: since)
    }
}
