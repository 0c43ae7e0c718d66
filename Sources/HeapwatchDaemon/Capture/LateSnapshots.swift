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
    /// Node has begun writing it.
    var begun = false
}

/// The signals still owed a snapshot.
public actor LateSnapshots {
    private var pending: [ProcessIdentity: PendingSignalSnapshot] = [:]

    public init() {}

    func watch(_ item: PendingSignalSnapshot) { pending[item.job.identity] = item }

    func all() -> [PendingSignalSnapshot] { Array(pending.values) }

    /// Whether `identity` still owes the snapshot of a SIGUSR2 that timed out.
    func owes(_ identity: ProcessIdentity) -> Bool { pending[identity] != nil }

    /// True the first time it is called for `identity`'s pending snapshot.
    func markBegun(_ identity: ProcessIdentity) -> Bool {
        guard let item = pending[identity], !item.begun else { return false }
        pending[identity]?.begun = true
        return true
    }

    func done(_ identity: ProcessIdentity) { pending[identity] = nil }
}

/// Collects snapshots node writes after their SIGUSR2 capture timed out, so no snapshot — and no
/// file full of secrets — is left behind in the app's directory. Looks every second for an hour:
/// the file appears before node builds the snapshot, so the monitor hears of it (`began`) before
/// most of the memory it costs is taken, and leaves that out of the trend until `finished`.
public struct LateSnapshotService: Service {
    let late: LateSnapshots
    let makeCapturer: @Sendable () async -> Capturer
    let began: @Sendable (CaptureJob) async -> Void
    let finished: @Sendable (CaptureJob, CaptureOutcome) async -> Void
    let events: EventHub
    let logger: Logger

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                for item in await late.all() {
                    let identity = item.job.identity
                    let metadata: Logger.Metadata = [LogField.target: "\(item.job.target)", LogField.pid: "\(identity.pid)"]
                    let state = await makeCapturer().collectLate(item)
                    if state != .owed, await late.markBegun(identity) {
                        logger.info("\(item.job.target) pid \(identity.pid) is writing the snapshot its SIGUSR2 asked for", metadata: metadata)
                        await began(item.job)
                    }
                    guard case .done(let outcome) = state else {
                        if state == .owed, Date() > item.expires || (try? item.job.directory.status()) == nil {
                            await late.done(identity)
                            logger.info("no late snapshot from \(item.job.target) pid \(identity.pid); stopped looking", metadata: metadata)
                        }
                        continue
                    }
                    await late.done(identity)
                    await finished(item.job, outcome)
                    switch outcome {
                    case .stored(let path, let manifest):
                        var fields = metadata
                        fields[LogField.messageID] = "\(MessageID.snapshotCaptured)"
                        fields[LogField.snapshotPath] = "\(path)"
                        let message = "late snapshot of \(item.job.target) pid \(identity.pid) stored: \(path) (\(Units.formatBytes(manifest.bytes)))"
                        logger.notice("\(message)", metadata: fields)
                        events.publish(DaemonEvent(kind: .snapshotCaptured, target: item.job.target, pid: identity.pid,
                                                   message: message, rssBytes: item.job.rssBytes, snapshotPath: path))
                    case .failed(let why), .refused(let why):
                        logger.warning("\(why)", metadata: metadata)
                    }
                }
                do { try await Task.sleep(for: .seconds(1)) } catch { return }
            }
        }
    }
}
