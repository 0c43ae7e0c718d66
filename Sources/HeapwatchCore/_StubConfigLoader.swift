// TEMPORARY: replaced by the real loader (branch `config`).
import TOMLKit

public struct ConfigDiagnostic: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String
    public var description: String { "\(file):\(line):\(column): \(message)" }
}

public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [ConfigDiagnostic]
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

public enum ConfigLoader {
    public static func load(path: String) throws(ConfigError) -> HeapwatchConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(diagnostics: [ConfigDiagnostic(file: path, line: 1, column: 1, message: "cannot read")])
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(ConfigError) -> HeapwatchConfig {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch {
            throw ConfigError(diagnostics: [ConfigDiagnostic(file: file, line: 1, column: 1, message: "syntax error")])
        }
        var daemon = DaemonSettings()
        if let d = table["daemon"]?.table {
            if let v = d["interval"]?.string, let s = Units.parseDuration(v) { daemon.interval = s }
            if let v = d["socket"]?.string { daemon.socket = v }
            if let v = d["state_dir"]?.string { daemon.stateDir = v }
            if let v = d["log_level"]?.string, let l = LogLevel(rawValue: v) { daemon.logLevel = l }
        }
        var storage = StorageSettings(dir: daemon.stateDir + "/snapshots")
        if let s = table["storage"]?.table {
            if let v = s["dir"]?.string { storage.dir = v }
            if let v = s["keep_per_target"]?.int { storage.keepPerTarget = v }
        }
        var targets: [TargetConfig] = []
        if let array = table["target"]?.array {
            for item in array {
                guard let t = item.table, let name = t["name"]?.string else { continue }
                var matchers: [ProcessMatcher] = []
                if let c = t["command"]?.string { matchers.append(.command(pattern: c)) }
                if let p = t["pidfile"]?.string { matchers.append(.pidfile(p)) }
                var target = TargetConfig(name: name, matchers: matchers)
                if let c = t["capture"]?.string { target.capture = c == "none" ? .none : c == "signal" ? .signal : c == "inspector" ? .inspector : c == "auto" ? .auto : .http(url: c) }
                if let v = t["window"]?.string, let s = Units.parseDuration(v) { target.window = s }
                if let v = t["cooldown"]?.string, let s = Units.parseDuration(v) { target.cooldown = s }
                if let v = t["growth_max"]?.string, let s = Units.parseGrowthRate(v) { target.growthMax = s }
                if let v = t["rss_max"]?.string, let s = Units.parseSize(v) { target.rssMax = s }
                if let v = t["heap_source"]?.string { target.heapSource = v == "inspector" ? .inspector : .http(url: v) }
                targets.append(target)
            }
        }
        return HeapwatchConfig(daemon: daemon, storage: storage, targets: targets.isEmpty ? [.defaultNode] : targets)
    }
}
