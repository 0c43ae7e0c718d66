import Foundation
import HeapwatchCore
import HeapwatchHistory
import Logging
import ServiceLifecycle

/// The open history database, shared by the recorder and the control socket. nil when history is
/// unavailable (it could not be opened); the daemon runs on without it.
public actor HistoryBox {
    public private(set) var store: HistoryStore?
    public private(set) var unavailableReason: String?

    public init(store: HistoryStore?, unavailableReason: String?) {
        self.store = store
        self.unavailableReason = unavailableReason
    }

    func replace(_ store: HistoryStore?, reason: String?) {
        self.store = store
        self.unavailableReason = reason
    }
}

/// Records each tick's samples and every event into the history database, off the sampling
/// path: ticks arrive through a bounded buffer (newest kept), so a slow disk never delays
/// sampling or the watchdog. Prunes once a minute. A database found corrupt while running is
/// moved aside and a fresh one started.
public struct HistoryService: Service {
    let box: HistoryBox
    let ticks: AsyncStream<(time: Double, samples: [HistorySample])>
    let events: AsyncStream<DaemonEvent>
    let directory: String
    let logger: Logger

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    var lastPrune = 0.0
                    for await tick in ticks {
                        await write { (store) async throws(HistoryError) in try await store.record(tick: tick.samples, at: tick.time) }
                        if tick.time - lastPrune >= 60 {
                            lastPrune = tick.time
                            await write { (store) async throws(HistoryError) in try await store.prune(now: tick.time) }
                        }
                    }
                }
                group.addTask {
                    for await event in events {
                        await write { (store) async throws(HistoryError) in try await store.record(event: HistoryService.historyEvent(event)) }
                    }
                }
            }
        }
        await box.store?.close()
    }

    static func historyEvent(_ event: DaemonEvent) -> HistoryEvent {
        var details: [String: String] = [:]
        details["state"] = event.state
        details["rss_bytes"] = event.rssBytes.map(String.init)
        details["slope_bytes_per_hour"] = event.slopeBytesPerHour.map { String(Int64($0)) }
        details["eta_seconds"] = event.etaSeconds.map { String(Int64($0)) }
        details["snapshot"] = event.snapshotPath
        details["finding"] = event.finding
        details["cause"] = event.cause
        return HistoryEvent(time: event.time, target: event.target, pid: event.pid, kind: HistoryEvent.Kind(rawValue: event.kind.rawValue),
                            message: event.message, details: details.isEmpty ? nil : details)
    }

    private func write(_ operation: (HistoryStore) async throws(HistoryError) -> Void) async {
        guard let store = await box.store else { return }
        do {
            try await operation(store)
        } catch .corrupt(let path, let reason) {
            logger.error("history database \(path) is corrupt (\(reason)); moving it aside and starting a fresh one")
            store.close()
            do {
                let fresh = try HistoryStore.startFresh(directory: directory, now: Date().timeIntervalSince1970)
                logger.warning("history: the damaged database was kept as \(fresh.movedAside)")
                await box.replace(fresh.store, reason: nil)
            } catch {
                logger.error("history disabled: \(error)")
                await box.replace(nil, reason: "\(error)")
            }
        } catch {
            logger.warning("history: \(error)")
        }
    }
}
