import Foundation
import HeapwatchCore
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// How a capture ended.
public enum CaptureOutcome: Sendable, Equatable {
    case stored(path: String, manifest: SnapshotManifest)
    /// Not attempted because it would not be safe (no handler, no memory headroom, capture = none).
    case refused(String)
    /// Attempted and did not produce a snapshot.
    case failed(String)
}

public struct CaptureSettings: Sendable {
    /// How long a capture may take, from trigger to a complete file, seconds.
    public var timeout: Double = 300
    /// Free memory required, as a multiple of the process's anonymous memory.
    public var headroomFactor: Double = 4
    /// How often to look for the file while node writes it, seconds.
    public var pollInterval: Double = 0.2

    public init() {}
}

/// Asks one process for a heap snapshot and moves it into the store. Every check that protects the
/// target comes first; a failure is reported, never retried in a loop here.
public struct Capturer: Sendable {
    let procFS: ProcFS
    let cgroups: CgroupReader
    let signaller: any Signaller
    let store: SnapshotStore
    let settings: CaptureSettings
    let logger: Logger

    public init(procFS: ProcFS, cgroups: CgroupReader, signaller: any Signaller, store: SnapshotStore, settings: CaptureSettings, logger: Logger) {
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
        if case .none = job.method {
            return .refused("target '\(job.target)' has capture = \"none\"")
        }
        let memory = cgroups.memory(of: job.cgroup)
        if let refusal = CaptureSafety.memoryRefusal(anonBytes: status.anonBytes, memAvailable: try? procFS.memAvailable(),
                                                     cgroupLimit: memory.limitBytes, cgroupUsage: memory.usageBytes,
                                                     factor: settings.headroomFactor) {
            return .refused(refusal)
        }
        let located: Result<String, CaptureFailure>
        switch job.method {
        case .signal:
            if let refusal = CaptureSafety.signalRefusal(status: status, flags: job.flags) { return .refused(refusal) }
            located = await captureBySignal(job)
        case .http(let url):
            located = await captureByHTTP(job, url: url)
        case .none:
            return .refused("target '\(job.target)' has capture = \"none\"")
        }
        switch located {
        case .failure(let failure):
            return .failed(failure.message)
        case .success(let source):
            do {
                let (path, manifest) = try store.ingest(source: source, job: job, method: job.method.kind, epochSeconds: Int64(time(nil)))
                store.enforceRetention(protecting: [path])
                return .stored(path: path, manifest: manifest)
            } catch {
                return .failed("could not store \(source): \(error)")
            }
        }
    }

    // MARK: - Methods

    private func captureBySignal(_ job: CaptureJob) async -> Result<String, CaptureFailure> {
        let directory = snapshotDirectory(job)
        let before = Set(nodeSnapshots(in: directory, pid: job.identity.pid))
        do {
            try signaller.send(SIGUSR2, to: job.identity)
        } catch {
            return .failure(CaptureFailure("SIGUSR2 to pid \(job.identity.pid) failed: \(error)"))
        }
        logger.info("sent SIGUSR2 to \(job.target) pid \(job.identity.pid); waiting for a snapshot in \(directory)",
                    metadata: [LogField.target: "\(job.target)", LogField.pid: "\(job.identity.pid)"])
        let deadline = ContinuousClock.now + .seconds(settings.timeout)
        var name: String?
        while name == nil {
            name = nodeSnapshots(in: directory, pid: job.identity.pid).first { !before.contains($0) }
            if name != nil { break }
            if (try? job.directory.status()) == nil {
                return .failure(CaptureFailure("pid \(job.identity.pid) exited before writing a snapshot"))
            }
            if ContinuousClock.now >= deadline {
                return .failure(CaptureFailure(
                    "no snapshot appeared in \(directory) within \(Units.formatDuration(settings.timeout)) of SIGUSR2; node runs the "
                    + "handler in JavaScript, so a busy event loop delays it (it may still write one later)"))
            }
            try? await Task.sleep(for: .seconds(settings.pollInterval))
        }
        return await waitUntilComplete(directory + "/" + name!, job: job, deadline: deadline)
    }

    private func captureByHTTP(_ job: CaptureJob, url: String) async -> Result<String, CaptureFailure> {
        let deadline = ContinuousClock.now + .seconds(settings.timeout)
        let response: HTTPGet.Response
        do {
            response = try await HTTPGet.fetch(url, timeout: .seconds(settings.timeout))
        } catch {
            return .failure(CaptureFailure("GET \(url) failed: \(error)"))
        }
        guard (200..<300).contains(response.status) else {
            return .failure(CaptureFailure("GET \(url) answered HTTP \(response.status)"))
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let file = (object["snapshot"] ?? object["file"] ?? object["path"]) as? String, !file.isEmpty else {
            return .failure(CaptureFailure("GET \(url) did not answer with JSON naming the file, like {\"snapshot\": \"Heap….heapsnapshot\"}"))
        }
        let pid = job.identity.pid
        let path = file.hasPrefix("/") ? "\(procFS.root)/\(pid)/root\(file)" : "\(procFS.root)/\(pid)/cwd/\(file)"
        return await waitUntilComplete(path, job: job, deadline: deadline)
    }

    // MARK: - Files

    /// Where a signal-triggered snapshot lands, as seen from here: `--diagnostic-dir` or the cwd,
    /// through `/proc/PID/root` and `/proc/PID/cwd` so other mount namespaces work too.
    private func snapshotDirectory(_ job: CaptureJob) -> String {
        let base = "\(procFS.root)/\(job.identity.pid)"
        guard let directory = job.flags.diagnosticDir, !directory.isEmpty else { return base + "/cwd" }
        return directory.hasPrefix("/") ? base + "/root" + directory : base + "/cwd/" + directory
    }

    private func nodeSnapshots(in directory: String, pid: Int32) -> [String] {
        ((try? Sys.listDirectory(directory)) ?? []).filter { SnapshotNaming.isNodeSnapshot($0, pid: pid) }.sorted()
    }

    /// Complete means: node no longer has it open, and it ends with `]}`.
    private func waitUntilComplete(_ path: String, job: CaptureJob, deadline: ContinuousClock.Instant) async -> Result<String, CaptureFailure> {
        let name = "/" + (path.split(separator: "/").last.map(String.init) ?? path)
        while true {
            let alive = (try? job.directory.status()) != nil
            let open = alive && ((try? procFS.openFileTargets(job.identity.pid))?.contains { $0.hasSuffix(name) } ?? false)
            if !open {
                if Self.endsLikeSnapshot(path) { return .success(path) }
                if !alive {
                    unlink(path)
                    return .failure(CaptureFailure("pid \(job.identity.pid) exited while writing \(path); the incomplete file was removed"))
                }
                if access(path, F_OK) != 0 { return .failure(CaptureFailure("\(path) does not exist")) }
            }
            if ContinuousClock.now >= deadline {
                return .failure(CaptureFailure("\(path) was not complete within \(Units.formatDuration(settings.timeout))"))
            }
            try? await Task.sleep(for: .seconds(settings.pollInterval))
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
        guard count == tail.count else { return false }
        let trimmed = tail.reversed().drop { $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }
        return Array(trimmed.prefix(2)) == [UInt8(ascii: "}"), UInt8(ascii: "]")]
    }
}

struct CaptureFailure: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

extension CaptureMethod {
    /// `signal`, `http` or `none`: the manifest's `method`.
    var kind: String {
        switch self {
        case .signal: "signal"
        case .http: "http"
        case .none: "none"
        }
    }
}
