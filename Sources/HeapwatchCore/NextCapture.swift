/// The automatic snapshot a process's leak episode still expects and what holds it back, as
/// `status` gives it (JSON `next_capture`): `{"reason": "baseline", "in_seconds": 780, "wait": "cooldown"}`.
public struct NextCapture: Codable, Sendable, Equatable {
    /// `baseline`, `follow_up`, `near_limit`.
    public var reason: String
    /// Seconds from now it can come; nil when it waits for the forecast.
    public var inSeconds: Double?
    /// `cooldown` (since the last capture, manual ones too), `before_crash` (halfway to a forecast
    /// crash that comes before the cooldown ends), `retry` (after a failed or refused
    /// one), `daily_cap` (`max_captures_per_day`), `forecast` (the crash closer than `capture_before`).
    public var wait: String
    /// The config value the wait comes from, for the sentence: `1h`, `30m`, `6`.
    public var setting: String?

    public init(reason: String, inSeconds: Double?, wait: String, setting: String? = nil) {
        self.reason = reason
        self.inSeconds = inSeconds
        self.wait = wait
        self.setting = setting
    }

    enum CodingKeys: String, CodingKey {
        case reason, wait, setting
        case inSeconds = "in_seconds"
    }

    /// For people: `next heap snapshot (baseline) in 13m, once the cooldown (1h) since the last one ends`.
    public var sentence: String {
        let what = "next heap snapshot (\(reason.replacingOccurrences(of: "_", with: "-")))"
        let when = inSeconds.map { " in \(Units.formatDuration(max(0, $0)))" } ?? ""
        let setting = setting.map { " (\($0))" } ?? ""
        switch wait {
        case "cooldown": return what + when + ", once the cooldown\(setting) since the last capture ends"
        case "before_crash": return what + when + ", halfway to the forecast crash: the cooldown\(setting) would outlast the process"
        case "retry": return what + when + ", a retry after the last capture failed or was refused"
        case "daily_cap": return what + when + ", once the target is under max_captures_per_day\(setting)"
        case "forecast": return what + " when the forecast crash is closer than capture_before\(setting)"
        default: return what + when + " (\(wait))"
        }
    }
}
