/// The daemon's configuration, as loaded from TOML (see `ConfigLoader`) with every default filled in.
public struct HeapwatchConfig: Sendable, Equatable {
    public var daemon: DaemonSettings
    public var storage: StorageSettings
    /// Never empty once loaded: with no `[[target]]` the loader adds `TargetConfig.defaultNode`.
    public var targets: [TargetConfig]
    /// `[metrics]`: a Prometheus endpoint, off when nil.
    public var metrics: MetricsSettings?
    /// `[[sink]]` tables: where events go besides the log.
    public var sinks: [SinkConfig]

    public init(daemon: DaemonSettings = .init(), storage: StorageSettings? = nil, targets: [TargetConfig] = [.defaultNode],
                metrics: MetricsSettings? = nil, sinks: [SinkConfig] = []) {
        self.daemon = daemon
        self.storage = storage ?? StorageSettings(dir: daemon.stateDir + "/snapshots")
        self.targets = targets
        self.metrics = metrics
        self.sinks = sinks
    }
}

public struct MetricsSettings: Sendable, Equatable {
    /// `host:port` to serve `/metrics` on, e.g. `127.0.0.1:9464`.
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `127.0.0.1:9464`, `[::1]:9464`, `localhost:9464`.
    public static func parseListen(_ text: String) -> MetricsSettings? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        return MetricsSettings(host: host, port: port)
    }
}

/// One `[[sink]]`: where events are sent besides the log.
public struct SinkConfig: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// POST the event as JSON (with a Slack-compatible `text`).
        case webhook(url: String, retries: Int)
        /// Run a command (no shell) with the event in its environment.
        case exec(command: [String])
        /// Append one JSON object per line; rotate past `maxBytes`, keeping `keep` old files.
        case jsonl(path: String, maxBytes: UInt64, keep: Int)
    }

    public var name: String
    public var kind: Kind
    /// Event kinds to send (`leak_detected`, `over_limit`, `snapshot_captured`, …); nil sends all.
    public var events: Set<String>?
    /// Seconds one delivery may take.
    public var timeout: Double

    public init(name: String, kind: Kind, events: Set<String>? = nil, timeout: Double = 10) {
        self.name = name
        self.kind = kind
        self.events = events
        self.timeout = timeout
    }
}

public enum LogLevel: String, Sendable, Equatable, CaseIterable {
    case trace, debug, info, notice, warning, error, critical
}

public struct DaemonSettings: Sendable, Equatable {
    /// Sampling interval, seconds.
    public var interval: Double
    /// Path of the control socket.
    public var socket: String
    public var stateDir: String
    public var logLevel: LogLevel
    /// How long one capture may take, trigger to complete file, seconds.
    public var captureTimeout: Double = DaemonSettings.defaultCaptureTimeout

    public static let defaultCaptureTimeout = 300.0
    public static let defaultInterval = 5.0
    public static let defaultSocket = "/run/heapwatch/control.sock"
    public static let defaultStateDir = "/var/lib/heapwatch"

    public init(
        interval: Double = DaemonSettings.defaultInterval,
        socket: String = DaemonSettings.defaultSocket,
        stateDir: String = DaemonSettings.defaultStateDir,
        logLevel: LogLevel = .info
    ) {
        self.interval = interval
        self.socket = socket
        self.stateDir = stateDir
        self.logLevel = logLevel
    }
}

public struct StorageSettings: Sendable, Equatable {
    /// Where snapshots are stored, one subdirectory per target. Default `<state_dir>/snapshots`.
    public var dir: String
    public var keepPerTarget: Int
    /// Upper bound on all stored snapshots together, bytes.
    public var maxBytes: UInt64
    /// Snapshots older than this are deleted, seconds; nil keeps them until count or bytes say otherwise.
    public var maxAge: Double?
    /// Store snapshots gzip-compressed (`.heapsnapshot.gz`); the analysis reads them as they are.
    public var compress: Bool

    public static let defaultKeepPerTarget = 5
    public static let defaultMaxBytes: UInt64 = 10 * 1024 * 1024 * 1024

