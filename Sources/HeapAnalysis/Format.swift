/// Number formatting for summaries: "4,055", "1.2 MB", "55 → 2,055 → 4,055".
enum Format {
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return value < 0 ? "-" + out : out
    }

    static func series(_ values: [Int]) -> String { values.map(count).joined(separator: " → ") }

    static func bytes(_ value: Int) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var amount = Double(value)
        var unit = 0
        while abs(amount) >= 1000 && unit < units.count - 1 {
            amount /= 1000
            unit += 1
        }
        if unit == 0 { return "\(value) B" }
        let rounded = (amount * 10).rounded() / 10
        return "\(rounded) \(units[unit])"
    }

    /// `leaky-app.js:62:29` from `/srv/app/leaky-app.js:62:29`.
    static func shortLocation(_ location: String) -> String {
        guard let slash = location.lastIndex(of: "/") else { return location }
        return String(location[location.index(after: slash)...])
    }
}
