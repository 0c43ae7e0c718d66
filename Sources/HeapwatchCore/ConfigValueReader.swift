import TOMLKit

/// Why a value was rejected, as the user should read it; the loader adds file, line and column.
struct ValueProblem: Error, Sendable {
    var message: String

    init(_ message: String) { self.message = message }
}

/// Reads typed values out of TOML, checking the TOML type first so that a wrong type says so
/// (`'keep_per_target' must be an integer, got string`) instead of "not found".
enum ConfigValueReader {
    /// Longest duration accepted, seconds (about ten years): keeps later `Duration` arithmetic finite.
    static let maxDuration = 3650.0 * 86400

    static let durationForms =
        "use a number with ms, s, m, h or d, such as \"500ms\", \"5s\", \"30m\" or \"1h\" (a bare number is seconds)"
    static let sizeForms =
        "use bytes or a number with KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000), "
        + "such as \"512MiB\", \"1.5GiB\" or \"500MB\""
    static let rateForms = "use a size per hour such as \"50MiB/h\" (/s, /m and /d work too)"

    /// The name a user knows for a TOML type.
    static func typeName(_ type: TOMLType) -> String {
        switch type {
        case .table: "table"
        case .array: "array"
        case .string: "string"
        case .int: "integer"
        case .double: "float"
        case .bool: "boolean"
        case .date: "date"
        case .time: "time"
        case .dateTime: "date-time"
        }
    }

    static func wrongType(_ key: String, expected: String, got value: TOMLValueConvertible) -> ValueProblem {
        ValueProblem("'\(key)' must be \(expected), got \(typeName(value.type))")
    }

    static func string(_ value: TOMLValueConvertible, key: String) throws(ValueProblem) -> String {
        guard let text = value.string else { throw wrongType(key, expected: "a string", got: value) }
        return text
    }

    static func boolean(_ value: TOMLValueConvertible, key: String) throws(ValueProblem) -> Bool {
        guard let flag = value.bool else { throw wrongType(key, expected: "true or false", got: value) }
        return flag
    }

    /// An integer or a float.
    static func number(_ value: TOMLValueConvertible, key: String) throws(ValueProblem) -> Double {
        if let number = value.double, number.isFinite { return number }
        if let number = value.int { return Double(number) }
        throw wrongType(key, expected: "a number", got: value)
    }

    /// An array of strings.
    static func strings(_ value: TOMLValueConvertible, key: String) throws(ValueProblem) -> [String] {
        guard let array = value.array else { throw wrongType(key, expected: "an array of strings", got: value) }
        var result: [String] = []
        for element in array {
            guard let text = element.string else {
                throw ValueProblem("'\(key)' must be an array of strings, got an element of type \(typeName(element.type))")
            }
            result.append(text)
        }
        return result
    }

    static func integer(_ value: TOMLValueConvertible, key: String) throws(ValueProblem) -> Int {
        guard let number = value.int else { throw wrongType(key, expected: "an integer", got: value) }
        return number
    }

    /// Seconds, from `"5s"`-style strings or a plain number of seconds.
    static func duration(_ value: TOMLValueConvertible, key: String) throws(ValueProblem) -> Double {
        let seconds: Double
        switch value.type {
        case .string:
            let text = value.string ?? ""
            if isNegative(text) { throw ValueProblem("'\(key)' must not be negative, got \"\(text)\"") }
            guard let parsed = Units.parseDuration(text) else {
                throw ValueProblem("'\(key)' is not a duration: \"\(text)\"; \(durationForms)")
            }
            seconds = parsed
        case .int:
            let number = value.int ?? 0
            if number < 0 { throw ValueProblem("'\(key)' must not be negative, got \(number)") }
            seconds = Double(number)
        case .double:
            let number = value.double ?? 0
            guard number.isFinite else { throw ValueProblem("'\(key)' must be a finite number of seconds, got \(number)") }
            if number < 0 { throw ValueProblem("'\(key)' must not be negative, got \(number)") }
            seconds = number
        default:
            throw wrongType(key, expected: "a duration such as \"5s\" or a number of seconds", got: value)
        }
        guard seconds <= maxDuration else { throw ValueProblem("'\(key)' is too long: at most 3650d") }
        return seconds
    }

    /// Bytes, from `"512MiB"`-style strings or a plain integer.
    static func size(_ value: TOMLValueConvertible, key: String) throws(ValueProblem) -> UInt64 {
        switch value.type {
        case .string:
            let text = value.string ?? ""
            if isNegative(text) { throw ValueProblem("'\(key)' must not be negative, got \"\(text)\"") }
            guard let bytes = Units.parseSize(text) else {
                throw ValueProblem("'\(key)' is not a size: \"\(text)\"; \(sizeForms)")
            }
            return bytes
        case .int:
            let number = value.int ?? 0
            if number < 0 { throw ValueProblem("'\(key)' must not be negative, got \(number)") }
            return UInt64(number)
        default:
            throw wrongType(key, expected: "a size such as \"512MiB\" or an integer of bytes", got: value)
        }
    }

    /// Bytes per hour, from `"50MiB/h"`-style strings.
    static func growthRate(_ value: TOMLValueConvertible, key: String) throws(ValueProblem) -> Double {
        guard value.type == .string else {
            throw wrongType(key, expected: "a size per hour such as \"50MiB/h\"", got: value)
        }
        let text = value.string ?? ""
        if isNegative(text) { throw ValueProblem("'\(key)' must not be negative, got \"\(text)\"") }
        if let rate = Units.parseGrowthRate(text) { return rate }
        if Units.parseSize(text) != nil {
            throw ValueProblem("'\(key)' needs a time unit: \"\(text)\"; write \"\(text)/h\" for a size per hour")
        }
        throw ValueProblem("'\(key)' is not a growth rate: \"\(text)\"; \(rateForms)")
    }

    /// An absolute path; `maxBytes` bounds its UTF-8 length (a unix socket path fits in 107).
    static func absolutePath(_ value: TOMLValueConvertible, key: String, maxBytes: Int = 4095) throws(ValueProblem) -> String {
        let path = try string(value, key: key)
        guard path.hasPrefix("/") else {
            throw ValueProblem("'\(key)' must be an absolute path (starting with '/'), got \"\(path)\"")
        }
        guard path.utf8.count <= maxBytes else {
            throw ValueProblem("'\(key)' is too long: \(path.utf8.count) bytes, at most \(maxBytes)")
        }
        return path
    }

    /// `"5s"`, `"1500ms"`, `"2h"`: exact, in the largest unit that divides the value.
    static func formatDuration(_ seconds: Double) -> String {
        for (unit, factor) in [("d", 86400.0), ("h", 3600), ("m", 60), ("s", 1)]
        where seconds >= factor && (seconds / factor).rounded() == seconds / factor {
            return "\(Int(seconds / factor))\(unit)"
        }
        return "\(Int((seconds * 1000).rounded()))ms"
    }

    private static func isNegative(_ text: String) -> Bool {
        text.trimmingSpaces().hasPrefix("-")
    }
}
