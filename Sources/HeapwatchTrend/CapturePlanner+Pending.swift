/// The automatic snapshot a leak episode still expects, and what it waits for: what a person on
/// call asks when `status` says `leaking` and no snapshot comes.
public struct PendingCapture: Sendable, Equatable {
    public enum Wait: String, Sendable, Equatable {
        /// `cooldown` since the last capture, automatic or manual.
        case cooldown
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
    /// The next automatic capture of the episode under way; nil when there is no active episode,
    /// when it has its `maxPerEpisode` snapshots, or when nothing holds the next one back (it is
    /// taken at the next assessment that asks, see `decide`).
    public func pending(now: Double) -> PendingCapture? {
        guard let episode, episode.calmSince == nil, episode.captures.count < Self.maxPerEpisode else { return nil }
        let reason: CaptureReason
        if episode.captures.isEmpty {
            reason = .baseline
        } else if episode.captures.count == 1, episode.captures != [.followUp] {
            reason = .followUp
        } else if !episode.captures.contains(.nearLimit) {
            reason = .nearLimit
        } else {
            return nil
        }
        // Both hold it back (`decide`): the later one says when.
        let retry = retryAfter.flatMap { now < $0 ? PendingCapture(reason: reason, notBefore: $0, wait: .retry) : nil }
        let cooldown = lastCaptureAt.flatMap { now - $0 < policy.cooldown
            ? PendingCapture(reason: reason, notBefore: $0 + policy.cooldown, wait: .cooldown) : nil }
        if let held = [retry, cooldown].compactMap({ $0 }).max(by: { $0.notBefore! < $1.notBefore! }) { return held }
        return reason == .nearLimit ? PendingCapture(reason: reason, notBefore: nil, wait: .forecast) : nil
    }
}
