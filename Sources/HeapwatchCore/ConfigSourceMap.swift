/// A place in the config text: 1-based line and column (columns count Unicode scalars).
struct SourcePosition: Sendable, Equatable, Hashable {
    var line: Int
    var column: Int

    static let start = SourcePosition(line: 1, column: 1)

    /// The position after `scalar`: a newline starts the next line; a byte-order mark at the
    /// very start of the text (`atStart`) takes no column.
    mutating func advance(past scalar: Unicode.Scalar, atStart: Bool) {
        if scalar == "\n" {
            line += 1
            column = 1
        } else if !(atStart && scalar == "\u{FEFF}") {
            column += 1
        }
    }
}

/// One step of a path into the TOML document: a key, or an index into an array
/// (`[[target]]` number 2 is `target`, `1`).
enum ConfigPathComponent: Sendable, Hashable, CustomStringConvertible {
    case key(String)
    case index(Int)

    var description: String {
        switch self {
        case .key(let key): key
        case .index(let index): "[\(index)]"
        }
    }
}

typealias ConfigPath = [ConfigPathComponent]

/// Where keys, values and table headers sit in the source text.
///
/// TOMLKit gives no positions for keys or values, so this scans the text itself. It knows
/// enough TOML to stay in step — comments, basic/literal/multi-line strings, quoted and dotted
/// keys, `[table]` and `[[array]]` headers (counting occurrences), inline tables and arrays —
/// and is meant for text TOMLKit has already accepted. On anything it does not understand it
/// skips to the next line; it never fails, and lookups fall back to the nearest known ancestor.
struct ConfigSourceMap: Sendable {
    /// Where each key is first named (for a header `[a.b]`, the `b`).
    private(set) var keys: [ConfigPath: SourcePosition] = [:]
    /// Where each value starts; also array elements and inline tables.
    private(set) var values: [ConfigPath: SourcePosition] = [:]
    /// Where each `[table]` / `[[array]]` header starts (its first bracket).
    private(set) var headers: [ConfigPath: SourcePosition] = [:]
    /// Table headers and bare values malformed in ways that make toml++ 3.4 abort (debug
    /// builds) or misbehave (release builds, where its assertions become assumptions) instead
    /// of reporting an error, e.g. `[[[` or `2024-01-01T:`. The loader reports these itself
    /// and never hands such text to TOMLKit.
    private(set) var syntaxProblems: [(position: SourcePosition, message: String)] = []

    init(text: String) {
        var scanner = TOMLSourceScanner(text: text)
        scanner.scanDocument()
        keys = scanner.keys
        values = scanner.values
        headers = scanner.headers
        syntaxProblems = scanner.syntaxProblems
    }

    /// The key itself, else its table header, else its value, else the nearest ancestor
    /// (whose header, if it has one, is the better place to look).
    func position(ofKey path: ConfigPath) -> SourcePosition {
        if let found = keys[path] ?? headers[path] ?? values[path] { return found }
        var ancestor = path.dropLast()
        while !ancestor.isEmpty {
            let prefix = Array(ancestor)
            if let found = headers[prefix] ?? keys[prefix] ?? values[prefix] { return found }
            ancestor.removeLast()
        }
        return .start
    }

    /// The value, else where its key is.
    func position(ofValue path: ConfigPath) -> SourcePosition {
        values[path] ?? position(ofKey: path)
    }

    /// A table's header (or an inline table's `{`), else where its key is.
    func position(ofTable path: ConfigPath) -> SourcePosition {
        headers[path] ?? values[path] ?? position(ofKey: path)
    }
}
