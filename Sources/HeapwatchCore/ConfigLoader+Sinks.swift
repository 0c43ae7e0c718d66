import TOMLKit

/// A `[[sink]]` as written, before its keys are checked against its type.
struct SinkDraft {
    var name = ""
    var type: String?
    var url: String?
    var retries = 3
    var command: [String]?
    var path: String?
    var maxBytes: UInt64 = 64 * 1024 * 1024
    var keep = 3
    var events: Set<String>?
    var timeout = 10.0

    /// Event names a sink may ask for (`DaemonEvent.Kind` in the daemon).
    static let eventNames = ["leak_detected", "over_limit", "state_change", "snapshot_captured", "capture_refused", "capture_failed", "config_rejected",
                             "leak_report", "out_of_memory"]
}

extension ConfigLoader {
    static func decodeMetrics(_ root: TOMLTable, _ out: inout ConfigDiagnosticCollector) -> MetricsSettings? {
        guard let table = subtable(root, "metrics", &out) else { return nil }
        var settings = MetricsSettings(host: "", port: 0)
        decodeFields(table, at: [.key("metrics")], display: "[metrics]", ConfigSchema.metrics, into: &settings, &out)
        guard table["listen"] != nil else {
            out.atTable([.key("metrics")], "[metrics] needs 'listen', like listen = \"127.0.0.1:9464\"")
            return nil
        }
        return settings.port == 0 ? nil : settings
    }

    static func decodeSinks(_ root: TOMLTable, _ out: inout ConfigDiagnosticCollector) -> [SinkConfig] {
        guard let value = root["sink"] else { return [] }
        let path: ConfigPath = [.key("sink")]
        guard value.type != .table, let array = value.array else {
            out.atTable(path, "'sink' must be an array of tables: write [[sink]]")
            return []
        }
        var sinks: [SinkConfig] = []
        var names = Set<String>()
        for index in 0..<array.count {
            let elementPath = path + [.index(index)]
            guard let table = array[index].table else {
                out.atValue(elementPath, "each sink must be a table, got \(ConfigValueReader.typeName(array[index].type))")
                continue
            }
            var draft = SinkDraft()
            decodeFields(table, at: elementPath, display: "[[sink]]", ConfigSchema.sink, into: &draft, &out)
            if draft.name.isEmpty && table["name"] == nil { draft.name = "sink\(index + 1)" }
            if !names.insert(draft.name).inserted {
                out.atTable(elementPath, "duplicate sink name '\(draft.name)'")
            }
            let kind: SinkConfig.Kind?
            switch draft.type {
            case "webhook":
                kind = draft.url.map { .webhook(url: $0, retries: draft.retries) }
                if draft.url == nil && table["url"] == nil { out.atTable(elementPath, "a webhook [[sink]] needs 'url'") }
            case "exec":
                kind = draft.command.map { .exec(command: $0) }
                if draft.command == nil && table["command"] == nil { out.atTable(elementPath, "an exec [[sink]] needs 'command'") }
            case "jsonl":
                kind = draft.path.map { .jsonl(path: $0, maxBytes: draft.maxBytes, keep: draft.keep) }
                if draft.path == nil && table["path"] == nil { out.atTable(elementPath, "a jsonl [[sink]] needs 'path'") }
            default:
                kind = nil
                if table["type"] == nil { out.atTable(elementPath, "[[sink]] needs 'type': \"webhook\", \"exec\" or \"jsonl\"") }
            }
            if let kind { sinks.append(SinkConfig(name: draft.name, kind: kind, events: draft.events, timeout: draft.timeout)) }
        }
        return sinks
    }
}
