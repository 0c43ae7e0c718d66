import HeapwatchCore

/// The reply's time format: ISO 8601 UTC, `2026-11-25T01:22:33Z`, or `…33.250Z` when the time is
/// not a whole second. Inside the module times are Unix seconds (`Double`); on disk, milliseconds.
public enum HistoryTime {
    public static func iso8601(_ seconds: Double) -> String {
        let milliseconds = Int64((seconds * 1000).rounded())
        let whole = milliseconds.floorDivided(by: 1000)
        let fraction = milliseconds - whole * 1000
        let text = SnapshotNaming.iso8601(whole)
        guard fraction != 0 else { return text }
        let digits = String(fraction)
        return text.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// Unix seconds for `YYYY-MM-DDTHH:MM:SS[.fff]Z`, or nil.
    public static func parse(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let digit = Int(bytes[index]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var fraction = 0.0
        if bytes.count > 20 {
            guard bytes[19] == UInt8(ascii: "."), bytes.count <= 30, let digits = number(20..<(bytes.count - 1)) else { return nil }
            fraction = Double(digits) / pow10(bytes.count - 21)
        } else if bytes[19] != UInt8(ascii: "Z") {
            return nil
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Double(days * 86400 + hour * 3600 + minute * 60 + second) + fraction
    }

    /// `HH:MM` UTC.
    static func clock(_ seconds: Double) -> String {
        let text = SnapshotNaming.iso8601(Int64(seconds.rounded(.down)))
        return String(text.dropFirst(11).prefix(5))
    }

    /// `MM-DD` UTC.
    static func date(_ seconds: Double) -> String {
        let text = SnapshotNaming.iso8601(Int64(seconds.rounded(.down)))
        return String(text.dropFirst(5).prefix(5))
    }

    /// `YYYY-MM-DD HH:MM` UTC.
    static func dateAndClock(_ seconds: Double) -> String {
        let text = SnapshotNaming.iso8601(Int64(seconds.rounded(.down)))
        return text.prefix(10) + " " + text.dropFirst(11).prefix(5)
    }

    static func decode<K: CodingKey>(_ container: KeyedDecodingContainer<K>, _ key: K) throws -> Double {
        if let seconds = try? container.decode(Double.self, forKey: key) { return seconds }
        let text = try container.decode(String.self, forKey: key)
        guard let seconds = parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container,
                                                   debugDescription: "expected an ISO 8601 UTC time, got '\(text)'")
        }
        return seconds
    }

    private static func pow10(_ exponent: Int) -> Double {
        (0..<exponent).reduce(1.0) { value, _ in value * 10 }
    }

    /// Days since 1970-01-01 (proleptic Gregorian).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
