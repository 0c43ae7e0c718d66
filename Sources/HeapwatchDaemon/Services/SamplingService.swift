import Foundation
import HeapwatchCore
import HeapwatchHistory
import Logging
import ServiceLifecycle

/// The main loop: one monitor tick per interval, captures handed to the queue, STATUS sent.
public struct SamplingService<C: Clock>: Service where C.Duration == Duration {
    let monitor: Monitor<C>
    let queue: CaptureQueue
    let notifier: any Notifier
    let readiness: Readiness
    let clock: C
    var metrics: HeapwatchMetrics?
    var procFS = ProcFS()
    /// Each tick's samples go to the history recorder, when history is on.
    var history: AsyncStream<(time: Double, samples: [HistorySample])>.Continuation?

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let started = clock.now
                for job in await monitor.tick() { queue.enqueue(job) }
                let rows = await monitor.statusRows()
                notifier.notify("STATUS=" + TargetStatus.summaryLine(rows))
                metrics?.update(rows: rows, tickDuration: started.duration(to: clock.now), daemonRSSBytes: procFS.ownResidentBytes())
                if let history { history.yield((Date().timeIntervalSince1970, await monitor.historySamples())) }
                await readiness.markSampled()
                let interval = await monitor.intervalSeconds
                // Cancelled at shutdown: end the loop normally.
                do { try await clock.sleep(until: started.advanced(by: .milliseconds(Int64(interval * 1000))), tolerance: nil) } catch { return }
            }
        }
    }
}

/// Pings the systemd watchdog at half of `WATCHDOG_USEC`, but only while the sampling loop is
/// making progress: a stuck loop stops the pings and lets systemd restart the daemon.
public struct WatchdogService<C: Clock>: Service where C.Duration == Duration {
    let monitor: Monitor<C>
    let notifier: any Notifier
    let watchdog: Duration
    let clock: C

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await clock.sleep(for: watchdog / 2) } catch { return }
                let interval = await monitor.intervalSeconds
                guard let last = await monitor.lastTickCompleted else { continue }
                let allowed = Duration.milliseconds(Int64(interval * 1000)) + watchdog / 2
                if last.duration(to: clock.now) <= allowed {
                    notifier.notify("WATCHDOG=1")
                }
            }
        }
    }
}

/// Sends `STOPPING=1` and says so in the log as soon as graceful shutdown begins (it is listed
/// last, so it is told first).
public struct StoppingNotifierService: Service {
    let notifier: any Notifier
    let logger: Logger

    public func run() async throws {
        try? await gracefulShutdown()
        logger.info("heapwatchd stopping")
        notifier.notify("STOPPING=1")
        (notifier as? SystemdNotifier)?.flush()
    }
}
