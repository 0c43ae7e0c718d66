import Foundation
import HeapwatchCore
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The persistent snapshot store: `<dir>/<target>/<UTC time>-<pid>.heapsnapshot` with a sidecar
/// `.json` manifest. Snapshots hold secrets (tokens, user data): directories are 0700, files 0600.
/// A file is written as `.partial` and renamed only once complete and synced, so a crash never
/// leaves a half file that looks like a snapshot.
public struct SnapshotStore: Sendable {
    public let directory: String
    public let keepPerTarget: Int
    public let maxBytes: UInt64
    private let logger: Logger

    public init(settings: StorageSettings, logger: Logger) {
        self.directory = settings.dir
        self.keepPerTarget = settings.keepPerTarget
        self.maxBytes = settings.maxBytes
        self.logger = logger
    }

    /// Creates the store (0700, tightening an existing one) and removes `.partial` files a crash left.
    public func prepare() throws(SystemError) {
        try Sys.makeDirectory(directory, mode: 0o700)
        for target in (try? Sys.listDirectory(directory)) ?? [] {
            let targetDirectory = directory + "/" + target
            guard let names = try? Sys.listDirectory(targetDirectory) else { continue }
            _ = chmod(targetDirectory, 0o700)
            for name in names where name.hasSuffix(".partial") {
                unlink(targetDirectory + "/" + name)
                logger.notice("removed incomplete snapshot \(targetDirectory)/\(name) left by an earlier run")
            }
        }
    }

    /// Copies `source` into the store, writes its manifest, removes the source. Returns the manifest
    /// and the stored path.
    public func ingest(source: String, job: CaptureJob, method: String, epochSeconds: Int64) throws -> (path: String, manifest: SnapshotManifest) {
        let targetDirectory = directory + "/" + job.target
        try Sys.makeDirectory(targetDirectory, mode: 0o700)
        var attempt = 0
        var name = SnapshotNaming.storedName(epochSeconds: epochSeconds, pid: job.identity.pid)
        while access(targetDirectory + "/" + name, F_OK) == 0 {
            attempt += 1
            name = SnapshotNaming.storedName(epochSeconds: epochSeconds, pid: job.identity.pid, attempt: attempt)
        }
        let finalPath = targetDirectory + "/" + name
        let (bytes, digest) = try FileCopier.copy(from: source, to: finalPath)
        let manifest = SnapshotManifest(
            target: job.target, pid: job.identity.pid, startTime: job.identity.startTime, reason: job.reason,
            rssBytes: job.rssBytes, anonBytes: job.anonBytes, slopeBytesPerHour: job.slopeBytesPerHour,
            bytes: bytes, sha256: digest, method: method, time: SnapshotNaming.iso8601(epochSeconds),
            originalPath: Self.pathInProcess(source))
        do {
            try writeManifest(manifest, beside: finalPath)
        } catch {
            unlink(finalPath)
            throw error
        }
        if unlink(source) != 0 {
            logger.warning("stored \(finalPath) but could not remove the original \(source): \(String(cString: strerror(errno)))")
        }
        return (finalPath, manifest)
    }

    /// `/proc/PID/cwd/Heap…` as the process sees it (`/srv/app/Heap…`), for the manifest.
    static func pathInProcess(_ path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        // ["", "proc", PID, "cwd"|"root", rest…]
        guard parts.count > 4, Int32(parts[2]) != nil else { return path }
        let base = parts[0...3].joined(separator: "/")
        let rest = parts[4...].joined(separator: "/")
        switch parts[3] {
        case "cwd": return ((try? Sys.readLink(base)) ?? base) + "/" + rest
        case "root": return "/" + rest
        default: return path
        }
    }

    /// Stored snapshots, newest first, optionally of one target.
    public func list(target: String? = nil) -> [SnapshotEntry] {
        var entries: [SnapshotEntry] = []
        let targets = target.map { [$0] } ?? ((try? Sys.listDirectory(directory)) ?? [])
        for name in targets {
            let targetDirectory = directory + "/" + name
            for file in (try? Sys.listDirectory(targetDirectory)) ?? [] where file.hasSuffix(".json") {
                guard let data = try? Sys.readFile(targetDirectory + "/" + file),
                      let manifest = try? JSONDecoder().decode(SnapshotManifest.self, from: Data(data)) else { continue }
                let snapshotPath = targetDirectory + "/" + file.dropLast(".json".count) + ".heapsnapshot"
                guard access(snapshotPath, F_OK) == 0 else { continue }
                entries.append(SnapshotEntry(target: manifest.target, pid: manifest.pid, path: snapshotPath, bytes: manifest.bytes,
                                             time: manifest.time, reason: manifest.reason, method: manifest.method))
            }
        }
        return entries.sorted { ($0.time, $0.path) > ($1.time, $1.path) }
    }

    public func counts() -> [String: Int] {
        Dictionary(grouping: list(), by: \.target).mapValues(\.count)
    }

    /// Deletes what retention says must go; never `protected`. Returns the deleted paths.
    @discardableResult
    public func enforceRetention(protecting protected: Set<String>) -> [String] {
        let stored = list().map { entry in
            StoredSnapshot(target: entry.target, path: entry.path, bytes: entry.bytes,
                           time: Int64(entry.time.filter(\.isNumber)) ?? 0)
        }
        let victims = Retention.victims(stored, keepPerTarget: keepPerTarget, maxBytes: maxBytes, protected: protected)
        for victim in victims {
            unlink(victim.path)
            unlink(String(victim.path.dropLast(".heapsnapshot".count)) + ".json")
            logger.info("retention: deleted \(victim.path) (\(Units.formatBytes(victim.bytes)))",
                        metadata: [LogField.target: "\(victim.target)", LogField.snapshotPath: "\(victim.path)"])
        }
        return victims.map(\.path)
    }

    private func writeManifest(_ manifest: SnapshotManifest, beside snapshotPath: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(manifest)) ?? Data()
        let path = String(snapshotPath.dropLast(".heapsnapshot".count)) + ".json"
        try FileCopier.writeAtomically(Array(data) + [UInt8(ascii: "\n")], to: path)
    }
}
