/// The automatic snapshot a leak episode still expects, and what it waits for: what a person on
/// call asks when `status` says `leaking` and no snapshot comes.
public struct PendingCapture: Sendable, Equatable {
    public enum Wait: String, Sendable, Equatable {
        /// Nothing holds it back: the next assessment that asks takes it (`decide`).
        case due
        /// `cooldown` since the last capture, automatic or manual.
        case cooldown
        /// The forecast crash comes before the cooldown ends: the next comes halfway to it
        /// (`CapturePlanner.crashOutrunsCooldown`).
        case beforeCrash = "before_crash"
        /// The last one failed or was refused; asked again after `retryDelay`.
        case retry
        /// Only the near-limit one is left: it comes when the forecast crash is closer than `capture_before`.
        case forecast
    }

    public var reason: CaptureReason
    /// Seconds on the planner's clock it can come at; nil when it waits for the forecast.
    public var notBefore: Double?
    public var wait: Wait

    public init(reason: CaptureReason, notBefore: Double?, wait: Wait) {
        self.reason = reason
        self.notBefore = notBefore
        self.wait = wait
    }
}

extension CapturePlanner {
    /// The next automatic capture of the episode under way and what holds it back; nil when there
    /// is no active episode or it has taken all it will (`decide` asks the same `nextReason`).
    /// `assessment`: the process's latest, whose forecast may cut the cooldown short.
    public func pending(now: Double, assessment: TrendAssessment? = nil) -> PendingCapture? {
        guard let episode, episode.calmSince == nil, episode.captures.count < Self.maxPerEpisode else { return nil }
        let reason: CaptureReason
        if let next = Self.nextReason(after: episode.captures, overLimit: false, nearLimit: false) {
            reason = next
        } else if !episode.captures.contains(.nearLimit) {
            reason = .nearLimit
        } else {
            return nil
        }
        // Both hold it back (`decide`): the later one says when.
        let cooldown = lastCaptureAt.map { last -> (Double, PendingCapture.Wait) in
            let early = assessment.flatMap { Self.crashOutrunsCooldown($0, sinceLast: now - last, policy: policy) }
            return early.map { (now + $0, .beforeCrash) } ?? (last + policy.cooldown, .cooldown)
        }
        let holds = [retryAfter.map { ($0, PendingCapture.Wait.retry) }, cooldown]
        if let (until, wait) = holds.compactMap({ $0 }).filter({ $0.0 > now }).max(by: { $0.0 < $1.0 }) {
            return PendingCapture(reason: reason, notBefore: until, wait: wait)
        }
        return reason == .nearLimit ? PendingCapture(reason: reason, notBefore: nil, wait: .forecast)
            : PendingCapture(reason: reason, notBefore: now, wait: .due)
    }
}
