/// The pieces of /proc text between separators, one at a time: a scan over the UTF-8 bytes that
/// builds no array and compares no `Character`s (a process name may hold combining marks that
/// would merge with the `(` or `)` around it). Runs of separators count as one, as `split` does.
///
/// The parsers run on the sampling path, every tick, for every process on the host.
struct ProcFields: IteratorProtocol, Sequence {
    private let text: Substring
    private var position: String.Index
    /// Lines only (`\n`), else fields (space, tab, newline).
    private let lines: Bool

    init(_ text: some StringProtocol, lines: Bool = false) {
        self.text = Substring(text)
        self.position = self.text.startIndex
        self.lines = lines
    }

    private func isSeparator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\n") || (!lines && (byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")))
    }

    mutating func next() -> Substring? {
        let utf8 = text.utf8
        var start = position
        while start < utf8.endIndex, isSeparator(utf8[start]) { utf8.formIndex(after: &start) }
        var end = start
        while end < utf8.endIndex, !isSeparator(utf8[end]) { utf8.formIndex(after: &end) }
        position = end
        return start < end ? text[start..<end] : nil
    }

    /// Passes over `count` pieces.
    mutating func skip(_ count: Int) {
        for _ in 0..<count { _ = next() }
    }

    /// The text's only field, or nil when it has none or more than one: `max\n`, `1234\n`.
    static func single(_ text: some StringProtocol) -> Substring? {
        var fields = ProcFields(text)
        guard let field = fields.next(), fields.next() == nil else { return nil }
        return field
    }
}
