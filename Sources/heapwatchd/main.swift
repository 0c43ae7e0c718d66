import ArgumentParser
import HeapwatchControl
import HeapwatchCore
import HeapwatchDaemon
import Logging
#if canImport(Glibc)
import Glibc
#endif

@main
struct Heapwatchd: AsyncParsableCommand {
    static let defaultConfigPath = "/etc/heapwatch/heapwatch.toml"

    static let configuration = CommandConfiguration(
        commandName: "heapwatchd",
        abstract: "Watches Node.js processes for memory leaks and captures heap snapshots before they crash.",
        discussion: """
            Reads its configuration from \(defaultConfigPath) unless --config names another file; \
            without a config file it watches every Node process with the defaults. \
            SIGHUP reloads the configuration; a config with errors is rejected and the running one kept.
            """,
        version: HeapwatchVersion.current
    )

    @Option(name: .shortAndLong, help: "The TOML config file.")
    var config: String?

    @Flag(name: .customLong("check-config"), help: "Check the config, print 'ok' or one FILE:LINE:COL: message per problem, and exit.")
    var checkConfig = false

    @Option(help: "Control socket path (overrides [daemon] socket).")
    var socket: String?

    @Option(name: .customLong("state-dir"), help: "State directory (overrides [daemon] state_dir).")
    var stateDir: String?

    @Option(name: .customLong("proc-root"), help: .hidden)
    var procRoot = "/proc"

    @Option(name: .customLong("capture-timeout"), help: .hidden)
    var captureTimeout: Double?

    /// Set by heapwatchd itself when it starts an analysis worker (`AnalysisWorker`).
    @Option(name: .customLong("analysis-job"), help: .hidden)
    var analysisJob: String?

    func run() async throws {
        if let analysisJob {
            let status = AnalysisWorker.run(jobJSON: analysisJob)
            if status != 0 { throw ExitCode(status) }
            return
        }
        if getenv(AnalysisWorker.environmentVariable) != nil {
            // It made this process nice 19 and first in line for the OOM killer: not for a daemon.
            FileHandleOutput.standardError("heapwatchd: \(AnalysisWorker.environmentVariable) is set; it is for heapwatchd's analysis workers only, unset it")
            throw ExitCode(1)
        }
        let path = config ?? (access(Self.defaultConfigPath, F_OK) == 0 ? Self.defaultConfigPath : nil)
        let loaded: HeapwatchConfig
        do {
            loaded = try path.map { try ConfigLoader.load(path: $0) } ?? HeapwatchConfig()
        } catch let error as ConfigError {
            FileHandleOutput.standardError(error.description)
            throw ExitCode(1)
        }
        if checkConfig {
            print("ok")
            return
        }
        let overrides = ConfigOverrides(socket: socket, stateDir: stateDir)
        let effective = overrides.apply(to: loaded)
        let level = Logger.Level(rawValue: effective.daemon.logLevel.rawValue) ?? .info
        let journal = JournalLogHandler.stderrIsJournal()
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = journal ? JournalLogHandler(identifier: "heapwatchd") : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "heapwatchd")
        if path == nil { logger.notice("no config file at \(Self.defaultConfigPath): watching every Node process with the defaults") }
        var options = Daemon.Options(configPath: path)
        options.overrides = overrides
        options.procRoot = procRoot
        options.captureTimeoutOverride = captureTimeout
        do {
            try await Daemon.run(config: effective, options: options, logger: logger)
        } catch {
            logger.critical("heapwatchd stopped: \(error)")
            throw ExitCode(1)
        }
    }
}

enum FileHandleOutput {
    static func standardError(_ text: String) {
        let line = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)
        _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
