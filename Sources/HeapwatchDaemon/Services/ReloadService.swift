import HeapwatchCore
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the config: on SIGHUP, and on `heapwatchctl reload`. A config with errors is rejected
/// whole and the running one stays in force.
public actor Reloader<C: Clock> where C.Duration == Duration {
    let context: DaemonContext
    let monitor: Monitor<C>
    let notifier: any Notifier
    let events: EventHub
    let logger: Logger

    init(context: DaemonContext, monitor: Monitor<C>, notifier: any Notifier, events: EventHub, logger: Logger) {
        self.events = events
        self.context = context
        self.monitor = monitor
        self.notifier = notifier
        self.logger = logger
    }

    /// Returns nil on success, else the errors (one `FILE:LINE:COL: message` per line).
    public func reload() async -> String? {
        guard let path = context.configPath else {
            logger.notice("reload: running on built-in defaults (no config file); nothing to reload")
            return nil
        }
        notifier.notify("RELOADING=1\nMONOTONIC_USEC=\(monotonicMicroseconds())")
        defer { notifier.notify("READY=1") }
        do {
            let loaded = context.overrides.apply(to: try ConfigLoader.load(path: path))
            let store = SnapshotStore(settings: loaded.storage, logger: logger)
            try store.prepare()
            await context.replace(loaded)
            await monitor.apply(await context.config)
            logger.notice("reloaded \(path): \(loaded.targets.count) target(s)")
            return nil
        } catch let error as ConfigError {
            logger.error("reload rejected, keeping the running config:\n\(error)",
                         metadata: [LogField.messageID: "\(MessageID.configRejected)"])
            events.publish(DaemonEvent(kind: .configRejected, message: "reload of \(path) rejected: \(error)"))
            return error.description
        } catch {
            logger.error("reload rejected, keeping the running config: \(error)",
                         metadata: [LogField.messageID: "\(MessageID.configRejected)"])
            return "\(error)"
        }
    }
}

/// Reloads on SIGHUP. The one place SIGHUP is trapped.
public struct ReloadService<C: Clock>: Service where C.Duration == Duration {
    let reloader: Reloader<C>

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in await UnixSignalsSequence(trapping: .sighup) {
                _ = await reloader.reload()
            }
        }
    }
}
