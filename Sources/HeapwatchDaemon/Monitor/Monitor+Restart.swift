import HeapwatchCore
import HeapwatchHistory
import HeapwatchTrend

/// What a restarted heapwatchd takes over from its last run: the captures in the store (daily
/// cap, cooldown, leak episode) and the samples in the history (each trend goes on where it was).
extension Monitor {
    /// The captures in the store (from its manifests), so a restart resets neither
    /// `max_captures_per_day` (the automatic ones of the last 24 h count) nor the cooldown and leak
    /// episode of a process instance still running (see `CapturePlanner.restore`).
    public func seedCaptures(_ captures: [StoredCapture]) {
        let time = now
        for capture in captures where capture.ageSeconds >= 0 {
            let reason = CaptureReason(rawValue: capture.reason)
            // A reason this build does not know counts toward the cap.
            if reason?.isAutomatic ?? true, capture.ageSeconds < 86400 {
                automaticCaptures[capture.target, default: []].append(time - capture.ageSeconds)
            }
            capturesByInstance[capture.identity, default: []].append((reason, time - capture.ageSeconds, capture.path, capture.originalPath))
        }
    }

    /// Seconds of samples a restarted daemon replays into each trend: the longest history a
    /// target's trend keeps (its forecast window, or its window when longer).
    public var resumeHorizon: Double {
        config.targets.map(Self.resumeSeconds).max() ?? 0
    }

    static func resumeSeconds(_ target: TargetConfig) -> Double {
        let policy = policy(target)
        return max(policy.window, policy.forecastWindow)
    }

    /// The samples an earlier run recorded of `identity` under `target`, within the target's
    /// horizon; nil when there are none.
    func recordedSamples(of identity: ProcessIdentity, target: TargetConfig) -> [RecordedTrendSample]? {
        guard let earlier = resumable[identity], earlier.target == target.name else { return nil }
        let horizon = now - Self.resumeSeconds(target)
        let samples = earlier.samples.filter { $0.sample.time >= horizon }
        return samples.isEmpty ? nil : samples
    }

    /// The samples an earlier run recorded (`HistoryStore.recentTicks`, Unix times; `wallNow` is
    /// the Unix time of now): each process instance still running, matched to the target it was
    /// recorded under, takes its own in at its first tick (`TrendTracker.resume`). Only the
    /// first discovery uses them.
    public func seedHistory(_ ticks: [RecordedTick], wallNow: Double) {
        let time = now
        var byInstance: [ProcessIdentity: (target: String, samples: [RecordedTrendSample])] = [:]
        for tick in ticks where tick.time <= wallNow {
            let s = tick.sample
            let identity = ProcessIdentity(pid: s.pid, startTime: s.startTime)
            let sample = TrendSample(time: time - (wallNow - tick.time), anonBytes: Double(s.anonBytes), rssBytes: Double(s.rssBytes),
                                     heapUsedBytes: s.heapUsedBytes.map(Double.init), swapBytes: Double(s.swapBytes))
            if let known = byInstance[identity], known.target != s.target { continue }
            byInstance[identity, default: (s.target, [])].samples.append(RecordedTrendSample(sample, capturing: s.capturing,
                                                                                                 captureEndedUntouched: s.captureEndedUntouched))
        }
        resumable = byInstance
    }

    static func policy(_ target: TargetConfig) -> TrendPolicy {
        TrendPolicy(window: target.window, growthMax: target.growthMax, captureBefore: target.captureBefore, cooldown: target.cooldown)
    }
}
