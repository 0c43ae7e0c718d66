import Foundation
import HeapwatchCore
import Logging
import ServiceLifecycle

/// A SIGUSR2 whose snapshot did not come in time (a busy event loop): node still owes it.
public struct PendingSignalSnapshot: Sendable {
    var job: CaptureJob
    /// Where node writes it, as seen from here.
    var directory: String
    /// Snapshot files of that pid that were there before the signal.
    var before: Set<String>
    /// How long to keep looking, seconds.
    var expires = Date().addingTimeInterval(3600)
}

/// The signals still owed a snapshot.
public actor LateSnapshots {
    private var pending: [ProcessIdentity: PendingSignalSnapshot] = [:]

    public init() {}

    func watch(_ item: PendingSignalSnapshot) { pending[item.job.identity] = item }

    func all() -> [PendingSignalSnapshot] { Array(pending.values) }

    func done(_ identity: ProcessIdentity) { pending[identity] = nil }
}

/// Collects snapshots node writes after their SIGUSR2 capture timed out, so no snapshot — and no
/// file full of secrets — is left behind in the app's directory. Checks every 5 s for an hour.
public struct LateSnapshotService: Service {
    let late: LateSnapshots
    let makeCapturer: @Sendable () async -> Capturer
    let events: EventHub
    let logger: Logger

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                for item in await late.all() {
                    let metadata: Logger.Metadata = [LogField.target: "\(item.job.target)", LogField.pid: "\(item.job.identity.pid)"]
                    guard let outcome = await makeCapturer().collectLate(item) else {
                        if Date() > item.expires || (try? item.job.directory.status()) == nil {
                            await late.done(item.job.identity)
                            logger.info("no late snapshot from \(item.job.target) pid \(item.job.identity.pid); stopped looking", metadata: metadata)
                        }
                        continue
                    }
                    await late.done(item.job.identity)
                    switch outcome {
                    case .stored(let path, let manifest):
                        var fields = metadata
                        fields[LogField.messageID] = "\(MessageID.snapshotCaptured)"
                        fields[LogField.snapshotPath] = "\(path)"
                        let message = "late snapshot of \(item.job.target) pid \(item.job.identity.pid) stored: \(path) (\(Units.formatBytes(manifest.bytes)))"
                        logger.notice("\(message)", metadata: fields)
                        events.publish(DaemonEvent(kind: .snapshotCaptured, target: item.job.target, pid: item.job.identity.pid,
                                                   message: message, rssBytes: item.job.rssBytes, snapshotPath: path))
                    case .failed(let why), .refused(let why):
                        logger.warning("\(why)", metadata: metadata)
                    }
                }
                do { try await Task.sleep(for: .seconds(5)) } catch { return }
            }
        }
    }
}
