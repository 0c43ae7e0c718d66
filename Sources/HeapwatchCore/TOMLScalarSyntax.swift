/// The TOML 1.0 grammar of bare values (numbers, booleans, dates and times), checked before
/// text reaches toml++, whose debug build aborts on some malformed dates (`2024-01-01T:`).
/// An instance holds the compiled patterns; make one per scan.
struct TOMLScalarSyntax {
    static func isBareKeyScalar(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "-": true
        default: false
        }
    }

    /// `'x'`, or a name for what cannot be shown between quotes.
    static func describe(_ c: Unicode.Scalar) -> String {
        switch c {
        case "\n", "\r": "end of line"
        case "\t": "a tab"
        default: c.value < 0x20 || c.value == 0x7F ? "control character U+\(String(c.value, radix: 16, uppercase: true))" : "'\(c)'"
        }
    }

    /// Whether `token` (trimmed of spaces) is a TOML boolean, integer, float, date, time or date-time.
    func isValid(_ token: Substring) -> Bool {
        if token.allSatisfy(\.isASCIIDigit) { return token == "0" || token.first != "0" }
        return token.wholeMatch(of: boolean) != nil
            || token.wholeMatch(of: integer) != nil
            || token.wholeMatch(of: float) != nil
            || token.wholeMatch(of: dateTime) != nil
            || token.wholeMatch(of: localTime) != nil
    }

    private let boolean = #/true|false/#
    private let integer =
        #/[+-]?(?:0|[1-9](?:_?[0-9])*)|0x[0-9A-Fa-f](?:_?[0-9A-Fa-f])*|0o[0-7](?:_?[0-7])*|0b[01](?:_?[01])*/#
    private let float =
        #/[+-]?(?:0|[1-9](?:_?[0-9])*)(?:\.[0-9](?:_?[0-9])*(?:[eE][+-]?[0-9](?:_?[0-9])*)?|[eE][+-]?[0-9](?:_?[0-9])*)|[+-]?(?:inf|nan)/#
    private let dateTime =
        #/[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})?)?/#
    private let localTime = #/[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?/#
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isWholeNumber }
}
