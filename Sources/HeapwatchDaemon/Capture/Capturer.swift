import Foundation
import HeapwatchCore
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// How a capture ended.
public enum CaptureOutcome: Sendable, Equatable {
    case stored(path: String, manifest: SnapshotManifest)
    /// Not attempted because it would not be safe (no handler, no memory or disk headroom, capture = none).
    case refused(String)
    /// Attempted and did not produce a snapshot.
    case failed(String)

    /// Whether the capture may have reached the process (and cost it memory): all but a refusal.
    public var reachedProcess: Bool {
        if case .refused = self { return false }
        return true
    }

    /// `status`'s last capture for a snapshot stored at `path`.
    static func storedSummary(_ path: String) -> String { "stored \(path)" }

    /// For `status`: `stored PATH`, `refused: WHY`, `failed: WHY`.
    public var summary: String {
        switch self {
        case .stored(let path, _): Self.storedSummary(path)
        case .refused(let why): "refused: \(why)"
        case .failed(let why): "failed: \(why)"
        }
    }
}

public struct CaptureSettings: Sendable {
    /// How long a capture may take, from trigger to a complete file, seconds.
    public var timeout: Double = DaemonSettings.defaultCaptureTimeout
    /// How often to look for the file while node writes it, seconds.
    public var pollInterval: Double = 0.2

    public init() {}
}

/// Asks one process for a heap snapshot and puts it into the store. Every check that protects the
/// target comes first (admission); a failure is reported, never retried in a loop here.
public struct Capturer: Sendable {
    let procFS: ProcFS
    let cgroups: CgroupReader
    let signaller: any Signaller
    let store: SnapshotStore
    let settings: CaptureSettings
    let logger: Logger
    /// One inspector session at a time, host-wide (heap-figure queries use it too).
    let inspectorLock: AsyncLock
    /// Where a SIGUSR2 that timed out is remembered, so a snapshot node writes later is collected.
    var lateSnapshots: LateSnapshots?
    /// See `InspectorCapture.markerDirectory`.
    var markerDirectory: String { store.directory + "/.inspector-open" }

    public init(procFS: ProcFS, cgroups: CgroupReader, signaller: any Signaller, store: SnapshotStore, settings: CaptureSettings,
                inspectorLock: AsyncLock, logger: Logger) {
        self.inspectorLock = inspectorLock
        self.procFS = procFS
        self.cgroups = cgroups
        self.signaller = signaller
        self.store = store
        self.settings = settings
        self.logger = logger
    }

    public func capture(_ job: CaptureJob) async -> CaptureOutcome {
        let status: ProcStatus
        do {
            status = try job.directory.status()
        } catch {
            return .failed("pid \(job.identity.pid) exited before the capture")
        }
        let method: CaptureMethod
        switch job.method {
        case .none: return .refused("target '\(job.target)' has capture = \"none\"")
        case .auto: method = CaptureSafety.signalRefusal(status: status, flags: job.flags) == nil ? .signal : .inspector
        default: method = job.method
        }
        // A second snapshot asked of a process still busy with the first would cost it twice, and
        // the collector of late snapshots takes one file per process: ask again once it is in.
        if let lateSnapshots, lateSnapshots.owes(job.identity) {
            return .refused("pid \(job.identity.pid) has not yet written the snapshot an earlier capture asked for (its event loop "
                + "is busy); heapwatchd stores that one when it comes and asks nothing more of the process until then")
        }
        if let refusal = admissionRefusal(job, status: status) { return .refused(refusal) }
        let deadline = ContinuousClock.now + .seconds(settings.timeout)
        let epoch = Int64(time(nil))
        do {
            switch method {
            case .signal:
                if let refusal = CaptureSafety.signalRefusal(status: status, flags: job.flags) { return .refused(refusal) }
                let file = try await captureBySignal(job, deadline: deadline)
                return try withExtendedLifetime(file.directory) {
                    try stored(store.ingest(source: file.path, origin: job.origin, method: "signal", epochSeconds: epoch,
                                            originalPath: file.shownPath))
                }
            case .http(let url):
                let source = try await captureByHTTP(job, url: url, deadline: deadline)
                return try stored(store.ingest(source: source, origin: job.origin, method: "http", epochSeconds: epoch))
            case .inspector:
                let alreadyOpen = (try? inspector.listener(of: job.flags.inspectPort ?? 9229, pid: job.identity.pid)) == .ours
                if let refusal = InspectorCapture.refusal(status: status, flags: job.flags, alreadyListening: alreadyOpen) {
                    return .refused(refusal)
                }
                let writer = try store.beginWrite(job.origin, epochSeconds: epoch)
                do {
                    try await inspectorLock.withLock { try await inspector.capture(job, status: status, into: writer, deadline: deadline) }
                } catch {
                    writer.abort()
                    throw error
                }
                return try stored(store.finish(writer, origin: job.origin, method: "inspector", epochSeconds: epoch,
                                               originalPath: "inspector:127.0.0.1:\(job.flags.inspectPort ?? 9229)"))
            case .auto, .none:
                return .refused("no capture method for target '\(job.target)'")
            }
        } catch let failure as CaptureFailure {
            return .failed(failure.message)
        } catch {
            return .failed("\(error)")
        }
    }

