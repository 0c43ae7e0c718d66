import HeapwatchTrend

/// How one detector did on one case. Times in seconds.
struct DetectorResult: Sendable {
    /// First alert at or after the leak start, seconds after the leak start.
    var latency: Double?
    /// Alerts raised on a non-leak, or before the leak started.
    var falseAlerts = 0
}

struct CaseResult: Sendable {
    var heapwatch = DetectorResult()
    /// Entries into `growing` on a non-leak (not an alert, but they cost a baseline snapshot).
    var falseGrowing = 0
    /// For leaks that only have to be `growing`: first growing/leaking after the start.
    var growingLatency: Double?
    var finalState: TrendState = .warmingUp
    /// Entries into `leaking` once the leak has started: each is a `leak detected` warning and
    /// sink event. One per leak is right; more is the state flapping.
    var leakAlerts = 0
    /// State changes after the first full window, per hour of trace: each is a journald line, a
    /// history event and a `state_change` (or alert) sink event.
    var changesPerHour = 0.0
    /// For a leak that stops: seconds from the stop to the end of the last `leaking` spell (0 when
    /// it was not `leaking` at the stop); nil when still `leaking` at the end of the trace.
    var clearedAfterStop: Double?
    /// Relative ETA error at the first `leaking`, and the share of `leaking` ticks within ±20 %.
    var etaErrorAtDetection: Double?
    var etaWithin20: Double?
    /// Share of `leaking` ticks whose forecast range (earliest to latest) holds the true time left.
    var rangeHoldsTruth: Double?
    var captures: [String] = []
    /// Seconds from the start of the trace to the first capture the planner asked for.
    var firstCaptureAt: Double?
    var threshold = DetectorResult()
    var memwatch = DetectorResult()
}

/// What each capture the planner asks for does to the trace: the memory a real snapshot leaves
/// resident (`--capture-step`; none by default), and whether the tracker is told of the capture
/// (as heapwatchd does, and by default).
struct CaptureEffect: Sendable {
    var stepBytes: Double = 0
    var tellTracker = true
}

enum Evaluation {
    /// `observe` sees each sample as the tracker got it, its assessment and the true time left.
    static func run(_ c: BenchCase, captures effect: CaptureEffect = CaptureEffect(),
                    observe: ((TrendSample, TrendAssessment, Double?) -> Void)? = nil) -> CaseResult {
        var result = CaseResult()
        var tracker = TrendTracker(policy: c.policy)
        var planner = CapturePlanner(policy: c.policy)
        var pm2 = ThresholdBaseline(thresholdBytes: c.thresholdBytes)
        var memwatch = ConsecutiveIncreaseBaseline()
        var previous: TrendState = .warmingUp
        var pm2Was = false
        var memwatchWas = false
        var etaTicks = 0
        var pastStop = false
        var changes = 0
        var etaGood = 0
        var rangeGood = 0
        let start = c.samples.first?.time ?? 0
        // Memory left by the captures so far, and a capture whose step lands on the next sample.
        var resident = 0.0
        var capturing = false

        for original in c.samples {
            var sample = original
            if capturing { resident += effect.stepBytes }
            sample.anonBytes += resident
            sample.rssBytes += resident
            let a = tracker.record(sample, limits: c.limits)
            let elapsed = sample.time - start
            observe?(sample, a, c.timeLeft(elapsed: elapsed, captured: resident))
            if capturing {
                capturing = false
                if effect.tellTracker { tracker.captureEnded(at: sample.time + 1, touched: true) }
            }
            let leakOn = c.leakStart.map { elapsed >= $0 } ?? false
            let sinceLeak = c.leakStart.map { elapsed - $0 } ?? 0

            if a.state == .leaking && previous != .leaking {
                if leakOn {
                    result.leakAlerts += 1
                    if result.heapwatch.latency == nil { result.heapwatch.latency = sinceLeak }
                } else {
                    result.heapwatch.falseAlerts += 1
                }
            }
            if a.state == .growing && previous != .growing && !c.isLeak { result.falseGrowing += 1 }
            if leakOn, result.growingLatency == nil, a.state == .growing || a.state == .leaking {
                result.growingLatency = sinceLeak
            }
            if a.state == .leaking, let eta = a.etaSeconds, let left = c.timeLeft(elapsed: elapsed, captured: resident) {
                let error = (eta - left) / left
                if result.etaErrorAtDetection == nil { result.etaErrorAtDetection = error }
                etaTicks += 1
                if abs(error) <= 0.2 { etaGood += 1 }
                if let earliest = a.etaLowerSeconds, earliest <= left, left <= a.etaUpperSeconds ?? .infinity { rangeGood += 1 }
            }
            if let reason = planner.decide(a, now: sample.time) {
                result.captures.append("\(reason.rawValue)@\(Report.duration(elapsed))")
                if result.firstCaptureAt == nil { result.firstCaptureAt = elapsed }
                // As heapwatchd does: the tracker leaves the capture's sample out and measures its step.
                capturing = true
                if effect.tellTracker { tracker.captureStarted(at: sample.time) }
            }
            if let stop = c.leakStop, elapsed >= stop {
                let sinceStop = elapsed - stop
                if a.state == .leaking {
                    result.clearedAfterStop = nil
                } else if previous == .leaking || !pastStop {
                    result.clearedAfterStop = sinceStop
                }
                pastStop = true
            }
            if a.state != previous, previous != .warmingUp { changes += 1 }
            previous = a.state

            let pm2Now = pm2.alert(sample)
            if pm2Now && !pm2Was { count(&result.threshold, leakOn: leakOn, sinceLeak: sinceLeak) }
            pm2Was = pm2Now
            let memwatchNow = memwatch.alert(sample)
            if memwatchNow && !memwatchWas { count(&result.memwatch, leakOn: leakOn, sinceLeak: sinceLeak) }
            memwatchWas = memwatchNow
        }
        result.finalState = tracker.assessment.state
        if let last = c.samples.last?.time, last > start { result.changesPerHour = Double(changes) * 3600 / (last - start) }
        if etaTicks > 0 {
            result.etaWithin20 = Double(etaGood) / Double(etaTicks)
            result.rangeHoldsTruth = Double(rangeGood) / Double(etaTicks)
        }
        return result
    }

    private static func count(_ r: inout DetectorResult, leakOn: Bool, sinceLeak: Double) {
        if leakOn {
            if r.latency == nil { r.latency = sinceLeak }
        } else {
            r.falseAlerts += 1
        }
    }
}
