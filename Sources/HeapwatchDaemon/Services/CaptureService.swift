import HeapwatchCore
import Logging
import ServiceLifecycle

/// Runs captures one at a time, host-wide: a snapshot can need many times the target's heap, and
/// two at once could take the host down with them.
public final class CaptureQueue: Sendable {
    struct Request: Sendable {
        var job: CaptureJob
        var reply: (@Sendable (CaptureOutcome) -> Void)?
    }

    let requests: AsyncStream<Request>
    private let continuation: AsyncStream<Request>.Continuation

    public init() {
        (requests, continuation) = AsyncStream.makeStream(of: Request.self)
    }

    /// Queues a capture without waiting for it.
    public func enqueue(_ job: CaptureJob) {
        continuation.yield(Request(job: job, reply: nil))
    }

    /// Queues a capture and waits for its outcome.
    public func submit(_ job: CaptureJob) async -> CaptureOutcome {
        await withCheckedContinuation { waiter in
            let result = continuation.yield(Request(job: job) { waiter.resume(returning: $0) })
            if case .terminated = result { waiter.resume(returning: .failed("heapwatchd is stopping")) }
        }
    }

    func finish() { continuation.finish() }
}

public struct CaptureService<C: Clock>: Service where C.Duration == Duration {
    let queue: CaptureQueue
    let context: DaemonContext
    let monitor: Monitor<C>
    let makeCapturer: @Sendable (SnapshotStore, HeapwatchConfig) -> Capturer
    let events: EventHub
    let logger: Logger

    public func run() async throws {
        await withGracefulShutdownHandler {
            for await request in queue.requests {
                let store = await context.store
                let config = await context.config
                let outcome: CaptureOutcome
                if Task.isCancelled {
                    outcome = .failed("heapwatchd is stopping")
                } else {
                    // SIGTERM cancels a capture still waiting for its file, so a stop never waits for
                    // the capture timeout (systemd would SIGKILL first); a .partial is removed at start.
                    let capturer = makeCapturer(store, config)
                    let job = request.job
                    outcome = await cancelWhenGracefulShutdown { await capturer.capture(job) }
                }
                report(outcome, job: request.job)
                await monitor.captureFinished(request.job, outcome: outcome)
                request.reply?(outcome)
            }
        } onGracefulShutdown: {
            queue.finish()
        }
    }

    private func report(_ outcome: CaptureOutcome, job: CaptureJob) {
        var metadata: Logger.Metadata = [
            LogField.target: "\(job.target)", LogField.pid: "\(job.identity.pid)",
            LogField.rssBytes: "\(job.rssBytes)", LogField.reason: "\(job.reason)",
        ]
        if let slope = job.slopeBytesPerHour { metadata[LogField.slopeBytesPerHour] = "\(Int64(slope))" }
        var event = DaemonEvent(kind: .snapshotCaptured, target: job.target, pid: job.identity.pid, message: "",
                                rssBytes: job.rssBytes, slopeBytesPerHour: job.slopeBytesPerHour)
        switch outcome {
        case .stored(let path, let manifest):
            metadata[LogField.messageID] = "\(MessageID.snapshotCaptured)"
            metadata[LogField.snapshotPath] = "\(path)"
            event.message = "snapshot of \(job.target) pid \(job.identity.pid) stored: \(path) (\(Units.formatBytes(manifest.bytes)), \(job.reason))"
            event.snapshotPath = path
            logger.notice("\(event.message)", metadata: metadata)
        case .refused(let why):
            metadata[LogField.messageID] = "\(MessageID.captureRefused)"
            event.kind = .captureRefused
            event.message = "capture of \(job.target) pid \(job.identity.pid) refused: \(why)"
            logger.warning("\(event.message)", metadata: metadata)
        case .failed(let why):
            metadata[LogField.messageID] = "\(MessageID.captureFailed)"
            event.kind = .captureFailed
            event.message = "capture of \(job.target) pid \(job.identity.pid) failed: \(why)"
            logger.error("\(event.message)", metadata: metadata)
        }
        events.publish(event)
    }
}
