import HeapwatchCore
import HeapwatchTrend

extension Monitor {
    /// The automatic snapshot `process`'s leak episode waits for, for `status`: the planner's own
    /// wait (cooldown, retry, forecast), or the target's daily cap when that holds it longer.
    func nextCapture(_ process: WatchedProcess, target: TargetConfig) -> NextCapture? {
        guard target.capture != .none, let episode = process.planner.episode, episode.calmSince == nil else { return nil }
        let planned = process.planner.pending(now: now)
        guard planned != nil || episode.captures.count < CapturePlanner.maxPerEpisode else { return nil }
        let recent = (automaticCaptures[target.name] ?? []).filter { now - $0 < 86400 }
        if recent.count >= target.maxCapturesPerDay, let oldest = recent.min() {
            let capEnds = oldest + 86400
            if (planned?.notBefore).map({ $0 < capEnds }) ?? (planned?.wait != .forecast) {
                return NextCapture(reason: (planned?.reason ?? .baseline).rawValue, inSeconds: capEnds - now, wait: "daily_cap",
                                   setting: String(target.maxCapturesPerDay))
            }
        }
        guard let planned else { return nil }
        let setting: String? = switch planned.wait {
        case .cooldown: Units.formatDuration(target.cooldown)
        case .forecast: Units.formatDuration(target.captureBefore)
        case .retry: nil
        }
        return NextCapture(reason: planned.reason.rawValue, inSeconds: planned.notBefore.map { $0 - now }, wait: planned.wait.rawValue,
                           setting: setting)
    }
}
