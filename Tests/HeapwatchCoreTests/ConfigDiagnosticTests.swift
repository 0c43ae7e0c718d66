import Testing
@testable import HeapwatchCore

/// One diagnostic kind per test, each with its exact `file:line:col: message`.
@Suite struct ConfigDiagnosticTests {
    @Test func syntaxErrorsCarryTOMLKitPositions() {
        #expect(diagnostics("[daemon]\ninterval = \"5s") == [
            "t.toml:2:15: syntax error in string: encountered end-of-file"
        ])
        #expect(diagnostics("[daemon]\ninterval = \"5s\" x") == [
            "t.toml:2:17: syntax error in key-value pair: expected a comment or whitespace, saw 'x'"
        ])
    }

    @Test func redefinedTableIsASyntaxError() {
        #expect(diagnostics("[daemon]\n[daemon]") == [
            "t.toml:2:1: syntax error in table header: cannot redefine existing table 'daemon'"
        ])
    }

    @Test func unknownKeySuggestsNearSpelling() {
        #expect(diagnostics("[daemon]\n  intervall = \"5s\"") == [
            "t.toml:2:3: unknown key 'intervall' in [daemon]; did you mean 'interval'?"
        ])
    }

    @Test(arguments: [
        ("intreval", "interval"), ("log-level", "log_level"), ("LogLevel", "log_level"),
        ("stat_dir", "state_dir"), ("sockets", "socket"),
    ])
    func nearSpellings(typo: String, key: String) {
        #expect(diagnostics("[daemon]\n\(typo) = 1") == [
            "t.toml:2:1: unknown key '\(typo)' in [daemon]; did you mean '\(key)'?"
        ])
    }

    @Test func unknownKeyFarFromAnySpellingHasNoSuggestion() {
        #expect(diagnostics("[storage]\ncompression = true") == [
            "t.toml:2:1: unknown key 'compression' in [storage]"
        ])
    }

    @Test func keyInTheWrongTableSaysWhereItBelongs() {
        #expect(diagnostics("[daemon]\nkeep_per_target = 3\n[[target]]\nname = \"a\"\nunit = \"a.service\"\ninterval = \"1s\"") == [
            "t.toml:2:1: unknown key 'keep_per_target' in [daemon]; 'keep_per_target' belongs in [storage]",
            "t.toml:6:1: unknown key 'interval' in [[target]]; 'interval' belongs in [daemon]",
        ])
    }

    @Test func topLevelKeySaysWhereItBelongs() {
        #expect(diagnostics("interval = \"5s\"") == [
            "t.toml:1:1: unknown key 'interval' at the top level; 'interval' belongs in [daemon]"
        ])
    }

    @Test func unknownTableSuggestsNearName() {
        #expect(diagnostics("# comment\n[deamon]\ninterval = \"5s\"") == [
            "t.toml:2:1: unknown table [deamon]; did you mean [daemon]?"
        ])
        #expect(diagnostics("[[targets]]\nname = \"a\"") == [
            "t.toml:1:1: unknown table [[targets]]; did you mean [[target]]?"
        ])
        #expect(diagnostics("[prometheus]\nport = 9") == ["t.toml:1:1: unknown table [prometheus]"])
        #expect(diagnostics("[metric]\nlisten = \"127.0.0.1:9464\"") == ["t.toml:1:1: unknown table [metric]; did you mean [metrics]?"])
    }

    @Test func unknownSubtable() {
        #expect(diagnostics("[daemon]\n[daemon.extra]\nx = 1") == [
            "t.toml:2:9: unknown key 'extra' in [daemon]"
        ])
    }

    @Test func wrongTypes() {
        #expect(diagnostics("[storage]\nkeep_per_target = \"5\"") == [
            "t.toml:2:19: 'keep_per_target' must be an integer, got string"
        ])
        #expect(diagnostics("[daemon]\nsocket = 5\nlog_level = [\"info\"]\ninterval = true") == [
            "t.toml:2:10: 'socket' must be a string, got integer",
            "t.toml:3:13: 'log_level' must be a string, got array",
            "t.toml:4:12: 'interval' must be a duration such as \"5s\" or a number of seconds, got boolean",
        ])
        #expect(diagnostics("[storage]\nmax_bytes = 1.5") == [
            "t.toml:2:13: 'max_bytes' must be a size such as \"512MiB\" or an integer of bytes, got float"
        ])
        #expect(diagnostics("daemon = 5") == ["t.toml:1:10: 'daemon' must be a table ([daemon]), got integer"])
        #expect(diagnostics("metrics = \"x\"") == ["t.toml:1:11: 'metrics' must be a table ([metrics]), got string"])
    }

    @Test func badDurationSaysWhatIsAccepted() {
        #expect(diagnostics("[daemon]\ninterval = \"5 sec\"") == [
            "t.toml:2:12: 'interval' is not a duration: \"5 sec\"; use a number with ms, s, m, h or d, "
                + "such as \"500ms\", \"5s\", \"30m\" or \"1h\" (a bare number is seconds)"
        ])
    }

    @Test func zeroIntervalIsRejected() {
        #expect(diagnostics("[daemon]\ninterval = \"0s\"") == ["t.toml:2:12: 'interval' must be greater than 0"])
        #expect(diagnostics("[daemon]\ninterval = 0") == ["t.toml:2:12: 'interval' must be greater than 0"])
    }

    @Test func badSizeSaysWhatIsAccepted() {
        #expect(diagnostics("[storage]\nmax_bytes = \"10 gigs\"") == [
            "t.toml:2:13: 'max_bytes' is not a size: \"10 gigs\"; use bytes or a number with KiB, MiB, GiB, TiB "
                + "(powers of 1024) or KB, MB, GB, TB (powers of 1000), such as \"512MiB\", \"1.5GiB\" or \"500MB\""
        ])
    }

    @Test func badGrowthRates() {
        let target = "[[target]]\nname = \"a\"\nunit = \"a.service\"\n"
        #expect(diagnostics(target + "growth_max = \"50MiB\"") == [
            "t.toml:4:14: 'growth_max' needs a time unit: \"50MiB\"; write \"50MiB/h\" for a size per hour"
        ])
        #expect(diagnostics(target + "growth_max = \"fast\"") == [
            "t.toml:4:14: 'growth_max' is not a growth rate: \"fast\"; use a size per hour such as \"50MiB/h\" (/s, /m and /d work too)"
        ])
        #expect(diagnostics(target + "growth_max = 5") == [
            "t.toml:4:14: 'growth_max' must be a size per hour such as \"50MiB/h\", got integer"
        ])
    }

    @Test func negativeValues() {
        #expect(diagnostics("[storage]\nmax_bytes = -1") == ["t.toml:2:13: 'max_bytes' must not be negative, got -1"])
        #expect(diagnostics("[storage]\nmax_bytes = \"-5MiB\"") == [
            "t.toml:2:13: 'max_bytes' must not be negative, got \"-5MiB\""
        ])
        #expect(diagnostics("[daemon]\ninterval = -3") == ["t.toml:2:12: 'interval' must not be negative, got -3"])
        #expect(diagnostics("[storage]\nkeep_per_target = 0") == [
            "t.toml:2:19: 'keep_per_target' must be at least 1, got 0"
        ])
    }

    @Test func badLogLevelListsChoices() {
        #expect(diagnostics("[daemon]\nlog_level = \"warn\"") == [
            "t.toml:2:13: 'log_level' must be one of trace, debug, info, notice, warning, error, critical, "
                + "got \"warn\"; did you mean \"warning\"?"
        ])
    }

    @Test func relativePathsAreRejected() {
        #expect(diagnostics("[storage]\ndir = \"snaps\"") == [
            "t.toml:2:7: 'dir' must be an absolute path (starting with '/'), got \"snaps\""
        ])
        let long = "/" + String(repeating: "s", count: 110)
        #expect(diagnostics("[daemon]\nsocket = \"\(long)\"") == [
            "t.toml:2:10: 'socket' is too long: 111 bytes, at most 107"
        ])
    }

    @Test func badRegexReportsTheRegexError() {
        #expect(diagnostics("[[target]]\nname = \"a\"\ncommand = \"node (server\"") == [
            "t.toml:3:11: 'command' is not a valid regular expression: expected ')'"
        ])
        #expect(diagnostics("[[target]]\nname = \"a\"\ncommand = \"\"") == [
            "t.toml:3:11: 'command' must not be empty (it would match every process)"
        ])
    }

    @Test func duplicateTargetNamePointsAtTheSecondAndNamesTheFirst() {
        let text = """
            [[target]]
            name = "api"
            unit = "api.service"

            [[target]]
            name = "api"
            unit = "api2.service"
            """
        #expect(diagnostics(text) == ["t.toml:6:8: duplicate target name 'api' (first used on line 2)"])
    }

    @Test func missingKeysPointAtTheTargetHeader() {
        let text = """
            [[target]]
            name = "ok"
            unit = "ok.service"
            [[target]]
              command = "node"
            [[target]]
            name = "bare"
            """
        #expect(diagnostics(text) == [
            "t.toml:4:1: [[target]] is missing required key 'name'",
            "t.toml:6:1: target 'bare' needs at least one matcher: 'command', 'unit' or 'pidfile'",
        ])
    }

    @Test(arguments: [
        ("", "'name' must not be empty"),
        ("my api", "'name' may contain only letters A-Z a-z, digits, '.', '_' and '-' (it names the target's snapshot directory), got \"my api\""),
        ("../etc", "'name' may contain only letters A-Z a-z, digits, '.', '_' and '-' (it names the target's snapshot directory), got \"../etc\""),
        ("..", "'name' must not be \"..\" (it names the target's snapshot directory)"),
        (".", "'name' must not be \".\" (it names the target's snapshot directory)"),
        ("café", "'name' may contain only letters A-Z a-z, digits, '.', '_' and '-' (it names the target's snapshot directory), got \"café\""),
    ])
    func unsafeTargetNames(name: String, message: String) {
        #expect(diagnostics("[[target]]\nname = \"\(name)\"\nunit = \"a.service\"") == ["t.toml:2:8: \(message)"])
    }

    @Test(arguments: [
        ("https://localhost/snap", "'capture' does not support https: the snapshot endpoint is fetched over plain http, normally on 127.0.0.1; use an http:// URL"),
        ("ftp://host/x", "'capture' URL must start with http://, got \"ftp://\""),
        ("http:///snap", "'capture' URL has no host: \"http:///snap\""),
        ("http://host:99999/", "'capture' URL has a bad port \"99999\"; use a number from 1 to 65535"),
        ("http://host/a b", "'capture' URL must not contain spaces or control characters"),
        ("signall", "'capture' must be \"signal\", \"inspector\", \"auto\", \"none\" or an http:// URL, got \"signall\"; did you mean \"signal\"?"),
        ("gdb", "'capture' must be \"signal\", \"inspector\", \"auto\", \"none\" or an http:// URL, got \"gdb\""),
    ])
    func badCaptures(value: String, message: String) {
        #expect(diagnostics("[[target]]\nname = \"a\"\nunit = \"a.service\"\ncapture = \"\(value)\"") == [
            "t.toml:4:11: \(message)"
        ])
    }

    @Test(arguments: [
        ("api", "'unit' must name a .service, .scope or .slice unit (processes live in those), got \"api\"; did you mean \"api.service\"?"),
        ("api.socket", "'unit' must name a .service, .scope or .slice unit (processes live in those), got \"api.socket\""),
        ("/system.slice/api.service", "'unit' must be a unit name such as \"api.service\", not a path or text with spaces, got \"/system.slice/api.service\""),
    ])
    func badUnits(value: String, message: String) {
        #expect(diagnostics("[[target]]\nname = \"a\"\nunit = \"\(value)\"") == ["t.toml:3:8: \(message)"])
    }

    @Test func relativePidfile() {
        #expect(diagnostics("[[target]]\nname = \"a\"\npidfile = \"api.pid\"") == [
            "t.toml:3:11: 'pidfile' must be an absolute path (starting with '/'), got \"api.pid\""
        ])
    }

    @Test func windowMustHoldEnoughSamples() {
        let base = "[daemon]\ninterval = \"10s\"\n[[target]]\nname = \"a\"\nunit = \"a.service\"\n"
        #expect(diagnostics(base + "window = \"5m\"") == [
            "t.toml:6:10: 'window' (5m) must be at least 36 × [daemon] interval (36 × 10s = 6m), or the trend can never be judged"
        ])
        #expect(diagnostics(base + "window = \"6m\"") == [])
        #expect(diagnostics("[daemon]\ninterval = \"1m\"\n[[target]]\nname = \"a\"\nunit = \"a.service\"") == [
            "t.toml:3:1: target 'a': the default 'window' (15m) must be at least 36 × [daemon] interval "
                + "(36 × 1m = 36m), or the trend can never be judged; set 'window' to at least 36m"
        ])
        #expect(diagnostics("[daemon]\ninterval = \"1m\"") == [
            "t.toml:2:12: 'interval' (1m) must be at most 1/36 of the default target's window (15m); "
                + "lower it, or add a [[target]] with a longer 'window'"
        ])
    }

    @Test func configErrorDescriptionIsOneDiagnosticPerLine() {
        let error = ConfigError(diagnostics: [
            ConfigDiagnostic(file: "a.toml", line: 1, column: 2, message: "one"),
            ConfigDiagnostic(file: "a.toml", line: 3, column: 4, message: "two"),
        ])
        #expect(error.description == "a.toml:1:2: one\na.toml:3:4: two")
    }
}
