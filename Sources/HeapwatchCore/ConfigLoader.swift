import TOMLKit

/// Reads heapwatch's TOML config into a `HeapwatchConfig`, or reports every problem in it at
/// its line and column (`FILE:LINE:COL: message`).
///
/// One pass collects all problems: unknown keys and tables (with a near spelling), wrong
/// types, malformed sizes, durations, rates and regexes, duplicate target names, missing
/// keys. A syntax error stops the pass, since TOML cannot be read past it.
public enum ConfigLoader {
    public static func parse(_ text: String, file: String) throws(ConfigError) -> HeapwatchConfig {
        if let nul = positionOfNUL(in: text) {
            throw ConfigError(diagnostics: [
                ConfigDiagnostic(
                    file: file, line: nul.line, column: nul.column,
                    message: "NUL character in the file; a config file is text")
            ])
        }
        let map = ConfigSourceMap(text: text)
        if let problem = map.syntaxProblems.first {
            throw ConfigError(diagnostics: [
                ConfigDiagnostic(
                    file: file, line: problem.position.line, column: problem.position.column, message: problem.message)
            ])
        }
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let begin = error.source.begin
            throw ConfigError(diagnostics: [
                ConfigDiagnostic(
                    file: file, line: max(1, begin.line), column: max(1, begin.column),
                    message: syntaxMessage(error.description))
            ])
        } catch {
            throw ConfigError(diagnostics: [
                ConfigDiagnostic(file: file, line: 1, column: 1, message: "cannot parse TOML: \(error)")
            ])
        }
        var out = ConfigDiagnosticCollector(file: file, map: map)
        let config = decode(root, &out)
        guard out.diagnostics.isEmpty else { throw ConfigError(diagnostics: out.sorted) }
        return config
    }

    private static func decode(_ root: TOMLTable, _ out: inout ConfigDiagnosticCollector) -> HeapwatchConfig {
        var daemon = DaemonSettings()
        if let table = subtable(root, "daemon", &out) {
            decodeFields(table, at: [.key("daemon")], display: "[daemon]", ConfigSchema.daemon, into: &daemon, &out)
        }

        var storage = StorageSettings(dir: "")
        var storageDirGiven = false
        if let table = subtable(root, "storage", &out) {
            decodeFields(table, at: [.key("storage")], display: "[storage]", ConfigSchema.storage, into: &storage, &out)
            storageDirGiven = table["dir"] != nil
        }
        if !storageDirGiven || storage.dir.isEmpty {
            storage.dir = defaultStorageDir(stateDir: daemon.stateDir)
        }

        let decodedTargets = decodeTargets(root, &out)
        var targets = decodedTargets.map(\.config)
        if targets.isEmpty {
            targets = [.defaultNode]
            checkDefaultWindow(interval: daemon.interval, &out)
        } else {
            checkWindows(decodedTargets, interval: daemon.interval, &out)
        }

        let metrics = decodeMetrics(root, &out)
        let sinks = decodeSinks(root, &out)
        reportUnknownTopLevel(root, &out)
        return HeapwatchConfig(daemon: daemon, storage: storage, targets: targets, metrics: metrics, sinks: sinks)
    }

    /// `<state_dir>/snapshots`, without a doubled slash.
    static func defaultStorageDir(stateDir: String) -> String {
        var base = Substring(stateDir)
        while base.count > 1, base.hasSuffix("/") { base.removeLast() }
        return base == "/" ? "/snapshots" : base + "/snapshots"
    }

    /// The table under `key`, nil when absent or (reported) not a table.
    static func subtable(_ root: TOMLTable, _ key: String, _ out: inout ConfigDiagnosticCollector) -> TOMLTable? {
        guard let value = root[key] else { return nil }
        guard let table = value.table else {
            out.atValue(
                [.key(key)],
                "'\(key)' must be a table ([\(key)]), got \(ConfigValueReader.typeName(value.type))")
            return nil
        }
        return table
    }

    /// Applies each declared field found in `table`, then reports the keys no field declares.
    static func decodeFields<Model>(
        _ table: TOMLTable, at path: ConfigPath, display: String, _ fields: [ConfigField<Model>],
        into model: inout Model, _ out: inout ConfigDiagnosticCollector
    ) {
        for field in fields {
            guard let value = table[field.name] else { continue }
            do throws(ValueProblem) {
                try field.apply(value, &model)
            } catch {
                out.atValue(path + [.key(field.name)], error.message)
            }
        }
        let known = fields.map(\.name)
        for key in table.keys where !known.contains(key) {
            out.atKey(path + [.key(key)], unknownKeyMessage(key, in: display, known: known))
        }
    }

    static func unknownKeyMessage(_ key: String, in display: String, known: [String]) -> String {
        var message = "unknown key '\(key)' in \(display)"
        if let near = ConfigSpelling.nearest(to: key, among: known) {
            message += "; did you mean '\(near)'?"
        } else if let owner = ConfigSchema.tableOwning(key: key), owner != display {
            message += "; '\(key)' belongs in \(owner)"
        }
        return message
    }

    /// Keys and tables at the top level other than `[daemon]`, `[storage]`, `[[target]]`.
    private static func reportUnknownTopLevel(_ root: TOMLTable, _ out: inout ConfigDiagnosticCollector) {
        let names = ConfigSchema.tables.map(\.name)
        for key in root.keys where !names.contains(key) {
            guard let value = root[key] else {
                out.atKey([.key(key)], "unknown key '\(key)' at the top level")
                continue
            }
            let nearTable = ConfigSpelling.nearest(to: key, among: names)
                .flatMap { near in ConfigSchema.tables.first { $0.name == near }?.display }
            if value.type == .table {
                var message = "unknown table [\(key)]"
                if let nearTable { message += "; did you mean \(nearTable)?" }
                out.atTable([.key(key)], message)
            } else if let array = value.array, !array.isEmpty, array.allSatisfy({ $0.type == .table }) {
                var message = "unknown table [[\(key)]]"
                if let nearTable { message += "; did you mean \(nearTable)?" }
                out.atTable([.key(key), .index(0)], message)
            } else {
                var message = "unknown key '\(key)' at the top level"
                if let owner = ConfigSchema.tableOwning(key: key) {
                    message += "; '\(key)' belongs in \(owner)"
                } else if let nearTable {
                    message += "; did you mean \(nearTable)?"
                }
                out.atKey([.key(key)], message)
            }
        }
    }

    /// toml++ says "Error while parsing value: …"; a compiler would say "syntax error in value: …".
    private static func syntaxMessage(_ description: String) -> String {
        let prefix = "Error while parsing "
        guard description.hasPrefix(prefix) else { return "syntax error: \(description)" }
        return "syntax error in " + description.dropFirst(prefix.count)
    }

    /// toml++ reads a C string, so text after a NUL would silently vanish.
    private static func positionOfNUL(in text: String) -> SourcePosition? {
        var position = SourcePosition.start
        for (offset, scalar) in text.unicodeScalars.enumerated() {
            if scalar == "\0" { return position }
            position.advance(past: scalar, atStart: offset == 0)
        }
        return nil
    }
}