    public init(dir: String, keepPerTarget: Int = StorageSettings.defaultKeepPerTarget, maxBytes: UInt64 = StorageSettings.defaultMaxBytes,
                maxAge: Double? = nil, compress: Bool = false) {
        self.dir = dir
        self.keepPerTarget = keepPerTarget
        self.maxBytes = maxBytes
        self.maxAge = maxAge
        self.compress = compress
    }
}

/// How heapwatch asks a process for a heap snapshot.
public enum CaptureMethod: Sendable, Equatable, CustomStringConvertible {
    /// SIGUSR2, only to processes started with `--heapsnapshot-signal=SIGUSR2` that catch it.
    case signal
    /// GET the app's snapshot endpoint; it answers with the file it wrote.
    case http(url: String)
    /// Open the inspector with SIGUSR1 (when caught) and take the snapshot over the DevTools protocol.
    case inspector
    /// `signal` when the process is prepared for it, else `inspector`.
    case auto
    case none

    public var description: String {
        switch self {
        case .signal: "signal"
        case .http(let url): url
        case .inspector: "inspector"
        case .auto: "auto"
        case .none: "none"
        }
    }
}

/// Where true V8 heap figures (`process.memoryUsage()`) come from, when anywhere.
public enum HeapSource: Sendable, Equatable {
    /// GET a URL answering `process.memoryUsage()` as JSON.
    case http(url: String)
    /// Ask through the inspector (opened and closed each time): at most every `inspectorSpacing`.
    case inspector

    /// Least seconds between two inspector readings of one process.
    public static let inspectorSpacing = 60.0
}

/// One way of recognising a target's processes. A process matches a target when any matcher matches.
public enum ProcessMatcher: Sendable, Equatable {
    /// Regular expression searched in the full command line (arguments joined by spaces).
    case command(pattern: String)
    /// A systemd unit: processes whose cgroup path ends in `/<unit>`.
    case unit(String)
    /// A file holding the pid.
    case pidfile(String)
    /// Every process whose executable basename is `node` or `nodejs`.
    case anyNode
}

public struct TargetConfig: Sendable, Equatable {
    public var name: String
    public var matchers: [ProcessMatcher]
    public var capture: CaptureMethod
    /// RSS above which the target is `over_limit`, bytes.
    public var rssMax: UInt64?
    /// Floor growth above which the target is `leaking`, bytes per hour.
    public var growthMax: Double
    /// How much history the slope is fitted over, seconds.
    public var window: Double
    /// Least time between two automatic captures of one target, seconds.
    public var cooldown: Double
    /// Capture when the forecast says the limit is closer than this, seconds.
    public var captureBefore: Double = TargetConfig.defaultCaptureBefore
    /// A capture needs this many times the heap (heapUsed when known, else RssAnon) free in the host and the cgroup.
    public var headroomFactor: Double = TargetConfig.defaultHeadroomFactor
    /// Automatic captures per target in any 24 hours.
    public var maxCapturesPerDay: Int = TargetConfig.defaultMaxCapturesPerDay
    public var heapSource: HeapSource?

    public static let defaultGrowthMax = 20.0 * 1024 * 1024
    public static let defaultWindow = 15.0 * 60
    public static let defaultCooldown = 3600.0
    public static let defaultCaptureBefore = 1800.0
    /// Measured here: a 184 MiB anonymous heap of small objects peaked at 3.0 GB while node wrote its snapshot
    /// (16×; FIELD-NOTES saw 10×), so 10× could still get a process OOM-killed by heapwatch.
    public static let defaultHeadroomFactor = 16.0
    public static let defaultMaxCapturesPerDay = 6

    public init(
        name: String,
        matchers: [ProcessMatcher],
        capture: CaptureMethod = .signal,
        rssMax: UInt64? = nil,
        growthMax: Double = TargetConfig.defaultGrowthMax,
        window: Double = TargetConfig.defaultWindow,
        cooldown: Double = TargetConfig.defaultCooldown
    ) {
        self.name = name
        self.matchers = matchers
        self.capture = capture
        self.rssMax = rssMax
        self.growthMax = growthMax
        self.window = window
        self.cooldown = cooldown
    }

    /// The target used when the config names none: every Node process on the machine.
    public static let defaultNode = TargetConfig(name: "node", matchers: [.anyNode])
}
