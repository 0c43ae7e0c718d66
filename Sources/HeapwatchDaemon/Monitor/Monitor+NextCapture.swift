import HeapwatchCore
import HeapwatchTrend

extension Monitor {
    /// The automatic snapshot `process`'s leak episode waits for, for `status`: the planner's own
    /// wait (cooldown, retry, forecast), or the target's daily cap when that holds it longer; nil
    /// when nothing holds it back (it is taken at the next tick that asks) or none is owed.
    func nextCapture(_ process: WatchedProcess, target: TargetConfig) -> NextCapture? {
        let now = now
        guard target.capture != .none, let planned = process.planner.pending(now: now, assessment: process.assessment) else { return nil }
        let recent = recentAutomaticCaptures(target, now: now)
        if recent.count >= target.maxCapturesPerDay, let oldest = recent.min(), planned.wait != .forecast,
           let notBefore = planned.notBefore, notBefore < oldest + 86400 {
            return NextCapture(reason: planned.reason.rawValue, inSeconds: oldest + 86400 - now, wait: "daily_cap",
                               setting: String(target.maxCapturesPerDay))
        }
        let setting: String?
        switch planned.wait {
        case .due: return nil
        case .cooldown, .beforeCrash: setting = Units.formatDuration(target.cooldown)
        case .forecast: setting = Units.formatDuration(target.captureBefore)
        case .retry: setting = nil
        }
        return NextCapture(reason: planned.reason.rawValue, inSeconds: planned.notBefore.map { $0 - now }, wait: planned.wait.rawValue,
                           setting: setting)
    }
}
