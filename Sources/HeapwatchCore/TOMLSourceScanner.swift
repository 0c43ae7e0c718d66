/// The scanner behind `ConfigSourceMap`: one pass over the Unicode scalars.
struct TOMLSourceScanner {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var column = 1
    /// How many `[[x]]` headers have been seen per resolved array path.
    private var arrayCounts: [ConfigPath: Int] = [:]
    private let scalarSyntax = TOMLScalarSyntax()

    var keys: [ConfigPath: SourcePosition] = [:]
    var values: [ConfigPath: SourcePosition] = [:]
    var headers: [ConfigPath: SourcePosition] = [:]
    var syntaxProblems: [(position: SourcePosition, message: String)] = []

    /// Deeper nesting than toml++ accepts (256) means the text is not what we think.
    private static let maxDepth = 300

    init(text: String) {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        self.scalars = scalars
    }

    private var position: SourcePosition { SourcePosition(line: line, column: column) }
    private var peek: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }
    private func peek(_ offset: Int) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    private mutating func advance() {
        guard index < scalars.count else { return }
        if scalars[index] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        index += 1
    }

    private mutating func skipSpaces() {
        while let c = peek, c == " " || c == "\t" { advance() }
    }

    private mutating func skipToEndOfLine() {
        while let c = peek, c != "\n" { advance() }
    }

    /// Spaces, newlines and comments, as allowed between array elements.
    private mutating func skipBlank() {
        while let c = peek {
            if c == " " || c == "\t" || c == "\n" || c == "\r" {
                advance()
            } else if c == "#" {
                skipToEndOfLine()
            } else {
                return
            }
        }
    }

    mutating func scanDocument() {
        var table: ConfigPath = []
        while index < scalars.count {
            skipSpaces()
            guard let c = peek else { break }
            switch c {
            case "\n", "\r":
                advance()
                continue
            case "#":
                skipToEndOfLine()
                continue
            case "[":
                if let header = scanHeader() { table = header }
            default:
                _ = scanKeyValue(in: table, depth: 0)
            }
            // What is left on the statement's last line is a comment (or, after a scan that
            // lost its way, junk); skipping it also guarantees progress.
            skipToEndOfLine()
        }
    }

    /// `[a.b]` or `[[a.b]]`; returns the path its keys go under.
    private mutating func scanHeader() -> ConfigPath? {
        let start = position
        advance()
        skipSpaces()
        let isArray = peek == "["
        if isArray { advance() }
        skipSpaces()
        // End of file and `]` get a proper error from toml++ itself.
        if let first = peek, first != "]", first != "\"", first != "'", !TOMLScalarSyntax.isBareKeyScalar(first) {
            syntaxProblems.append(
                (position, "syntax error in table header: expected a key name, saw \(TOMLScalarSyntax.describe(first))"))
            return nil
        }
        let parts = scanKeyPath()
        guard !parts.isEmpty else { return nil }
        var path: ConfigPath = []
        for (offset, part) in parts.enumerated() {
            path.append(.key(part.key))
            if keys[path] == nil { keys[path] = part.position }
            let isLast = offset == parts.count - 1
            if isLast && isArray {
                let count = arrayCounts[path, default: 0]
                arrayCounts[path] = count + 1
                path.append(.index(count))
            } else if let count = arrayCounts[path] {
                // A prefix naming an array of tables means its latest element.
                path.append(.index(count - 1))
            }
        }
        if headers[path] == nil { headers[path] = start }
        return path
    }

    /// `a.b = value` under `table`; false when the text did not look like one.
    private mutating func scanKeyValue(in table: ConfigPath, depth: Int) -> Bool {
        let parts = scanKeyPath()
        guard !parts.isEmpty else { return false }
        var path = table
        for part in parts {
            path.append(.key(part.key))
            if keys[path] == nil { keys[path] = part.position }
        }
        skipSpaces()
        guard peek == "=" else { return false }
        advance()
        skipSpaces()
        return scanValue(at: path, depth: depth)
    }

    /// Dotted key: bare, `"basic"` or `'literal'` parts, each with where it starts.
    private mutating func scanKeyPath() -> [(key: String, position: SourcePosition)] {
        var parts: [(key: String, position: SourcePosition)] = []
        while true {
            skipSpaces()
            let start = position
            guard let c = peek else { return parts }
            let key: String
            if c == "\"" || c == "'" {
                guard let quoted = scanSingleLineString(quote: c) else { return parts }
                key = quoted
            } else {
                var bare = String.UnicodeScalarView()
                while let c = peek, !Self.endsBareKey(c) {
                    bare.append(c)
                    advance()
                }
                guard !bare.isEmpty else { return parts }
                key = String(bare)
            }
            if key.unicodeScalars.contains("\0") {
                // toml++ keeps it, but TOMLKit's C strings would cut the key short at the NUL.
                syntaxProblems.append((start, "syntax error in key: a key must not contain NUL (\\u0000)"))
            }
            parts.append((key, start))
            skipSpaces()
            guard peek == "." else { return parts }
            advance()
        }
    }

    private static func endsBareKey(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case " ", "\t", "\n", "\r", ".", "=", "[", "]", "{", "}", ",", "#", "\"", "'": true
        default: false
        }
    }

    private mutating func scanValue(at path: ConfigPath, depth: Int) -> Bool {
        guard depth < Self.maxDepth, let c = peek else { return false }
        if values[path] == nil { values[path] = position }
        switch c {
        case "\"", "'":
            if peek(1) == c && peek(2) == c { return skipMultiLineString(quote: c) }
            return scanSingleLineString(quote: c) != nil
        case "{":
            return scanInlineTable(at: path, depth: depth + 1)
        case "[":
            return scanArray(at: path, depth: depth + 1)
        default:
            // Numbers, booleans, dates (which may hold a space): up to a delimiter.
            let start = index
            let startPosition = position
            var token = String.UnicodeScalarView()
            while let c = peek, c != ",", c != "]", c != "}", c != "#", c != "\n", c != "\r" {
                token.append(c)
                advance()
            }
            let text = String(token).trimmingSpaces()
            if text.isEmpty {
                let saw = peek.map { TOMLScalarSyntax.describe($0) } ?? "end of file"
                syntaxProblems.append((startPosition, "syntax error in value: expected a value, saw \(saw)"))
            } else if !scalarSyntax.isValid(text) {
                syntaxProblems.append((startPosition, "syntax error in value: '\(text)' is not a TOML value"))
            }
            return index > start
        }
    }

    private mutating func scanInlineTable(at path: ConfigPath, depth: Int) -> Bool {
        advance()
        while true {
            skipBlank()
            guard let c = peek else { return false }
            if c == "}" {
                advance()
                return true
            }
            guard scanKeyValue(in: path, depth: depth) else { return false }
            skipBlank()
            if peek == "," { advance() }
        }
    }

    private mutating func scanArray(at path: ConfigPath, depth: Int) -> Bool {
        advance()
        var element = 0
        while true {
            skipBlank()
            guard let c = peek else { return false }
            if c == "]" {
                advance()
                return true
            }
            guard scanValue(at: path + [.index(element)], depth: depth) else { return false }
            element += 1
            skipBlank()
            if peek == "," { advance() }
        }
    }

    /// A one-line `"basic"` (escapes decoded) or `'literal'` string; nil if unterminated.
    private mutating func scanSingleLineString(quote: Unicode.Scalar) -> String? {
        advance()
        var text = String.UnicodeScalarView()
        while let c = peek, c != "\n" {
            advance()
            if c == quote { return String(text) }
            if c == "\\" && quote == "\"", let escaped = peek {
                advance()
                text.append(contentsOf: decodeEscape(escaped).unicodeScalars)
            } else {
                text.append(c)
            }
        }
        return nil
    }

    /// The character(s) after a backslash in a basic string; `\u`/`\U` consume their hex digits.
    private mutating func decodeEscape(_ c: Unicode.Scalar) -> String {
        switch c {
        case "n": return "\n"
        case "t": return "\t"
        case "r": return "\r"
        case "b": return "\u{08}"
        case "f": return "\u{0C}"
        case "e": return "\u{1B}"
        case "u", "U":
            var hex = ""
            for _ in 0..<(c == "u" ? 4 : 8) {
                guard let digit = peek, digit.properties.isASCIIHexDigit else { break }
                hex.unicodeScalars.append(digit)
                advance()
            }
            guard let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else { return "" }
            return String(Character(scalar))
        default: return String(Character(c))
        }
    }

    /// `"""…"""` or `'''…'''`, which may span lines and end with up to two extra quotes.
    private mutating func skipMultiLineString(quote: Unicode.Scalar) -> Bool {
        advance(); advance(); advance()
        while let c = peek {
            if c == "\\" && quote == "\"" {
                advance()
                advance()
                continue
            }
            if c == quote && peek(1) == quote && peek(2) == quote {
                advance(); advance(); advance()
                var extra = 0
                while extra < 2, peek == quote {
                    advance()
                    extra += 1
                }
                return true
            }
            advance()
        }
        return false
    }
}
