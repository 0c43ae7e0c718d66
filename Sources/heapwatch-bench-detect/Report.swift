import HeapwatchTrend

enum Report {
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format2(s % 60)))s" }
        return "\(s / 3600)h\(String(format2((s % 3600) / 60)))m"
    }

    /// The 30 MiB/h target's lines: the worst latency to `leaking` against 20 minutes (`scope`
    /// says over what), and the worst to the first `growing` or `leaking`.
    static func thirtyMiBTarget(worstLeaking: Double, worstFlagged: Double, scope: String) -> [String] {
        let leaking = worstLeaking.isFinite ? duration(worstLeaking) : "missed"
        let flagged = worstFlagged.isFinite ? duration(worstFlagged) : "never"
        return [
            "  30 MiB/h leak at 5 s ticks detected within 20m: worst \(leaking)\(scope) — \(worstLeaking <= 1200 ? "met" : "MISSED")",
            "  the same leaks first `growing` or `leaking` (not an issue target: flagged, a baseline snapshot and a forecast): worst \(flagged)",
        ]
    }

    private static func format2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// `x` with `digits` decimals (no Foundation here).
    static func fixed(_ x: Double, _ digits: Int) -> String {
        var scale = 1
        for _ in 0..<digits { scale *= 10 }
        let n = Int((x * Double(scale)).rounded())
        guard digits > 0 else { return "\(n)" }
        let fraction = String(abs(n) % scale)
        return "\(n < 0 ? "-" : "")\(abs(n) / scale).\(String(repeating: "0", count: digits - fraction.count))\(fraction)"
    }

    /// The forecast's range: `1h52m to 8h34m`, `-` for an end that is unknown.
    static func range(_ a: TrendAssessment) -> String {
        "\(a.etaLowerSeconds.map(duration) ?? "-") to \(a.etaUpperSeconds.map(duration) ?? "-")"
    }

    static func percent(_ x: Double?) -> String {
        guard let x else { return "-" }
        let p = Int((x * 100).rounded())
        return p > 0 ? "+\(p)%" : "\(p)%"
    }

    /// A share in whole percent, without a sign: `96%`.
    static func share(_ x: Double?) -> String {
        x.map { "\(Int(($0 * 100).rounded()))%" } ?? "-"
    }

    static func detection(_ r: DetectorResult, isLeak: Bool) -> String {
        guard isLeak else { return "-" }
        return r.latency.map(duration) ?? "missed"
    }
}
