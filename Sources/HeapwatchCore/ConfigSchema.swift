/// Every key the config file accepts, one declaration per key, table by table.
///
/// Defaults live in the model types (`Config.swift`); `defaultText` repeats them as the shipped
/// `config/heapwatch.toml` writes them, and a test checks that the two agree.
enum ConfigSchema {
    /// Tables allowed at the top level, as users write them.
    static let tables: [(name: String, display: String)] = [
        ("daemon", "[daemon]"), ("storage", "[storage]"), ("target", "[[target]]"),
    ]

    /// `[daemon]`
    static var daemon: [ConfigField<DaemonSettings>] {
        [
            .duration("interval", default: "5s", \.interval, positive: true),
            // sun_path holds 108 bytes with the terminating NUL.
            .absolutePath("socket", default: DaemonSettings.defaultSocket, \.socket, maxBytes: 107),
            .absolutePath("state_dir", default: DaemonSettings.defaultStateDir, \.stateDir),
            .choice("log_level", default: LogLevel.info, \.logLevel),
        ]
    }

    /// `[storage]`; an absent `dir` becomes `<state_dir>/snapshots` once `[daemon]` is known.
    static var storage: [ConfigField<StorageSettings>] {
        [
            .absolutePath("dir", default: "<state_dir>/snapshots", \.dir),
            .integer("keep_per_target", default: "5", \.keepPerTarget, minimum: 1),
            .size("max_bytes", default: "10GiB", \.maxBytes),
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
            .duration("window", default: "30m", \.window, positive: true),
            .duration("cooldown", default: "1h", \.cooldown),
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
        return nil
    }
}
