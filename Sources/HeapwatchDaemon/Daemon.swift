import CLinux
import Foundation
import HeapwatchControl
import HeapwatchCore
import HeapwatchHistory
import Logging
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// Assembles the daemon's services and runs them until SIGTERM/SIGINT.
public enum Daemon {
    public struct Options: Sendable {
        public var configPath: String?
        public var overrides = ConfigOverrides()
        /// `/proc`, injectable for fixture trees.
        public var procRoot = "/proc"
        public var capture = CaptureSettings()
        /// `--capture-timeout`, seconds: wins over `[daemon] capture_timeout`.
        public var captureTimeoutOverride: Double?

        public init(configPath: String?) { self.configPath = configPath }
    }

    public static func run(config: HeapwatchConfig, options: Options, logger: Logger) async throws {
        // Everything the daemon creates (snapshots, manifests) is private unless made otherwise on purpose.
        umask(0o077)
        // systemd hands the unit's capabilities over in the ambient set; heapwatchd keeps them, but
        // the commands it runs (exec sinks) must start without them. This reference makes the C
        // constructor that already did it, before any thread existed, part of the binary.
        heapwatch_clear_ambient_capabilities()
        let notifier = SystemdNotifier()
        let procFS = ProcFS(root: options.procRoot)
        let cgroups = CgroupReader(mounts: (try? procFS.cgroupMounts()) ?? [])
        let context = DaemonContext(config: config, configPath: options.configPath, overrides: options.overrides, logger: logger)
        do {
            try await context.store.prepare()
            await context.store.removeLeftovers()
        } catch {
            throw DaemonError.storage("cannot prepare the snapshot store \(config.storage.dir): \(error)")
        }
        let signaller = PidfdSignaller(procFS: procFS)
        let inspector = InspectorCapture(procFS: procFS, signaller: signaller, logger: logger,
                                         markerDirectory: config.storage.dir + "/.inspector-open")
        await inspector.closeLeftovers()
        let clock = ContinuousClock()
        let events = EventHub()
        let lateSnapshots = LateSnapshots(file: config.daemon.stateDir + "/late-snapshots.json", logger: logger)
        lateSnapshots.restore(procFS: procFS)
        let monitor = Monitor(config: config, procFS: procFS, cgroups: cgroups, clock: clock, events: events, logger: logger,
                              lateSnapshots: lateSnapshots)
        await monitor.seedCaptures(await context.store.captures(now: Date().timeIntervalSince1970))
        let queue = CaptureQueue()
        let metrics = config.metrics.map { _ in HeapwatchMetrics() }
        let history = openHistory(directory: config.daemon.stateDir, logger: logger)
        await resumeTrends(monitor: monitor, history: history, logger: logger)
        let (historyTicks, historyFeed) = AsyncStream.makeStream(of: (time: Double, samples: [HistorySample]).self,
                                                                 bufferingPolicy: .bufferingNewest(8))
        let readiness = Readiness(notifier: notifier)
        let reloader = Reloader(context: context, monitor: monitor, notifier: notifier, events: events, logger: logger)
        let baseSettings = options.capture
        let timeoutOverride = options.captureTimeoutOverride
        let inspectorLock = AsyncLock()
        /// A capturer for the current store and config (the capture timeout follows reloads).
        let makeCapturer: @Sendable (SnapshotStore, HeapwatchConfig) -> Capturer = { store, config in
            var settings = baseSettings
            settings.timeout = timeoutOverride ?? config.daemon.captureTimeout
            var capturer = Capturer(procFS: procFS, cgroups: cgroups, signaller: signaller, store: store, settings: settings,
                                    inspectorLock: inspectorLock, logger: logger)
            capturer.lateSnapshots = lateSnapshots
            return capturer
        }
        let handler = ControlHandler(context: context, monitor: monitor, queue: queue, reloader: reloader, procFS: procFS,
                                     history: history, logger: logger)

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: CaptureService(queue: queue, context: context, monitor: monitor, makeCapturer: makeCapturer,
                                          events: events, logger: logger), serviceName: "capture"),
            .init(service: SamplingService(monitor: monitor, queue: queue, notifier: notifier, readiness: readiness, clock: clock,
                                           metrics: metrics, procFS: procFS, history: historyFeed),
                  serviceName: "sampling"),
            .init(service: ControlService(socketPath: config.daemon.socket, handler: handler, readiness: readiness, logger: logger),
                  serviceName: "control"),
            .init(service: ReloadService(reloader: reloader), serviceName: "reload"),
            .init(service: HeapFiguresService(monitor: monitor, inspector: inspector,
                                              inspectorLock: inspectorLock, clock: clock, logger: logger), serviceName: "heap-figures"),
        ]
        services.append(.init(service: HistoryService(box: history, ticks: historyTicks, events: events.subscribe(),
                                                      directory: config.daemon.stateDir, logger: logger), serviceName: "history"))
        services.append(.init(service: LateSnapshotService(late: lateSnapshots, makeCapturer: {
            makeCapturer(await context.store, await context.config)
        }, finished: { await monitor.lateCaptureFinished($0, outcome: $1) },
            events: events, logger: logger), serviceName: "late-snapshots"))
        services.append(.init(service: AnalysisService(context: context, noteFinding: { await monitor.noteFinding($0, $1) },
                                                      publish: { events.publish($0) }, events: events.subscribe(), procFS: procFS, cgroups: cgroups, logger: logger),
                              serviceName: "analysis"))
        if let settings = config.metrics, let metrics {
            services.append(.init(service: MetricsService(settings: settings, metrics: metrics, events: events.subscribe(), logger: logger),
                                  serviceName: "metrics"))
        }
        for sink in config.sinks {
            services.append(.init(service: SinkService(sink: sink, events: events.subscribe(), logger: logger), serviceName: "sink \(sink.name)"))
        }
        if let watchdog = SystemdNotifier.watchdogInterval() {
            logger.info("systemd watchdog every \(watchdog); pinging at half that while sampling progresses")
            services.append(.init(service: WatchdogService(monitor: monitor, notifier: notifier, watchdog: watchdog, clock: clock),
                                  serviceName: "watchdog"))
        }
        // Last, so graceful shutdown reaches it first and STOPPING=1 goes out at once.
        services.append(.init(service: StoppingNotifierService(notifier: notifier, logger: logger),
                              successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "stopping"))

        logger.info("heapwatchd \(HeapwatchVersion.current) starting: \(config.targets.count) target(s), interval \(Units.formatDuration(config.daemon.interval)), store \(config.storage.dir)")
        let group = ServiceGroup(configuration: .init(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.info("heapwatchd stopped")
    }
}

