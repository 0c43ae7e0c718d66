import Foundation
import TestSupport
import Testing
@testable import HeapwatchCore

/// Inputs meant to break the loader: each gives diagnostics (or a config), never a crash.
@Suite struct ConfigHostileInputTests {
    @Test func manyProblemsInOneFileAllReportedInSourceOrder() {
        let text = """
            [daemon]
            intervall = "5s"
            log_level = "loud"

            [storage]
            keep_per_target = "five"
            max_bytes = "-1GiB"

            [[target]]
            name = "api"
            command = "node ("
            window = "soon"

            [[target]]
            name = "api"
            unit = "api.service"
            rss_max = "lots"

            [extra]
            """
        #expect(diagnostics(text) == [
            "t.toml:2:1: unknown key 'intervall' in [daemon]; did you mean 'interval'?",
            "t.toml:3:13: 'log_level' must be one of trace, debug, info, notice, warning, error, critical, got \"loud\"",
            "t.toml:6:19: 'keep_per_target' must be an integer, got string",
            "t.toml:7:13: 'max_bytes' must not be negative, got \"-1GiB\"",
            "t.toml:11:11: 'command' is not a valid regular expression: expected ')'",
            "t.toml:12:10: 'window' is not a duration: \"soon\"; \(ConfigValueReader.durationForms)",
            "t.toml:15:8: duplicate target name 'api' (first used on line 10)",
            "t.toml:17:11: 'rss_max' is not a size: \"lots\"; \(ConfigValueReader.sizeForms)",
            "t.toml:19:1: unknown table [extra]",
        ])
    }

    /// Each of these made toml++ 3.4 (inside TOMLKit 0.6.0) abort on an assertion.
    @Test(arguments: [
        ("[[[", "t.toml:1:3: syntax error in table header: expected a key name, saw '['"),
        ("[daemon]\n[=]", "t.toml:2:2: syntax error in table header: expected a key name, saw '='"),
        ("[ \n", "t.toml:1:3: syntax error in table header: expected a key name, saw end of line"),
        ("[[\t#", "t.toml:1:4: syntax error in table header: expected a key name, saw '#'"),
        ("a = 2024-01-01T:e", "t.toml:1:5: syntax error in value: '2024-01-01T:e' is not a TOML value"),
        ("a = 2024-01-01 5", "t.toml:1:5: syntax error in value: '2024-01-01 5' is not a TOML value"),
        ("a = [}", "t.toml:1:6: syntax error in value: expected a value, saw '}'"),
        ("a = [1,\n ,]", "t.toml:2:2: syntax error in value: expected a value, saw ','"),
        ("a = { b = }", "t.toml:1:11: syntax error in value: expected a value, saw '}'"),
    ])
    func inputsThatCrashTOMLKit(text: String, diagnostic: String) {
        #expect(diagnostics(text) == [diagnostic])
    }

    @Test(arguments: [
        "true", "false", "0", "+17", "-1_000", "0xDEAD_beef", "0o755", "0b1101", "3.14", "-0.0", "5e+22",
        "6.626e-34", "224_617.445_991_228", "inf", "-inf", "+nan", "1979-05-27", "07:32:00", "00:32:00.999999",
        "1979-05-27T07:32:00Z", "1979-05-27 07:32:00-07:00", "1979-05-27t07:32:00.5+05:30", "[1, 2.5, true, ]",
        "{ x = 1979-05-27, y = [07:32:00] }",
    ])
    func validTOMLValuesPassTheScreen(value: String) {
        #expect(diagnostics("[daemon]\nx = \(value) # comment") == ["t.toml:2:1: unknown key 'x' in [daemon]"])
    }

    @Test func targetThatIsNotAnArrayOfTables() {
        #expect(diagnostics("[target]\nname = \"a\"") == [
            "t.toml:1:1: 'target' must be an array of tables: write [[target]], not [target]"
        ])
        #expect(diagnostics("target = \"api\"") == [
            "t.toml:1:10: 'target' must be an array of tables ([[target]]), got string"
        ])
        #expect(diagnostics("target = [1, { name = \"a\", unit = \"a.service\" }, \"x\"]") == [
            "t.toml:1:11: each target must be a table, got integer",
            "t.toml:1:50: each target must be a table, got string",
        ])
    }

    @Test func emptyTargetArrayMeansTheDefaultTarget() throws {
        #expect(try load("target = []").targets == [.defaultNode])
    }

    @Test func inlineTargetProblemsArePlaced() {
        #expect(diagnostics("target = [\n  { nmae = \"a\", unit = \"a.service\" },\n]") == [
            "t.toml:2:3: [[target]] is missing required key 'name'",
            "t.toml:2:5: unknown key 'nmae' in [[target]]; did you mean 'name'?",
        ])
    }

    @Test func hugeNumbers() {
        #expect(diagnostics("[storage]\nmax_bytes = 99999999999999999999") == [
            "t.toml:2:33: syntax error in decimal integer: '99999999999999999999' is not representable in 64 bits"
        ])
        #expect(diagnostics("[storage]\nmax_bytes = \"99999999999999999999TiB\"") == [
            "t.toml:2:13: 'max_bytes' is not a size: \"99999999999999999999TiB\"; \(ConfigValueReader.sizeForms)"
        ])
        #expect(diagnostics("[[target]]\nname = \"a\"\nunit = \"a.service\"\ncooldown = 9223372036854775807") == [
            "t.toml:4:12: 'cooldown' is too long: at most 3650d"
        ])
        #expect(diagnostics("[[target]]\nname = \"a\"\nunit = \"a.service\"\ncooldown = \"1e308d\"") == [
            "t.toml:4:12: 'cooldown' is too long: at most 3650d"
        ])
        #expect(diagnostics("[daemon]\ninterval = nan") == [
            "t.toml:2:12: 'interval' must be a finite number of seconds, got nan"
        ])
        #expect(diagnostics("[daemon]\ninterval = -inf") == [
            "t.toml:2:12: 'interval' must be a finite number of seconds, got -inf"
        ])
    }

    @Test func unicodeKeys() {
        #expect(diagnostics("[daemon]\n\"интервал\" = \"5s\"\n\"🐛\" = 1") == [
            "t.toml:2:1: unknown key 'интервал' in [daemon]",
            "t.toml:3:1: unknown key '🐛' in [daemon]",
        ])
        #expect(diagnostics("[daemon]\nинтервал = 1") == [
            "t.toml:2:1: syntax error in root table: expected keys, tables, whitespace or comments, saw 'и'"
        ])
    }

    @Test func byteOrderMarkDoesNotShiftColumns() {
        #expect(diagnostics("\u{FEFF}[daemon]\nbogus = 1") == ["t.toml:2:1: unknown key 'bogus' in [daemon]"])
        #expect(diagnostics("\u{FEFF}x = = 1") == ["t.toml:1:5: syntax error in value: '= 1' is not a TOML value"])
        #expect(diagnostics("\u{FEFF}zzz = 1") == ["t.toml:1:1: unknown key 'zzz' at the top level"])
    }

    @Test func nulCharacters() {
        #expect(diagnostics("[daemon]\ninterval = \"5s\"\0\n") == [
            "t.toml:2:16: NUL character in the file; a config file is text"
        ])
        // A leading byte-order mark takes no column, as in every other diagnostic.
        #expect(diagnostics("\u{FEFF}a\0") == ["t.toml:1:2: NUL character in the file; a config file is text"])
        // Legal TOML, but TOMLKit's C strings would cut the key at the NUL and lose it.
        #expect(diagnostics("x = 1\n\"a\\u0000b\" = 1") == [
            "t.toml:2:1: syntax error in key: a key must not contain NUL (\\u0000)"
        ])
        #expect(diagnostics("[daemon]\n\"interval\\u0000\" = \"5s\"") == [
            "t.toml:2:1: syntax error in key: a key must not contain NUL (\\u0000)"
        ])
    }

    /// Text that is not TOML at all: it must be rejected, not taken as an empty config.
    static let syntaxErrors = [
        "[", "]]", "=", "\"", "a =", "[[]]", "[a.]", String(repeating: "[", count: 10_000), String(repeating: "a = [", count: 400),
    ]
    static let otherHostileTexts = [
        "", " ", "\n\n\n", "#", "a", "\u{FEFF}", "\r", "\r\n",
        "a = 1979-05-27T07:32:00Z", "daemon = []", "storage = { dir = 5 }", "target = [[1]]",
        "[[target]]", "[[target.x]]", "[[daemon]]", "daemon.interval.x = 1",
        String(repeating: "k = 1\n", count: 20_000), "[daemon]\n" + String(repeating: "x", count: 100_000) + " = 1",
    ]

    @Test(.timeLimit(.minutes(1)), arguments: syntaxErrors + otherHostileTexts)
    func neverCrashes(text: String) {
        var found: [ConfigDiagnostic] = []
        do {
            _ = try ConfigLoader.parse(text, file: "t.toml")
        } catch {
            found = error.diagnostics
        }
        // Each one names a place in the file (1-based) and says something.
        for diagnostic in found {
            #expect(diagnostic.file == "t.toml" && diagnostic.line >= 1 && diagnostic.column >= 1, "\(diagnostic)")
            #expect(!diagnostic.message.isEmpty, "\(diagnostic)")
        }
        if Self.syntaxErrors.contains(text) { #expect(!found.isEmpty) }
    }

    @Test func loadMissingFile() {
        #expect(throws: ConfigError.self) { try ConfigLoader.load(path: "/nonexistent/heapwatch.toml") }
        do {
            _ = try ConfigLoader.load(path: "/nonexistent/heapwatch.toml")
        } catch {
            #expect(error.description == "/nonexistent/heapwatch.toml:1:1: cannot read: No such file or directory")
        }
    }

    @Test func loadDirectory() {
        do {
            _ = try ConfigLoader.load(path: "/tmp")
            Issue.record("loaded a directory")
        } catch {
            #expect(error.description == "/tmp:1:1: cannot read: Is a directory")
        }
    }

    @Test func loadInvalidUTF8AndRealFile() throws {
        let dir = try TempDirectory()
        let path = dir.file("heapwatch.toml")
        let bad: [UInt8] = Array("[daemon]\ninterval = \"".utf8) + [0xFF] + Array("\"\n".utf8)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bad))
        do {
            _ = try ConfigLoader.load(path: path)
            Issue.record("loaded invalid UTF-8")
        } catch {
            #expect(error.description == "\(path):2:13: not valid UTF-8 text")
        }
        _ = FileManager.default.createFile(atPath: path, contents: Data("[daemon]\ninterval = \"2s\"\n".utf8))
        #expect(try ConfigLoader.load(path: path).daemon.interval == 2)
        _ = FileManager.default.createFile(atPath: path, contents: Data("[daemon]\ninterval = \"2\"\nx = 1\n".utf8))
        do {
            _ = try ConfigLoader.load(path: path)
            Issue.record("loaded an unknown key")
        } catch {
            #expect(error.description == "\(path):3:1: unknown key 'x' in [daemon]")
        }
    }

    @Test func loadRefusesEndlessFiles() {
        do {
            _ = try ConfigLoader.load(path: "/dev/zero")
            Issue.record("loaded /dev/zero")
        } catch {
            #expect(error.description == "/dev/zero:1:1: cannot read: file is larger than 1MiB; is it the config?")
        }
    }
}
