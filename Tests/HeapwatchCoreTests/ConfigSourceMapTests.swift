import Testing
@testable import HeapwatchCore

@Suite struct ConfigSourceMapTests {
    private func at(_ line: Int, _ column: Int) -> SourcePosition { SourcePosition(line: line, column: column) }

    @Test func headersAndKeysWithCommentsAndSpaces() {
        let map = ConfigSourceMap(text: """
            # [daemon] in a comment is not a header
            top = 1 # interval = 2

              [ daemon ]   # trailing comment
            \tinterval\t=\t"5s"
            "quoted key" = 'x'
            'literal.key' = 1
            """)
        #expect(map.keys[[.key("top")]] == at(2, 1))
        #expect(map.headers[[.key("daemon")]] == at(4, 3))
        #expect(map.keys[[.key("daemon")]] == at(4, 5))
        #expect(map.keys[[.key("daemon"), .key("interval")]] == at(5, 2))
        #expect(map.values[[.key("daemon"), .key("interval")]] == at(5, 13))
        #expect(map.keys[[.key("daemon"), .key("quoted key")]] == at(6, 1))
        #expect(map.keys[[.key("daemon"), .key("literal.key")]] == at(7, 1))
        #expect(map.keys[[.key("interval")]] == nil)
    }

    @Test func arrayOfTablesAreCountedAndSubtablesFollowTheLatest() {
        let map = ConfigSourceMap(text: """
            [[target]]
            name = "a"
            [[target]]
            name = "b"
            [target.extra]
            x = 1
            """)
        #expect(map.headers[[.key("target"), .index(0)]] == at(1, 1))
        #expect(map.headers[[.key("target"), .index(1)]] == at(3, 1))
        #expect(map.values[[.key("target"), .index(1), .key("name")]] == at(4, 8))
        #expect(map.keys[[.key("target"), .index(1), .key("extra"), .key("x")]] == at(6, 1))
    }

    @Test func dottedKeysRecordEachPart() {
        let map = ConfigSourceMap(text: "daemon . interval = \"1s\"\nstorage.\"max_bytes\"=1")
        #expect(map.keys[[.key("daemon")]] == at(1, 1))
        #expect(map.keys[[.key("daemon"), .key("interval")]] == at(1, 10))
        #expect(map.values[[.key("daemon"), .key("interval")]] == at(1, 21))
        #expect(map.keys[[.key("storage"), .key("max_bytes")]] == at(2, 9))
        #expect(map.values[[.key("storage"), .key("max_bytes")]] == at(2, 21))
    }

    @Test func multiLineStringsAndArraysDoNotFoolIt() {
        let map = ConfigSourceMap(text: """
            a = \"\"\"
            [daemon]
            b = "not a key" \\\"\"\"
            \"\"\"
            c = [
              1, # [[target]]
              "x]",
              '''
            d = 1
            ''',
            ]
            e = { f = 1, g = { h = "}" } }
            """)
        #expect(map.headers[[.key("daemon")]] == nil)
        #expect(map.keys[[.key("b")]] == nil)
        #expect(map.keys[[.key("d")]] == nil)
        #expect(map.headers[[.key("target"), .index(0)]] == nil)
        #expect(map.values[[.key("c"), .index(1)]] == at(7, 3))
        #expect(map.values[[.key("c"), .index(2)]] == at(8, 3))
        #expect(map.keys[[.key("e")]] == at(12, 1))
        #expect(map.keys[[.key("e"), .key("g"), .key("h")]] == at(12, 20))
    }

    @Test func inlineArrayOfTables() {
        let map = ConfigSourceMap(text: "target = [\n  { name = \"a\" },\n  { name = \"b\" },\n]")
        #expect(map.values[[.key("target"), .index(1)]] == at(3, 3))
        #expect(map.position(ofTable: [.key("target"), .index(1)]) == at(3, 3))
        #expect(map.keys[[.key("target"), .index(1), .key("name")]] == at(3, 5))
    }

    @Test func byteOrderMarkIsNotAColumnAndUnicodeCountsAsOne() {
        let map = ConfigSourceMap(text: "\u{FEFF}\"ключ\" = \"é\"\nk = 1")
        #expect(map.keys[[.key("ключ")]] == at(1, 1))
        #expect(map.values[[.key("ключ")]] == at(1, 10))
        #expect(map.keys[[.key("k")]] == at(2, 1))
    }

    @Test func crlfLines() {
        let map = ConfigSourceMap(text: "[daemon]\r\ninterval = 1\r\n")
        #expect(map.keys[[.key("daemon"), .key("interval")]] == at(2, 1))
        #expect(map.values[[.key("daemon"), .key("interval")]] == at(2, 12))
    }

    @Test func escapedQuotedKeys() {
        let map = ConfigSourceMap(text: #""a\"b\u00e9" = 1"#)
        #expect(map.keys[[.key("a\"bé")]] == at(1, 1))
    }

    @Test func lookupsFallBackToTheNearestAncestor() {
        let map = ConfigSourceMap(text: "\n[daemon]\n")
        #expect(map.position(ofKey: [.key("daemon"), .key("missing")]) == at(2, 1))
        #expect(map.position(ofValue: [.key("nowhere")]) == .start)
    }

    @Test(.timeLimit(.minutes(1)), arguments: [
        "[", "[[", "a = [", "a = {", "a = \"\"\"", "= = =", "]]]]", "\"", "a.b.", "x = [[[[[[[[1",
        String(repeating: "[", count: 5000), String(repeating: "{a=", count: 3000),
    ])
    func neverFailsOnBrokenText(text: String) {
        let map = ConfigSourceMap(text: text)
        // Whatever it made of the text, every position lies inside it.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for position in Array(map.keys.values) + Array(map.values.values) + Array(map.headers.values) {
            #expect(position.line >= 1 && position.line <= lines.count, "\(position)")
            #expect(position.column >= 1 && position.column <= lines[max(0, min(lines.count - 1, position.line - 1))].count + 1, "\(position)")
        }
    }
}
