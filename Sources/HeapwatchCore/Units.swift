/// Parsing and formatting of the config's sizes, durations and growth rates.
///
/// Sizes: `"512MiB"`, `"1.5GiB"`, `"500MB"`, `"4096"` (bytes) or a TOML integer of bytes.
/// Durations: `"500ms"`, `"5s"`, `"30m"`, `"1h"`, `"2d"`.
/// Growth rates: a size per hour, `"50MiB/h"`; `/m`, `/s` and `/d` are accepted too.
public enum Units {
    private static let sizeSuffixes: [(String, Double)] = [
        ("KiB", 1024), ("MiB", 1024 * 1024), ("GiB", 1024 * 1024 * 1024),
        ("TiB", 1024 * 1024 * 1024 * 1024),
        ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12),
        ("K", 1024), ("M", 1024 * 1024), ("G", 1024 * 1024 * 1024), ("T", 1024 * 1024 * 1024 * 1024),
        ("B", 1),
    ]

    /// Longest suffix first, so "ms" wins over "s".
    private static let durationSuffixes: [(String, Double)] = [
        ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400),
    ]

    /// Bytes for a size string, or nil when it is not one.
    public static func parseSize(_ text: String) -> UInt64? {
        let trimmed = text.trimmingSpaces()
        guard !trimmed.isEmpty else { return nil }
        if let plain = UInt64(trimmed) { return plain }
        for (suffix, factor) in sizeSuffixes where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count).trimmingSpaces()
            guard let value = parseNonNegative(number) else { return nil }
            let bytes = value * factor
            guard bytes < 1.8e19 else { return nil }
            return UInt64(bytes.rounded())
        }
        return nil
    }

    /// Seconds for a duration string, or nil when it is not one. A bare number is seconds.
    public static func parseDuration(_ text: String) -> Double? {
        let trimmed = text.trimmingSpaces()
        guard !trimmed.isEmpty else { return nil }
        if let plain = parseNonNegative(trimmed) { return plain }
        for (suffix, factor) in durationSuffixes where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count).trimmingSpaces()
            guard let value = parseNonNegative(number) else { return nil }
            return value * factor
        }
        return nil
    }

    /// Bytes per hour for a growth-rate string such as `"50MiB/h"`, or nil.
    public static func parseGrowthRate(_ text: String) -> Double? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let bytes = parseSize(String(parts[0])) else { return nil }
        let perSeconds: Double
        switch parts[1].trimmingSpaces() {
        case "s": perSeconds = 1
        case "m", "min": perSeconds = 60
        case "h": perSeconds = 3600
        case "d": perSeconds = 86400
        default: return nil
        }
        return Double(bytes) * 3600 / perSeconds
    }

    /// `"1.2GiB"`, `"640MiB"`, `"12KiB"`, `"512B"`: binary units, at most one decimal.
    public static func formatBytes(_ bytes: Double) -> String {
        let sign = bytes < 0 ? "-" : ""
        var value = abs(bytes)
        for unit in ["B", "KiB", "MiB", "GiB"] {
            if value < 1024 { return sign + formatNumber(value, unit: unit) }
            value /= 1024
        }
        return sign + formatNumber(value, unit: "TiB")
    }

    public static func formatBytes(_ bytes: UInt64) -> String { formatBytes(Double(bytes)) }

    /// `"45s"`, `"12m"`, `"3h20m"`, `"2d4h"`.
    public static func formatDuration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "never" }
        if seconds > 0 && seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m" }
        if total < 86400 {
            let minutes = (total % 3600) / 60
            return minutes == 0 ? "\(total / 3600)h" : "\(total / 3600)h\(minutes)m"
        }
        let hours = (total % 86400) / 3600
        return hours == 0 ? "\(total / 86400)d" : "\(total / 86400)d\(hours)h"
    }

    private static func formatNumber(_ value: Double, unit: String) -> String {
        if unit == "B" || value >= 100 || value == value.rounded() {
            return "\(Int(value.rounded()))\(unit)"
        }
        let tenths = (value * 10).rounded() / 10
        return tenths == tenths.rounded() ? "\(Int(tenths))\(unit)" : "\(tenths)\(unit)"
    }

    private static func parseNonNegative(_ text: Substring) -> Double? {
        guard let first = text.first, first.isNumber || first == "." else { return nil }
        guard let value = Double(text), value.isFinite, value >= 0 else { return nil }
        return value
    }
}

extension StringProtocol {
    func trimmingSpaces() -> Substring {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return slice
    }
}

extension Duration {
    /// The duration in seconds.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
