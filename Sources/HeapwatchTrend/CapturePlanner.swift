/// Why a heap snapshot is taken.
public enum CaptureReason: String, Sendable, Codable, CaseIterable {
    /// First snapshot of a leak episode, when the process first becomes `growing` or `leaking`.
    case baseline
    /// A later snapshot of the same episode, at least `cooldown` after the baseline.
    case followUp = "follow_up"
    /// The forecast crash is closer than `captureBefore`.
    case nearLimit = "near_limit"
    /// RSS plus swap is over `rss_max` or 90 % of the cgroup limit.
    case overLimit = "over_limit"
    /// Asked for by `heapwatchctl snapshot`.
    case manual
    /// Written by node on its own as its heap neared its limit (`--heapsnapshot-near-heap-limit`),
    /// and collected by heapwatchd.
    case heapLimit = "heap_limit"

    /// Whether heapwatchd's plan took it: it counts toward `max_captures_per_day` and takes a slot
    /// in a leak episode. Manual snapshots and node's own do not.
    public var isAutomatic: Bool { self != .manual && self != .heapLimit }
}

/// A run of `growing`/`leaking`/`over_limit` assessments of one process instance, ended by
/// `recovery` seconds of calm.
public struct LeakEpisode: Sendable, Equatable {
    public var startedAt: Double
    /// Captures taken in this episode, in order (at most `CapturePlanner.maxPerEpisode`).
    public var captures: [CaptureReason] = []
    /// Start of the current calm stretch; nil while the episode is active.
    public var calmSince: Double?
}

/// Pure capture decisions for one process instance. At most three snapshots per leak episode —
/// a baseline, a follow-up, one close to the limit — so the analysis can diff them; any two
/// automatic captures are at least `cooldown` apart. Clock-free: `now` is seconds on the same
/// clock as the samples.
public struct CapturePlanner: Sendable {
    public static let maxPerEpisode = 3

    public let policy: TrendPolicy
    public private(set) var episode: LeakEpisode?
    /// Time of the last capture decided (automatic or manual).
    public private(set) var lastCaptureAt: Double?
    /// No automatic capture before this time (set after a failed capture).
    public private(set) var retryAfter: Double?
    /// The last decision, kept so a failure (or a manual capture's refusal) can give its slot
    /// and its cooldown back.
    private var lastDecision: (reason: CaptureReason, previousCaptureAt: Double?)?

    public init(policy: TrendPolicy) {
        self.policy = policy
    }

    /// Feeds one assessment; returns a reason when a snapshot should be taken now. A returned
    /// reason counts as taken until `captureFailed(now:)` says otherwise.
    public mutating func decide(_ a: TrendAssessment, now: Double) -> CaptureReason? {
        let active = a.state == .growing || a.state == .leaking || a.state == .overLimit
        guard active else {
            if var calm = episode {
                let since = calm.calmSince ?? now
                calm.calmSince = since
                episode = now - since >= policy.recovery ? nil : calm
            }
            return nil
        }
        var current = episode ?? LeakEpisode(startedAt: now)
        current.calmSince = nil
        episode = current

        guard current.captures.count < Self.maxPerEpisode else { return nil }
        if let retryAfter, now < retryAfter { return nil }
        if let lastCaptureAt, now - lastCaptureAt < policy.cooldown,
           (Self.crashOutrunsCooldown(a, sinceLast: now - lastCaptureAt, policy: policy) ?? 1) > 0 {
            return nil
        }

        guard let reason = Self.nextReason(after: current.captures, overLimit: a.state == .overLimit,
                                           nearLimit: a.forecastsCrash(within: policy.captureBefore)) else { return nil }
        current.captures.append(reason)
        episode = current
        lastDecision = (reason, lastCaptureAt)
        lastCaptureAt = now
        retryAfter = nil
        return reason
    }