    private var inspector: InspectorCapture {
        InspectorCapture(procFS: procFS, signaller: signaller, logger: logger, markerDirectory: markerDirectory)
    }

    private func stored(_ result: (path: String, manifest: SnapshotManifest)) -> CaptureOutcome {
        store.enforceRetention(protecting: [result.path])
        return .stored(path: result.path, manifest: result.manifest)
    }

    /// Memory (host and cgroup) and disk must have room for the capture. The heap is heapUsed when a
    /// heap source gives it, else the process's anonymous memory, swapped-out part included: writing
    /// the snapshot walks the whole heap and brings every page of it back into RAM.
    func admissionRefusal(_ job: CaptureJob, status: ProcStatus) -> String? {
        let heap = job.heapUsedBytes ?? (status.anonBytes + status.swapBytes)
        let memory = cgroups.memory(of: job.cgroup)
        if let refusal = CaptureSafety.memoryRefusal(anonBytes: heap, memAvailable: try? procFS.memAvailable(),
                                                     cgroupLimit: memory.limitBytes, cgroupUsage: memory.usageBytes,
                                                     factor: job.headroomFactor) {
            return refusal
        }
        if let free = store.freeBytes(), let refusal = CaptureSafety.diskRefusal(heapBytes: heap, freeBytes: free, storeDirectory: store.directory) {
            return refusal
        }
        return nil
    }

    // MARK: - Signal and HTTP

    /// The snapshot node wrote for a SIGUSR2, complete, in the directory held for it.
    private struct SignalledFile {
        var path: String
        /// As the process sees it, for the manifest.
        var shownPath: String
        /// Keeps `path` valid, even after the process exits.
        var directory: HeldDirectory
    }

    private func captureBySignal(_ job: CaptureJob, deadline: ContinuousClock.Instant) async throws -> SignalledFile {
        let procRelative = Self.snapshotDirectory(job.flags)
        let procPath = "\(procFS.root)/\(job.identity.pid)/\(procRelative)"
        // If heapwatchd cannot see where node will write, it could neither find nor remove the file
        // (which holds secrets): refuse before signalling, saying what is missing. The directory
        // is held open: if the process dies while writing, its cut-off file is still removed.
        let directory: HeldDirectory
        let before: Set<String>
        do {
            directory = try HeldDirectory(procPath)
            before = Set(try Self.nodeSnapshots(in: directory.path, pid: job.identity.pid))
        } catch {
            throw CaptureFailure("cannot read \(procPath), where pid \(job.identity.pid) would write its snapshot (\(error)); "
                + "no signal was sent. heapwatchd needs CAP_SYS_PTRACE and CAP_DAC_OVERRIDE for other users' processes")
        }
        let shownDirectory = SnapshotStore.pathInProcess(procPath)
        do {
            try signaller.send(SIGUSR2, to: job.identity)
        } catch {
            throw CaptureFailure("SIGUSR2 to pid \(job.identity.pid) failed: \(error)")
        }
        logger.info("sent SIGUSR2 to \(job.target) pid \(job.identity.pid); waiting for a snapshot in \(shownDirectory)",
                    metadata: [LogField.target: "\(job.target)", LogField.pid: "\(job.identity.pid)"])
        var found: String?
        do {
            while true {
                if let name = Self.newSnapshot(in: directory.path, pid: job.identity.pid, before: before) {
                    found = name
                    try await waitUntilComplete(directory.path + "/" + name, shownPath: shownDirectory + "/" + name, job: job,
                                                deadline: deadline)
                    return SignalledFile(path: directory.path + "/" + name, shownPath: shownDirectory + "/" + name, directory: directory)
                }
                if (try? job.directory.status()) == nil {
                    throw CaptureFailure("pid \(job.identity.pid) exited before writing a snapshot")
                }
                if ContinuousClock.now >= deadline {
                    var failure = CaptureFailure(
                        "no snapshot appeared in \(shownDirectory) within \(Units.formatDuration(settings.timeout)) of SIGUSR2: node runs "
                        + "that handler in JavaScript, so a busy event loop delays it (if it writes one later, heapwatchd stores it); "
                        + "capture = \"inspector\" works then")
                    failure.timedOut = true
                    throw failure
                }
                try await pause()
            }
        } catch var failure as CaptureFailure where failure.timedOut || failure.stopping {
            // Node was signalled: it writes the file when its event loop is free, or is still
            // writing it (a large heap). That file, full of secrets, must not be left behind:
            // it is collected when done, by this run or, if heapwatchd is stopping, the next.
            let owed = OwedSnapshot(origin: job.origin, automatic: job.automatic, procRelative: procRelative,
                                    shownDirectory: shownDirectory, sharesOurRoot: Self.sharesOurRoot(procFS, job.identity.pid), before: before,
                                    expires: Date().addingTimeInterval(3600))
            lateSnapshots?.watch(PendingSignalSnapshot(owed: owed, token: job.token, process: job.directory, directory: directory))
            if failure.timedOut, found != nil { failure.message += ": node is still writing it; heapwatchd stores it when it is done" }
            throw failure
        }
    }

