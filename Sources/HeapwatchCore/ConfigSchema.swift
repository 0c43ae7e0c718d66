/// Every key the config file accepts, one declaration per key, table by table.
///
/// Defaults live in the model types (`Config.swift`); `defaultText` repeats them as the shipped
/// `config/heapwatch.toml` writes them, and a test checks that the two agree.
enum ConfigSchema {
    /// Tables allowed at the top level, as users write them.
    static let tables: [(name: String, display: String)] = [
        ("daemon", "[daemon]"), ("storage", "[storage]"), ("target", "[[target]]"), ("metrics", "[metrics]"), ("sink", "[[sink]]"),
    ]

    /// `[daemon]`
    static var daemon: [ConfigField<DaemonSettings>] {
        [
            .duration("interval", default: "5s", \.interval, positive: true),
            // sun_path holds 108 bytes with the terminating NUL.
            .absolutePath("socket", default: DaemonSettings.defaultSocket, \.socket, maxBytes: 107),
            .absolutePath("state_dir", default: DaemonSettings.defaultStateDir, \.stateDir),
            .choice("log_level", default: LogLevel.info, \.logLevel),
            .duration("capture_timeout", default: "5m", \.captureTimeout, positive: true),
        ]
    }

    /// `[storage]`; an absent `dir` becomes `<state_dir>/snapshots` once `[daemon]` is known.
    static var storage: [ConfigField<StorageSettings>] {
        [
            .absolutePath("dir", default: "<state_dir>/snapshots", \.dir),
            .integer("keep_per_target", default: "5", \.keepPerTarget, minimum: 1),
            .size("max_bytes", default: "10GiB", \.maxBytes),
            .optionalDuration("max_age", \.maxAge),
            .boolean("compress", default: "false", \.compress),
        ]
    }

    /// `[[target]]`: the matchers add to `matchers` in this order.
    static var target: [ConfigField<TargetConfig>] {
        [
            ConfigField("name") { value, target throws(ValueProblem) in
                target.name = try TargetValues.name(value)
            },
            ConfigField("command") { value, target throws(ValueProblem) in
                target.matchers.append(.command(pattern: try TargetValues.commandPattern(value)))
            },
            ConfigField("unit") { value, target throws(ValueProblem) in
                target.matchers.append(.unit(try TargetValues.unit(value)))
            },
            ConfigField("pidfile") { value, target throws(ValueProblem) in
                target.matchers.append(.pidfile(try ConfigValueReader.absolutePath(value, key: "pidfile")))
            },
            ConfigField("capture", default: "signal") { value, target throws(ValueProblem) in
                target.capture = try TargetValues.capture(value)
            },
            .optionalSize("rss_max", \.rssMax),
            .growthRate("growth_max", default: "20MiB/h", \.growthMax),
            .duration("window", default: "15m", \.window, positive: true),
            .duration("cooldown", default: "1h", \.cooldown),
            .duration("capture_before", default: "30m", \.captureBefore),
            .number("headroom_factor", default: "16", \.headroomFactor, range: 1...100),
            .integer("max_captures_per_day", default: "6", \.maxCapturesPerDay, minimum: 1),
            ConfigField("heap_source") { value, target throws(ValueProblem) in
                target.heapSource = try TargetValues.heapSource(value)
            },
        ]
    }

    /// `[metrics]`
    static var metrics: [ConfigField<MetricsSettings>] {
        [
            ConfigField("listen") { value, metrics throws(ValueProblem) in
                let text = try ConfigValueReader.string(value, key: "listen")
                guard let parsed = MetricsSettings.parseListen(text) else {
                    throw ValueProblem("'listen' must be HOST:PORT, like \"127.0.0.1:9464\", got \"\(text)\"")
                }
                metrics = parsed
            },
        ]
    }

    /// `[[sink]]`: read into a draft, checked as a whole by `ConfigLoader.decodeSinks`.
    static var sink: [ConfigField<SinkDraft>] {
        [
            ConfigField("name") { value, sink throws(ValueProblem) in sink.name = try TargetValues.name(value) },
            ConfigField("type") { value, sink throws(ValueProblem) in
                let text = try ConfigValueReader.string(value, key: "type")
                guard ["webhook", "exec", "jsonl"].contains(text) else {
                    throw ValueProblem("'type' must be \"webhook\", \"exec\" or \"jsonl\", got \"\(text)\"")
                }
                sink.type = text
            },
            ConfigField("url") { value, sink throws(ValueProblem) in
                let text = try ConfigValueReader.string(value, key: "url")
                if text.lowercased().hasPrefix("https://") {
                    throw ValueProblem("'url' must be http://: heapwatchd does not speak TLS; point it at a local relay (e.g. Alertmanager, or a proxy)")
                }
                guard text.lowercased().hasPrefix("http://") else { throw ValueProblem("'url' must be an http:// URL, got \"\(text)\"") }
                try TargetValues.checkHTTPURL(text, key: "url")
                sink.url = text
            },
            .integer("retries", default: "3", \.retries, minimum: 0),
            ConfigField("command") { value, sink throws(ValueProblem) in
                let command = try ConfigValueReader.strings(value, key: "command")
                guard let first = command.first, first.hasPrefix("/") else {
                    throw ValueProblem("'command' must be an array whose first element is an absolute path, like [\"/usr/local/bin/notify\", \"--urgent\"] (no shell is used)")
                }
                sink.command = command
            },
            ConfigField("path") { value, sink throws(ValueProblem) in sink.path = try ConfigValueReader.absolutePath(value, key: "path") },
            .size("max_bytes", default: "64MiB", \.maxBytes),
            .integer("keep", default: "3", \.keep, minimum: 0),
            ConfigField("events") { value, sink throws(ValueProblem) in
                let names = try ConfigValueReader.strings(value, key: "events")
                let known = Set(SinkDraft.eventNames)
                if let unknown = names.first(where: { !known.contains($0) }) {
                    throw ValueProblem("unknown event \"\(unknown)\" in 'events'; known: \(SinkDraft.eventNames.joined(separator: ", "))")
                }
                sink.events = Set(names)
            },
            .duration("timeout", default: "10s", \.timeout, positive: true),
        ]
    }

    /// Keys a `[[target]]` must have.
    static let targetRequired = ["name"]
    /// A `[[target]]` needs at least one of these.
    static let targetMatchers = ["command", "unit", "pidfile"]

    /// Where a key that is unknown in one table does belong, for "belongs in [storage]".
    static func tableOwning(key: String) -> String? {
        if daemon.contains(where: { $0.name == key }) { return "[daemon]" }
        if storage.contains(where: { $0.name == key }) { return "[storage]" }
        if target.contains(where: { $0.name == key }) { return "[[target]]" }
        if metrics.contains(where: { $0.name == key }) { return "[metrics]" }
        if sink.contains(where: { $0.name == key }) { return "[[sink]]" }
        return nil
    }
}
