import Foundation
import Synchronization
import HeapwatchCore
import Logging
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// A directory held open, so that files node writes in it can still be found, stored or removed
/// after the process whose `/proc/PID/cwd` led there has exited (that link dies with it).
final class HeldDirectory: Sendable {
    let fd: Int32

    init(_ path: String) throws(SystemError) { fd = try Sys.openDirectory(path) }

    deinit { close(fd) }

    /// A path to the directory that works for as long as this object lives.
    var path: String { "/proc/self/fd/\(fd)" }
}

/// What a SIGUSR2 or HTTP capture whose snapshot did not come in time leaves owed: all of it is
/// kept on disk, so a restarted heapwatchd can take it up.
struct OwedSnapshot: Sendable, Codable {
    /// For the stored snapshot's manifest.
    var origin: SnapshotOrigin
    var automatic: Bool
    /// Where node writes it, below `/proc/PID` (`cwd`, `cwd/diag`, `root/var/diag`): to open it
    /// again after heapwatchd restarts.
    var procRelative: String
    /// That directory as the process sees it (`/srv/app`), for messages and the manifest.
    var shownDirectory: String
    /// Whether the process sees the file system as this daemon does: then `shownDirectory` is a
    /// path here too, to look for the file after the process has exited.
    var sharesOurRoot: Bool
    /// Snapshot files of that pid that were there before the signal.
    var before: Set<String>
    /// How long to keep looking.
    var expires: Date
    /// The capture method, for the manifest: "signal" (nil in lists kept before HTTP captures were
    /// owed too) or "http".
    var method: String? = nil

    /// What asked for the snapshot, for messages.
    var askedBy: String {
        switch method {
        case "http": "the app's snapshot endpoint"
        case OwnSnapshotWatch.method: "--heapsnapshot-near-heap-limit"
        default: "SIGUSR2"
        }
    }

    /// Whether node wrote it on its own, near its heap limit (see `OwnSnapshotWatch`).
    var nodesOwn: Bool { method == OwnSnapshotWatch.method }

    /// The file, for messages: `pid 42 exited while writing its …`.
    var fileDescription: String { nodesOwn ? "own snapshot near its heap limit" : "late snapshot" }

    /// The file once stored, for messages: `… of api pid 42 stored`.
    var storedDescription: String { nodesOwn ? "snapshot node wrote near its heap limit" : "late snapshot" }
}

/// A snapshot node owes (a busy event loop, a large heap, heapwatchd stopping) and where to find it.
public struct PendingSignalSnapshot: Sendable {
    var owed: OwedSnapshot
    /// The capture's token (see `CaptureJob.token`); 0 for one restored after a restart.
    var token: Int
    /// The process, or nil when it is known to be gone.
    var process: ProcessDirectory?
    /// The directory node writes in, held open.
    var directory: HeldDirectory

    var identity: ProcessIdentity { owed.origin.identity }

    /// The name of the file node is writing (or has written) for it, if there is one yet.
    func file() -> String? { Capturer.newSnapshot(in: directory.path, pid: identity.pid, before: owed.before) }

    var processAlive: Bool { (try? process?.status()) != nil }
}

/// The signals still owed a snapshot. Behind a lock, not an actor: the monitor asks at each tick,
/// before it records a sample, whether node has begun writing one (`writing`).
///
/// Kept in `state_dir` too (`late-snapshots.json`, 0600), so a heapwatchd restarted while node
/// still owes a snapshot neither signals it again (two snapshots, twice the memory) nor leaves the
/// late file, full of secrets, in the app's directory.
public final class LateSnapshots: Sendable {
    private let pending = Mutex<[ProcessIdentity: PendingSignalSnapshot]>([:])
    /// Where the list is kept; nil keeps it in memory only.
    private let file: String?
    private let logger: Logger?

    public init(file: String? = nil, logger: Logger? = nil) {
        self.file = file
        self.logger = logger
    }

    func watch(_ item: PendingSignalSnapshot) {
        pending.withLock {
            $0[item.identity] = item
            save($0)
        }
    }

    func all() -> [PendingSignalSnapshot] { pending.withLock { Array($0.values) } }

    /// Whether `identity` still owes the snapshot of a SIGUSR2 or HTTP capture that timed out.
    func owes(_ identity: ProcessIdentity) -> Bool { pending.withLock { $0[identity] != nil } }

    /// The signal whose snapshot `identity` owes, once node has begun writing it (it opens the
    /// file before it builds the snapshot, so a sample read before this said nil holds none of
    /// what the snapshot costs); nil otherwise.
    public func writing(_ identity: ProcessIdentity) -> PendingSignalSnapshot? {
        pending.withLock { pending in
            guard let item = pending[identity], item.file() != nil else { return nil }
            return item
        }
    }

    func done(_ identity: ProcessIdentity) {
        pending.withLock {
            guard $0.removeValue(forKey: identity) != nil else { return }
            save($0)
        }
    }

