import Foundation
import Synchronization
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

    /// The name of the file node is writing (or has written) for it, if there is one yet.
    func file() -> String? { Capturer.newSnapshot(in: directory, pid: job.identity.pid, before: before) }
}

/// The signals still owed a snapshot. Behind a lock, not an actor: the monitor asks at each tick,
/// before it records a sample, whether node has begun writing one (`writing`).
public final class LateSnapshots: Sendable {
    private let pending = Mutex<[ProcessIdentity: PendingSignalSnapshot]>([:])

    public init() {}

    func watch(_ item: PendingSignalSnapshot) { pending.withLock { $0[item.job.identity] = item } }

    func all() -> [PendingSignalSnapshot] { pending.withLock { Array($0.values) } }

    /// Whether `identity` still owes the snapshot of a SIGUSR2 that timed out.
    func owes(_ identity: ProcessIdentity) -> Bool { pending.withLock { $0[identity] != nil } }

    /// The capture whose snapshot `identity` owes, once node has begun writing it (it opens the
    /// file before it builds the snapshot, so a sample read before this said nil holds none of
    /// what the snapshot costs); nil otherwise.
    public func writing(_ identity: ProcessIdentity) -> CaptureJob? {
        pending.withLock { pending in
            guard let item = pending[identity], item.file() != nil else { return nil }
            return item.job
        }
    }

    func done(_ identity: ProcessIdentity) { _ = pending.withLock { $0.removeValue(forKey: identity) } }
}

/// Collects snapshots node writes after their SIGUSR2 capture timed out, so no snapshot — and no
/// file full of secrets — is left behind in the app's directory. Looks every second for an hour,
/// and tells the monitor when one is stored or failed (`finished`); the monitor sees node begin
/// it at its own tick (`LateSnapshots.writing`).
public struct LateSnapshotService: Service {
    let late: LateSnapshots
    let makeCapturer: @Sendable () async -> Capturer
    let finished: @Sendable (CaptureJob, CaptureOutcome) async -> Void
    let events: EventHub
    let logger: Logger

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                for item in late.all() {
                    let identity = item.job.identity
                    let metadata: Logger.Metadata = [LogField.target: "\(item.job.target)", LogField.pid: "\(identity.pid)"]
                    guard let outcome = await makeCapturer().collectLate(item) else {
                        if Date() > item.expires || (try? item.job.directory.status()) == nil {
                            late.done(identity)
                            logger.info("no late snapshot from \(item.job.target) pid \(identity.pid); stopped looking", metadata: metadata)
                        }
                        continue
                    }
                    late.done(identity)
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