/// Opens `<state_dir>/history.sqlite`; a corrupt file is moved aside, any other failure leaves
/// the daemon running without history (said once in the log and in `heapwatchctl history`).
private func openHistory(directory: String, logger: Logger) -> HistoryBox {
    do {
        try Sys.makeDirectory(directory, mode: 0o700)
        let opened = try HistoryStore.openRecovering(directory: directory, now: Date().timeIntervalSince1970)
        if let aside = opened.movedAside {
            logger.warning("history database was corrupt; kept as \(aside), starting a fresh one")
        }
        return HistoryBox(store: opened.store, unavailableReason: nil)
    } catch {
        logger.error("history unavailable, running without it: \(error)")
        return HistoryBox(store: nil, unavailableReason: "\(error)")
    }
}

/// Hands the monitor the samples the last run recorded, so the trend of each process still running
/// goes on where it was (a restart neither forgets a leak nor re-learns a window). Without them
/// (no history, or it cannot be read) each trend starts afresh, as on a first start.
private func resumeTrends<C: Clock>(monitor: Monitor<C>, history: HistoryBox, logger: Logger) async {
    guard let store = await history.store else { return }
    let wallNow = Date().timeIntervalSince1970
    do {
        let ticks = try await store.recentTicks(since: wallNow - (await monitor.resumeHorizon))
        await monitor.seedHistory(ticks, wallNow: wallNow)
        let deaths = try await store.recentEvents(kind: .outOfMemory, since: wallNow - Monitor<C>.deathsKeptSeconds)
        await monitor.seedDeaths(deaths, wallNow: wallNow)
    } catch {
        logger.warning("cannot read the last run's samples from the history; each trend starts afresh: \(error)")
    }
}

public enum DaemonError: Error, CustomStringConvertible {
    case storage(String)

    public var description: String {
        switch self {
        case .storage(let message): message
        }
    }
}