    /// Writes the list, under the lock, so writes do not cross. A failure is logged: the list
    /// in memory still works until heapwatchd stops.
    private func save(_ entries: [ProcessIdentity: PendingSignalSnapshot]) {
        guard let file else { return }
        do {
            if entries.isEmpty {
                if unlink(file) != 0 && errno != ENOENT { throw SystemError("unlink", path: file, errno: errno) }
                return
            }
            try Sys.makeDirectory((file as NSString).deletingLastPathComponent, mode: 0o700)
            unlink(file + ".partial")  // one a crash left would block the exclusive create
            try FileCopier.writeJSON(entries.values.map(\.owed).sorted { $0.origin.identity.pid < $1.origin.identity.pid },
                                     to: file)
        } catch {
            let message = "cannot keep the list of snapshots node still owes in \(file): \(error); "
                + "if heapwatchd restarts before they come, they are not collected"
            logger?.warning("\(message)")
        }
    }

    /// Takes up the list an earlier run kept. A process still running is watched again; one that
    /// has exited gets one look in its directory (what it wrote is stored, or removed if it was
    /// cut off); one whose directory this daemon cannot see is named in a warning.
    func restore(procFS: ProcFS) {
        guard let file, access(file, F_OK) == 0 else { return }
        let list: [OwedSnapshot]
        do {
            list = try JSONDecoder().decode([OwedSnapshot].self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            logger?.warning("ignored \(file), the snapshots an earlier run was still owed: \(error)")
            pending.withLock { save($0) }
            return
        }
        var restored: [ProcessIdentity: PendingSignalSnapshot] = [:]
        for owed in list where owed.expires > Date() {
            let identity = owed.origin.identity
            let what = "pid \(identity.pid) of \(owed.origin.target)"
            let process = try? ProcessDirectory(procFS: procFS, identity: identity)
            let path = process != nil ? "\(procFS.root)/\(identity.pid)/\(owed.procRelative)"
                : owed.sharesOurRoot ? owed.shownDirectory : nil
            let directory: HeldDirectory
            do {
                guard let path else { throw SystemError("open", path: owed.shownDirectory, errno: ENOENT) }
                directory = try HeldDirectory(path)
            } catch {
                let why = process == nil ? "exited, and heapwatchd cannot see \(owed.shownDirectory) from here"
                    : "is running, but heapwatchd cannot open \(owed.shownDirectory) (\(error))"
                let message = "\(what), which owes the snapshot an earlier heapwatchd asked for (\(owed.askedBy)), \(why): "
                    + "if a file Heap.*.\(identity.pid).*.heapsnapshot is there, remove it (heap snapshots hold secrets)"
                logger?.warning("\(message)")
                continue
            }
            restored[identity] = PendingSignalSnapshot(owed: owed, token: 0, process: process, directory: directory)
            let message = "\(what) still owes the snapshot an earlier heapwatchd asked for (\(owed.askedBy)); heapwatchd stores it "
                + "when it comes, from \(owed.shownDirectory), and asks nothing more of the process until then"
            logger?.notice("\(message)")
        }
        pending.withLock {
            $0.merge(restored) { current, _ in current }
            save($0)
        }
    }
}

/// Collects snapshots node writes after their SIGUSR2 or HTTP capture timed out, so no snapshot — and no
/// file full of secrets — is left behind in the app's directory. Looks every second for an hour,
/// and tells the monitor when one is stored or failed (`finished`); the monitor sees node begin
/// it at its own tick (`LateSnapshots.writing`).
public struct LateSnapshotService: Service {
    let late: LateSnapshots
    let makeCapturer: @Sendable () async -> Capturer
    let finished: @Sendable (PendingSignalSnapshot, CaptureOutcome) async -> Void
    let events: EventHub
    let logger: Logger

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                for item in late.all() {
                    let identity = item.identity
                    let target = item.owed.origin.target
                    let metadata: Logger.Metadata = [LogField.target: "\(target)", LogField.pid: "\(identity.pid)"]
                    guard let outcome = await makeCapturer().collectLate(item) else {
                        if Date() > item.owed.expires || !item.processAlive {
                            late.done(identity)
                            logger.info("no \(item.owed.fileDescription) from \(target) pid \(identity.pid); stopped looking", metadata: metadata)
                        }
                        continue
                    }
                    late.done(identity)
                    await finished(item, outcome)
                    switch outcome {
                    case .stored(let path, let manifest):
                        var fields = metadata
                        fields[LogField.messageID] = "\(MessageID.snapshotCaptured)"
                        fields[LogField.snapshotPath] = "\(path)"
                        let message = "\(item.owed.storedDescription) of \(target) pid \(identity.pid) stored: \(path) (\(Units.formatBytes(manifest.bytes)))"
                        logger.notice("\(message)", metadata: fields)
                        events.publish(DaemonEvent(kind: .snapshotCaptured, target: target, pid: identity.pid,
                                                   message: message, rssBytes: item.owed.origin.rssBytes, snapshotPath: path))
                    case .failed(let why), .refused(let why):
                        logger.warning("\(why)", metadata: metadata)
                    }
                }
                do { try await Task.sleep(for: .seconds(1)) } catch { return }
            }
        }
    }
}
