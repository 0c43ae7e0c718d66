/// Gathers diagnostics during one load, placing each with the source map.
struct ConfigDiagnosticCollector {
    let file: String
    let map: ConfigSourceMap
    private(set) var diagnostics: [ConfigDiagnostic] = []
    /// Paths whose value was rejected, so that checks built on them can stand down.
    private(set) var rejected: Set<ConfigPath> = []

    init(file: String, map: ConfigSourceMap) {
        self.file = file
        self.map = map
    }

    /// A problem with a key itself: unknown, misplaced.
    mutating func atKey(_ path: ConfigPath, _ message: String) {
        add(map.position(ofKey: path), message)
    }

    /// A problem with a value: wrong type, malformed, out of range.
    mutating func atValue(_ path: ConfigPath, _ message: String) {
        rejected.insert(path)
        add(map.position(ofValue: path), message)
    }

    /// A problem with a whole table: a missing key.
    mutating func atTable(_ path: ConfigPath, _ message: String) {
        add(map.position(ofTable: path), message)
    }

    private mutating func add(_ position: SourcePosition, _ message: String) {
        diagnostics.append(
            ConfigDiagnostic(file: file, line: position.line, column: position.column, message: message))
    }

    /// In source order; problems at one place keep the order they were found in.
    var sorted: [ConfigDiagnostic] {
        diagnostics.enumerated()
            .sorted { a, b in
                (a.element.line, a.element.column, a.offset) < (b.element.line, b.element.column, b.offset)
            }
            .map(\.element)
    }
}
