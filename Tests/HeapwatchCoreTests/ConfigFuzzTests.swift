import HeapwatchTrend
import Testing
@testable import HeapwatchCore

/// Random token soups through the whole loader. A crash here aborts the test run: toml++
/// (inside TOMLKit) asserts on some malformed text, which the loader must screen out first.
@Suite struct ConfigFuzzTests {
    static let tokens = [
        "[", "]", "[[", "]]", "{", "}", "=", " = ", "\"", "'", "\"\"\"", "'''", ".", ",", "#", " ", "\t", "\n",
        "\r\n", "\\", "\\u0000", "a", "k", "a.b", "\"k\"", "1", "0", "-", "+", "_", "e", "0x", "1e", "inf", "nan",
        "true", ":", "T", "Z", "2024-01-01", "07:32:00", "é", "[daemon]", "[[target]]", "name = \"a\"",
        "interval", "unit = \"a.service\"",
    ]

    @Test(arguments: [1, 2, 3, 4])
    func randomTokenSoupsNeverCrash(seed: UInt64) {
        // A fixed seed makes a failure reproducible.
        var rng = SplitMix64(seed: seed)
        for _ in 0..<1500 {
            let count = Int.random(in: 1...12, using: &rng)
            var text = Int.random(in: 0...1, using: &rng) == 0 ? "a = " : ""
            for _ in 0..<count { text += Self.tokens.randomElement(using: &rng) ?? "" }
            do {
                _ = try ConfigLoader.parse(text, file: "fuzz")
            } catch {
                #expect(!error.diagnostics.isEmpty, "no diagnostics for \(text.debugDescription)")
                for diagnostic in error.diagnostics {
                    #expect(diagnostic.line >= 1 && diagnostic.column >= 1, "bad position for \(text.debugDescription)")
                }
            }
        }
    }
}
