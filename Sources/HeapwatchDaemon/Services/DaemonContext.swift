import HeapwatchCore
import Logging

/// The daemon's current config and the parts built from it that a reload replaces.
public actor DaemonContext {
    public private(set) var config: HeapwatchConfig
    public private(set) var store: SnapshotStore
    /// Where the config came from, for reloads; nil when running on defaults.
    public nonisolated let configPath: String?
    /// Command-line overrides, applied on every load.
    public nonisolated let overrides: ConfigOverrides
    private let logger: Logger

    public init(config: HeapwatchConfig, configPath: String?, overrides: ConfigOverrides, logger: Logger) {
        self.config = config
        self.configPath = configPath
        self.overrides = overrides
        self.store = SnapshotStore(settings: config.storage, logger: logger)
        self.logger = logger
    }

    public func replace(_ newConfig: HeapwatchConfig) {
        if newConfig.daemon.socket != config.daemon.socket {
            logger.warning("the control socket moves from \(config.daemon.socket) to \(newConfig.daemon.socket) only on restart")
        }
        if newConfig.metrics != config.metrics || newConfig.sinks != config.sinks {
            logger.warning("changes to [metrics] and [[sink]] take effect when heapwatchd restarts")
        }
        var adjusted = newConfig
        adjusted.daemon.socket = config.daemon.socket
        config = adjusted
        store = SnapshotStore(settings: adjusted.storage, logger: logger)
    }

    /// Per target and pid, why the latest analysis of the process has no report (yet): running,
    /// skipped or failed. Said by `heapwatchctl report` instead of a bare "no report".
    public private(set) var analysisNotes: [String: [Int32: String]] = [:]

    /// Sets (or, with nil, clears once a report is stored) what `report` says of the process.
    public func noteAnalysis(of target: String, pid: Int32, _ note: String?) {
        analysisNotes[target, default: [:]][pid] = note
        if analysisNotes[target]?.isEmpty == true { analysisNotes[target] = nil }
    }
}

/// Settings given on heapwatchd's command line; they win over the config file.
public struct ConfigOverrides: Sendable {
    public var socket: String?
    public var stateDir: String?

    public init(socket: String? = nil, stateDir: String? = nil) {
        self.socket = socket
        self.stateDir = stateDir
    }

    public func apply(to config: HeapwatchConfig) -> HeapwatchConfig {
        var config = config
        if let socket { config.daemon.socket = socket }
        if let stateDir {
            // A store left at its default follows the state directory.
            if config.storage.dir == config.daemon.stateDir + "/snapshots" { config.storage.dir = stateDir + "/snapshots" }
            config.daemon.stateDir = stateDir
        }
        return config
    }
}