    /// Whether `pid` sees the file system as this daemon does (same mount namespace and root), so
    /// a path in it is a path here too, after the process is gone.
    static func sharesOurRoot(_ procFS: ProcFS, _ pid: Int32) -> Bool {
        let base = "\(procFS.root)/\(pid)"
        guard (try? Sys.readLink(base + "/root")) == "/",
              let theirs = try? Sys.fileStatus(base + "/ns/mnt"), let ours = try? Sys.fileStatus("/proc/self/ns/mnt") else { return false }
        return theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev
    }

    /// The app's endpoint writes the snapshot and answers with its file name. The usual one calls
    /// `v8.writeHeapSnapshot()`, which names the file like a SIGUSR2 snapshot (`Heap.….PID.….heapsnapshot`)
    /// in the cwd: when the answer does not come in time (a busy event loop, a large heap), a file
    /// of that name that appears later is collected like a late SIGUSR2 snapshot, not left there.
    private func captureByHTTP(_ job: CaptureJob, url: String, deadline: ContinuousClock.Instant) async throws -> String {
        let pid = job.identity.pid
        let cwdPath = "\(procFS.root)/\(pid)/cwd"
        let cwd = try? HeldDirectory(cwdPath)
        let before = cwd.map { Set((try? Self.nodeSnapshots(in: $0.path, pid: pid)) ?? []) }
        /// Leaves the snapshot the request may still produce to the late collector.
        func owe(_ failure: CaptureFailure) -> CaptureFailure {
            guard let cwd, let before else {
                var failure = failure
                failure.message += "; heapwatchd cannot read \(cwdPath) to collect a snapshot the app writes later (remove it: it holds secrets)"
                return failure
            }
            let owed = OwedSnapshot(origin: job.origin, automatic: job.automatic, procRelative: "cwd",
                                    shownDirectory: SnapshotStore.pathInProcess(cwdPath), sharesOurRoot: Self.sharesOurRoot(procFS, pid),
                                    before: before, expires: Date().addingTimeInterval(3600), method: "http")
            lateSnapshots?.watch(PendingSignalSnapshot(owed: owed, token: job.token, process: job.directory, directory: cwd))
            var failure = failure
            failure.message += "; if the app writes its snapshot later, heapwatchd stores it (a Heap.*.\(pid).*.heapsnapshot in its cwd)"
            return failure
        }
        let response: HTTPClient.Response
        do {
            response = try await HTTPClient.fetch(url, timeout: .seconds(settings.timeout))
        } catch HTTPClientError.timedOut(_, _) {
            var failure = CaptureFailure("GET \(url) did not answer within \(Units.formatDuration(settings.timeout))")
            failure.timedOut = true
            throw owe(failure)
        } catch where Task.isCancelled {
            var failure = CaptureFailure("heapwatchd is stopping")
            failure.stopping = true
            throw owe(failure)
        } catch {
            throw CaptureFailure("GET \(url) failed: \(error)")
        }
        guard (200..<300).contains(response.status) else {
            throw CaptureFailure("GET \(url) answered HTTP \(response.status)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let file = (object["snapshot"] ?? object["file"] ?? object["path"]) as? String, !file.isEmpty else {
            throw CaptureFailure("GET \(url) did not answer with JSON naming the file, like {\"snapshot\": \"Heap….heapsnapshot\"}")
        }
        let path = file.hasPrefix("/") ? "\(procFS.root)/\(pid)/root\(file)" : "\(procFS.root)/\(pid)/cwd/\(file)"
        do {
            try await waitUntilComplete(path, shownPath: SnapshotStore.pathInProcess(path), job: job, deadline: deadline)
        } catch let failure as CaptureFailure where failure.timedOut || failure.stopping {
            throw owe(failure)
        }
        return path
    }

    /// Where node writes the snapshots of a process with these flags (on SIGUSR2, or on its own near
    /// its heap limit), below `/proc/PID`: `--diagnostic-dir` or the cwd, through `root` and `cwd`
    /// so other mount namespaces work too.
    static func snapshotDirectory(_ flags: NodeFlags) -> String {
        guard let directory = flags.diagnosticDir, !directory.isEmpty else { return "cwd" }
        return directory.hasPrefix("/") ? "root" + directory : "cwd/" + directory
    }

    /// The snapshot files node wrote for `pid` in `directory`, oldest first (SEQ counts up).
    static func nodeSnapshots(in directory: String, pid: Int32) throws(SystemError) -> [String] {
        try Sys.listDirectory(directory).filter { SnapshotNaming.isNodeSnapshot($0, pid: pid) }.sorted()
    }

    /// The first snapshot file of `pid` in `directory` that was not among `before` (the signal's).
    static func newSnapshot(in directory: String, pid: Int32, before: Set<String>) -> String? {
        ((try? nodeSnapshots(in: directory, pid: pid)) ?? []).first { !before.contains($0) }
    }

    /// Where a file node writes for `job`'s process stands.
    private enum WrittenFile { case writing, complete, missing, removedIncomplete }

    /// Complete means: node no longer has it open, and it ends with `]}`. A file whose writer died
    /// incomplete is removed (it holds secrets and will never be finished).
    private func state(of path: String, pid: Int32, process: ProcessDirectory?) -> WrittenFile {
        let name = "/" + (path.split(separator: "/").last.map(String.init) ?? path)
        let alive = (try? process?.status()) != nil
        if alive, (try? procFS.openFileTargets(pid))?.contains(where: { $0.hasSuffix(name) }) == true { return .writing }
        if Self.endsLikeSnapshot(path) { return .complete }
        if !alive {
            unlink(path)
            return .removedIncomplete
        }
        return access(path, F_OK) == 0 ? .writing : .missing
    }

    /// Returns once the file at `path` (`shownPath` as the process sees it, for messages) is
    /// complete; throws a `CaptureFailure` otherwise, `timedOut` at the deadline.
    private func waitUntilComplete(_ path: String, shownPath: String, job: CaptureJob, deadline: ContinuousClock.Instant) async throws {
        while true {
            switch state(of: path, pid: job.identity.pid, process: job.directory) {
            case .complete: return
            case .removedIncomplete:
                throw CaptureFailure("pid \(job.identity.pid) exited while writing \(shownPath); the incomplete file was removed")
            case .missing: throw CaptureFailure("\(shownPath) does not exist")
            case .writing: break
            }
            if ContinuousClock.now >= deadline {
                var failure = CaptureFailure("\(shownPath) was not complete within \(Units.formatDuration(settings.timeout))")
                failure.timedOut = true
                throw failure
            }
            try await pause()
        }
    }

    /// A snapshot node writes after its SIGUSR2 or HTTP capture timed out: stored when complete; removed
    /// when the process died while writing it. Nil while there is nothing (yet) to do.
    func collectLate(_ pending: PendingSignalSnapshot) -> CaptureOutcome? {
        let pid = pending.identity.pid
        guard let name = pending.file() else { return nil }
        let path = pending.directory.path + "/" + name
        let shownPath = pending.owed.shownDirectory + "/" + name
        switch state(of: path, pid: pid, process: pending.process) {
        case .writing, .missing: return nil
        case .removedIncomplete:
            return .failed("pid \(pid) exited while writing its \(pending.owed.fileDescription) \(shownPath); the incomplete file was removed")
        case .complete:
            do {
                return stored(try store.ingest(source: path, origin: pending.owed.origin, method: pending.owed.method ?? "signal", epochSeconds: Int64(time(nil)),
                                               originalPath: shownPath))
            } catch {
                return .failed("could not store the \(pending.owed.fileDescription) \(shownPath): \(error)")
            }
        }
    }

    /// Waits one poll interval; at shutdown, ends the capture.
    private func pause() async throws {
        do {
            try await Task.sleep(for: .seconds(settings.pollInterval))
        } catch {
            var failure = CaptureFailure("heapwatchd is stopping")
            failure.stopping = true
            throw failure
        }
    }

    /// A finished V8 snapshot is a JSON object whose last member is the `strings` array: it ends with `]}`.
    static func endsLikeSnapshot(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let size = lseek(fd, 0, SEEK_END)
        guard size >= 2 else { return false }
        var tail = [UInt8](repeating: 0, count: Int(min(size, 64)))
        let count = pread(fd, &tail, tail.count, size - off_t(tail.count))
        return count == tail.count && SnapshotWriter.endsLikeSnapshot(tail: tail)
    }
}

struct CaptureFailure: Error {
    var message: String
    /// The deadline passed while the file was still being written.
    var timedOut = false
    /// heapwatchd is stopping.
    var stopping = false
    init(_ message: String) { self.message = message }
}
