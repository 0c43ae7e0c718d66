import Foundation
import HeapwatchCore
import Logging
import ServiceLifecycle

/// Fetches true V8 heap figures for targets with a `heap_source`, so the trend and the forecast
/// can follow `heapUsed` against V8's limit rather than RSS alone. Never blocks sampling.
public struct HeapFiguresService<C: Clock>: Service where C.Duration == Duration {
    let monitor: Monitor<C>
    let inspector: InspectorCapture
    let inspectorLock: AsyncLock
    let clock: C
    let logger: Logger

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                for request in await monitor.heapSourceRequests() {
                    let metadata: Logger.Metadata = [LogField.target: "\(request.target)", LogField.pid: "\(request.identity.pid)"]
                    switch await fetch(request) {
                    case .success(let figures):
                        logger.debug("heap figures of \(request.target) pid \(request.identity.pid): heapUsed \(figures.heapUsed)",
                                     metadata: metadata)
                        await monitor.updateHeap(request.identity, figures)
                    case .failure(let failure):
                        // A failure is logged when it is new, not again at every reading.
                        logger.log(level: failure.message == request.lastFailure ? .debug : failure.level,
                                   "heap figures of \(request.target) pid \(request.identity.pid): \(failure.message)", metadata: metadata)
                        await monitor.updateHeap(request.identity, nil, failure: failure.message)
                    }
                }
                let interval = await monitor.intervalSeconds
                do { try await clock.sleep(for: .milliseconds(Int64(max(interval, 1) * 1000))) } catch { return }
            }
        }
    }

    /// Why a reading gave no figures, and how loud that is.
    struct Failure: Error {
        var message: String
        var level: Logger.Level = .debug
    }

    private func fetch(_ request: HeapSourceRequest) async -> Result<HeapFigures, Failure> {
        switch request.source {
        case .http(let url):
            do {
                let response = try await HTTPClient.fetch(url, timeout: .seconds(5))
                guard response.status == 200, let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
                      let figures = HeapFigures(json: object) else {
                    return .failure(Failure(message: "heap source \(url) gave no heapUsed"))
                }
                if let pid = object["pid"] as? Int, pid != Int(request.identity.pid) {
                    return .failure(Failure(message: "heap source \(url) describes pid \(pid)"))
                }
                if object["pid"] == nil, !request.soleInstance {
                    return .failure(Failure(message: "heap source \(url) gives no pid and the target has several processes"))
                }
                return .success(figures)
            } catch {
                return .failure(Failure(message: "heap source \(url): \(error)"))
            }
        case .inspector:
            do {
                return .success(try await inspectorLock.withLock {
                    try await inspector.heapFigures(identity: request.identity, target: request.target, flags: request.flags,
                                                    status: request.status, announce: request.firstReading)
                })
            } catch {
                return .failure(Failure(message: "through the inspector: \(error)", level: .info))
            }
        }
    }
}

/// A lock for async code: one inspector session at a time, host-wide.
public actor AsyncLock {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init() {}

    public func acquire() async {
        guard busy else { busy = true; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    public func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }

    /// Runs `body` holding the lock, releasing it however `body` ends.
    nonisolated func withLock<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await acquire()
        do {
            let value = try await body()
            await release()
            return value
        } catch {
            await release()
            throw error
        }
    }
}
