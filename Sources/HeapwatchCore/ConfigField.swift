import TOMLKit

/// One key of a config table: its name, the default the shipped config documents, and how a
/// value is checked and stored into the table's model.
///
/// Adding a key means adding one `ConfigField` to `ConfigSchema`; unknown-key detection,
/// spelling suggestions and positions come with it.
struct ConfigField<Model> {
    let name: String
    /// The default as written in `config/heapwatch.toml`; nil when the key has none.
    let defaultText: String?
    /// Checks `value` and stores it; a thrown problem is reported at the value.
    let apply: (_ value: TOMLValueConvertible, _ model: inout Model) throws(ValueProblem) -> Void

    init(
        _ name: String,
        default defaultText: String? = nil,
        apply: @escaping (_ value: TOMLValueConvertible, _ model: inout Model) throws(ValueProblem) -> Void
    ) {
        self.name = name
        self.defaultText = defaultText
        self.apply = apply
    }
}

extension ConfigField {
    /// A duration in seconds; `positive` rejects zero.
    static func duration(
        _ name: String, default defaultText: String, _ keyPath: WritableKeyPath<Model, Double>, positive: Bool = false
    ) -> Self {
        Self(name, default: defaultText) { value, model throws(ValueProblem) in
            let seconds = try ConfigValueReader.duration(value, key: name)
            if positive && seconds <= 0 { throw ValueProblem("'\(name)' must be greater than 0") }
            model[keyPath: keyPath] = seconds
        }
    }

    /// A duration in seconds for a setting that is off by default; greater than zero.
    static func optionalDuration(_ name: String, _ keyPath: WritableKeyPath<Model, Double?>) -> Self {
        Self(name) { value, model throws(ValueProblem) in
            let seconds = try ConfigValueReader.duration(value, key: name)
            guard seconds > 0 else { throw ValueProblem("'\(name)' must be greater than 0") }
            model[keyPath: keyPath] = seconds
        }
    }

    static func boolean(_ name: String, default defaultText: String, _ keyPath: WritableKeyPath<Model, Bool>) -> Self {
        Self(name, default: defaultText) { value, model throws(ValueProblem) in
            model[keyPath: keyPath] = try ConfigValueReader.boolean(value, key: name)
        }
    }

    /// A number (integer or float) within `range`.
    static func number(_ name: String, default defaultText: String, _ keyPath: WritableKeyPath<Model, Double>, range: ClosedRange<Double>) -> Self {
        Self(name, default: defaultText) { value, model throws(ValueProblem) in
            let number = try ConfigValueReader.number(value, key: name)
            guard range.contains(number) else {
                throw ValueProblem("'\(name)' must be between \(range.lowerBound.formatted()) and \(range.upperBound.formatted()), got \(number.formatted())")
            }
            model[keyPath: keyPath] = number
        }
    }

    /// A size in bytes, greater than zero.
    static func size(_ name: String, default defaultText: String?, _ keyPath: WritableKeyPath<Model, UInt64>) -> Self {
        Self(name, default: defaultText) { value, model throws(ValueProblem) in
            model[keyPath: keyPath] = try positiveSize(value, name)
        }
    }

    /// A size in bytes, greater than zero, for a limit that is off by default.
    static func optionalSize(_ name: String, _ keyPath: WritableKeyPath<Model, UInt64?>) -> Self {
        Self(name) { value, model throws(ValueProblem) in
            model[keyPath: keyPath] = try positiveSize(value, name)
        }
    }

    private static func positiveSize(_ value: TOMLValueConvertible, _ name: String) throws(ValueProblem) -> UInt64 {
        let bytes = try ConfigValueReader.size(value, key: name)
        guard bytes > 0 else { throw ValueProblem("'\(name)' must be greater than 0") }
        return bytes
    }

    /// A growth rate in bytes per hour, greater than zero.
    static func growthRate(_ name: String, default defaultText: String, _ keyPath: WritableKeyPath<Model, Double>) -> Self {
        Self(name, default: defaultText) { value, model throws(ValueProblem) in
            let rate = try ConfigValueReader.growthRate(value, key: name)
            guard rate > 0 else { throw ValueProblem("'\(name)' must be greater than 0") }
            model[keyPath: keyPath] = rate
        }
    }

    /// An integer no smaller than `minimum`.
    static func integer(
        _ name: String, default defaultText: String, _ keyPath: WritableKeyPath<Model, Int>, minimum: Int
    ) -> Self {
        Self(name, default: defaultText) { value, model throws(ValueProblem) in
            let number = try ConfigValueReader.integer(value, key: name)
            guard number >= minimum else { throw ValueProblem("'\(name)' must be at least \(minimum), got \(number)") }
            model[keyPath: keyPath] = number
        }
    }

    /// An absolute path of at most `maxBytes` UTF-8 bytes.
    static func absolutePath(
        _ name: String, default defaultText: String, _ keyPath: WritableKeyPath<Model, String>, maxBytes: Int = 4095
    ) -> Self {
        Self(name, default: defaultText) { value, model throws(ValueProblem) in
            model[keyPath: keyPath] = try ConfigValueReader.absolutePath(value, key: name, maxBytes: maxBytes)
        }
    }

    /// One of an enumeration's raw values; a near miss gets a suggestion.
    static func choice<Choice: RawRepresentable & CaseIterable>(
        _ name: String, default defaultValue: Choice, _ keyPath: WritableKeyPath<Model, Choice>
    ) -> Self where Choice.RawValue == String {
        Self(name, default: defaultValue.rawValue) { value, model throws(ValueProblem) in
            let text = try ConfigValueReader.string(value, key: name)
            let allowed = Choice.allCases.map(\.rawValue)
            guard let choice = Choice(rawValue: text) else {
                var message = "'\(name)' must be one of \(allowed.joined(separator: ", ")), got \"\(text)\""
                if let near = ConfigSpelling.nearest(to: text, among: allowed)
                    ?? allowed.first(where: { !text.isEmpty && $0.hasPrefix(text.lowercased()) }) {
                    message += "; did you mean \"\(near)\"?"
                }
                throw ValueProblem(message)
            }
            model[keyPath: keyPath] = choice
        }
    }
}