    /// Seconds from now until the next automatic capture may come although the cooldown since the
    /// last one (`sinceLast` seconds ago) has not ended, because the forecast's earliest crash comes
    /// first: waiting would leave a fast leak (a process killed minutes after it was first judged)
    /// one snapshot, which cannot say what grows. It comes halfway from the last capture to that
    /// crash, so the two lie as far apart in growth as the time allows, and at least
    /// `minCaptureGap` after the last; nil when the cooldown ends first (or there is no forecast).
    static func crashOutrunsCooldown(_ a: TrendAssessment, sinceLast: Double, policy: TrendPolicy) -> Double? {
        guard let crash = a.etaLowerSeconds ?? a.etaSeconds, sinceLast + crash < policy.cooldown else { return nil }
        return max(0, (crash - sinceLast) / 2, policy.minCaptureGap - sinceLast)
    }

    /// The capture an episode that took `captures` takes next, if any: over the limit, near it (once
    /// an episode), else a baseline, then a follow-up.
    static func nextReason(after captures: [CaptureReason], overLimit: Bool, nearLimit: Bool) -> CaptureReason? {
        if overLimit { return .overLimit }
        if nearLimit && !captures.contains(.nearLimit) { return .nearLimit }
        if captures.isEmpty { return .baseline }
        // A later one to diff with, whatever the first was: a fast leak's first capture is often
        // already near the limit, and one snapshot cannot say what grows.
        if captures.count == 1, captures != [.followUp] { return .followUp }
        return nil
    }

    /// The last decided capture failed or was refused: give its episode slot back, undo its
    /// cooldown, and ask again no sooner than `retryDelay` from now.
    public mutating func captureFailed(now: Double) {
        guard let decision = lastDecision, decision.reason != .manual else { return }
        lastDecision = nil
        lastCaptureAt = decision.previousCaptureAt
        retryAfter = now + policy.retryDelay
        if var current = episode, let index = current.captures.lastIndex(of: decision.reason) {
            current.captures.remove(at: index)
            episode = current
        }
    }

    /// A capture given up on (`captureFailed`) brought its snapshot after all (node wrote it once
    /// its event loop freed up): it takes its slot in the episode again, if the episode still has
    /// room, and the cooldown runs from now, so the plan does not ask for one more.
    public mutating func lateCaptureStored(_ reason: CaptureReason, now: Double) {
        lastCaptureAt = now
        retryAfter = nil
        guard reason.isAutomatic, var current = episode, current.captures.count < Self.maxPerEpisode else { return }
        current.captures.append(reason)
        episode = current
    }

    /// The captures this process instance had before this planner was made (heapwatchd restarted,
    /// or a reload re-watched the process), when each was taken (seconds on `now`'s clock) and why
    /// (nil: a reason this build does not know). The cooldown runs from the newest, so a restart
    /// does not snapshot a process again right away. When the newest is less than `recovery` old,
    /// its episode goes on with the automatic captures it had: two captures less than `recovery`
    /// apart belong to one episode, since an episode ends only after that long without growth.
    public mutating func restore(_ past: [(reason: CaptureReason?, at: Double)], now: Double) {
        let sorted = past.sorted { $0.at < $1.at }
        guard let newest = sorted.last else { return }
        lastCaptureAt = max(lastCaptureAt ?? -.infinity, newest.at)
        guard now - newest.at < policy.recovery else { return }
        var run = [newest]
        for capture in sorted.dropLast().reversed() {
            guard run[0].at - capture.at < policy.recovery else { break }
            run.insert(capture, at: 0)
        }
        let automatic = run.compactMap(\.reason).filter(\.isAutomatic)
        guard !automatic.isEmpty else { return }
        episode = LeakEpisode(startedAt: run[0].at, captures: Array(automatic.suffix(Self.maxPerEpisode)))
    }

    /// A manual snapshot (or one node took on its own) was taken: automatic ones keep `cooldown`
    /// from it, since it cost the process memory too. It uses no episode slot.
    public mutating func noteManualCapture(now: Double) {
        lastDecision = (.manual, lastCaptureAt)
        lastCaptureAt = now
    }

    /// The manual snapshot was refused before anything reached the process: it holds no automatic
    /// one back (a `snapshot` refused for want of a SIGUSR2 handler must not delay the baseline an hour).
    public mutating func manualCaptureRefused() {
        guard let decision = lastDecision, decision.reason == .manual else { return }
        lastDecision = nil
        lastCaptureAt = decision.previousCaptureAt
    }
}
