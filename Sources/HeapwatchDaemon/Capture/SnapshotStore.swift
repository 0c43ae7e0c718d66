import Foundation
import HeapAnalysis
import HeapwatchCore
import HeapwatchHistory
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// What a stored snapshot's manifest says about the capture: which process, why, and its memory then.
struct SnapshotOrigin: Sendable, Codable {
    var target: String
    var identity: ProcessIdentity
    var reason: String
    var rssBytes: UInt64
    var anonBytes: UInt64
    var slopeBytesPerHour: Double?
}

extension CaptureJob {
    var origin: SnapshotOrigin {
        SnapshotOrigin(target: target, identity: identity, reason: reason, rssBytes: rssBytes, anonBytes: anonBytes,
                       slopeBytesPerHour: slopeBytesPerHour)
    }
}

/// The persistent snapshot store: `<dir>/<target>/<UTC time>-<pid>.heapsnapshot[.gz]` with a sidecar
/// `.json` manifest. Snapshots hold secrets (tokens, user data): directories are 0700, files 0600.
/// A file is written as `.partial` and renamed only once complete, validated and synced, so a crash
/// or a full disk never leaves a half file that looks like a snapshot.
public struct SnapshotStore: Sendable {
    public let settings: StorageSettings
    private let logger: Logger

    public var directory: String { settings.dir }

    public init(settings: StorageSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    /// Creates the store and its target directories (0700, tightening existing ones). Safe while
    /// captures and analyses run: a reload calls it.
    public func prepare() throws(SystemError) {
        try Sys.makeDirectory(directory, mode: 0o700)
        for target in (try? Sys.listDirectory(directory)) ?? [] {
            _ = chmod(directory + "/" + target, 0o700)
        }
    }

    /// Removes what an earlier run left: `.partial` files, and analysis summaries and reports whose
    /// snapshot is gone (a worker that finished after retention removed its snapshot). Only at
    /// start, before any capture or analysis: at a reload those `.partial` files are being written.
    public func removeLeftovers() {
        for target in (try? Sys.listDirectory(directory)) ?? [] {
            let targetDirectory = directory + "/" + target
            guard let names = try? Sys.listDirectory(targetDirectory) else { continue }
            let present = Set(names)
            for name in names {
                if name.hasSuffix(".partial") {
                    unlink(targetDirectory + "/" + name)
                    logger.notice("removed incomplete file \(targetDirectory)/\(name) left by an earlier run")
                } else if let suffix = [".summary", ".report"].first(where: name.hasSuffix),
                          !present.contains(String(name.dropLast(suffix.count)) + ".json") {
                    unlink(targetDirectory + "/" + name)
                    logger.notice("removed \(targetDirectory)/\(name): its snapshot is gone")
                }
            }
        }
    }

    /// A writer for a new snapshot of `origin`'s process, under a name no other snapshot has.
    func beginWrite(_ origin: SnapshotOrigin, epochSeconds: Int64) throws -> SnapshotWriter {
        let targetDirectory = directory + "/" + origin.target
        try Sys.makeDirectory(targetDirectory, mode: 0o700)
        var attempt = 0
        while true {
            let base = targetDirectory + "/" + SnapshotNaming.storedBase(epochSeconds: epochSeconds, pid: origin.identity.pid, attempt: attempt)
            if access(base + ".json", F_OK) != 0 {
                do {
                    return try SnapshotWriter(basePath: base, compress: settings.compress)
                } catch let error as SystemError where error.errno == EEXIST {
                    // Another writer took the name: try the next.
                }
            }
            attempt += 1
        }
    }

    /// Commits `writer` and writes its manifest. On any failure nothing is left behind.
    func finish(_ writer: SnapshotWriter, origin: SnapshotOrigin, method: String, epochSeconds: Int64, originalPath: String) throws -> (path: String, manifest: SnapshotManifest) {
        let digest = try writer.commit()
        let name = String(writer.path.split(separator: "/").last ?? "")
        let manifest = SnapshotManifest(
            target: origin.target, pid: origin.identity.pid, startTime: origin.identity.startTime, reason: origin.reason,
            rssBytes: origin.rssBytes, anonBytes: origin.anonBytes, slopeBytesPerHour: origin.slopeBytesPerHour,
            bytes: writer.storedBytes, originalBytes: writer.originalBytes, compressed: writer.compressed, file: name,
            sha256: digest, method: method, time: SnapshotNaming.iso8601(epochSeconds), originalPath: originalPath)
        do {
            try FileCopier.writeJSON(manifest, to: Self.manifestPath(of: writer.path))
        } catch {
            unlink(writer.path)
            throw error
        }
        return (writer.path, manifest)
    }

    /// Copies `source` (a file node wrote) into the store and removes the source. The manifest
    /// names it `originalPath`, by default `source` as the process sees it.
    func ingest(source: String, origin: SnapshotOrigin, method: String, epochSeconds: Int64,
                originalPath: String? = nil) throws -> (path: String, manifest: SnapshotManifest) {
        let input = Sys.retrying { open(source, O_RDONLY | O_CLOEXEC) }
        guard input >= 0 else { throw SystemError("open", path: source, errno: errno) }
        defer { close(input) }
        let writer = try beginWrite(origin, epochSeconds: epochSeconds)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        do {
            while true {
                let count = buffer.withUnsafeMutableBytes { raw in Sys.retrying { read(input, raw.baseAddress, raw.count) } }
                if count < 0 { throw SystemError("read", path: source, errno: errno) }
                if count == 0 { break }
                try buffer.withUnsafeBytes { try writer.write(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            }
        } catch {
            writer.abort()
            throw error
        }
        let stored = try finish(writer, origin: origin, method: method, epochSeconds: epochSeconds, originalPath: originalPath ?? Self.pathInProcess(source))
        if unlink(source) != 0 {
            logger.warning("stored \(stored.path) but could not remove the original \(source): \(String(cString: strerror(errno)))")
        }
        return stored
    }

    static func manifestPath(of snapshotPath: String) -> String {
        var base = snapshotPath
        for suffix in [".gz", ".heapsnapshot"] where base.hasSuffix(suffix) { base.removeLast(suffix.count) }
        return base + ".json"
    }

    /// `/proc/PID/cwd/Heap…` as the process sees it (`/srv/app/Heap…`), for the manifest.
    static func pathInProcess(_ path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        // ["", "proc", PID, "cwd"|"root", rest…]
        guard parts.count >= 4, Int32(parts[2]) != nil else { return path }
        let base = parts[0...3].joined(separator: "/")
        let rest = parts.count > 4 ? "/" + parts[4...].joined(separator: "/") : ""
        switch parts[3] {
        case "cwd": return ((try? Sys.readLink(base)) ?? base) + rest
        case "root": return rest.isEmpty ? "/" : rest
        default: return path
        }
    }

    /// The manifests of a target's snapshots whose file is still there, with that file's path.
    private func manifests(of target: String) -> [(manifest: SnapshotManifest, path: String)] {
        let targetDirectory = directory + "/" + target
        return ((try? Sys.listDirectory(targetDirectory)) ?? []).filter { $0.hasSuffix(".json") }.compactMap { file in
            guard let manifest = Self.manifest(at: targetDirectory + "/" + file), !manifest.file.contains("/") else { return nil }
            let path = targetDirectory + "/" + manifest.file
            return access(path, F_OK) == 0 ? (manifest, path) : nil
        }
    }

    /// The manifests of every target's snapshots (or of `target`'s only), with their files' paths.
    private func storedManifests(target: String? = nil) -> [(manifest: SnapshotManifest, path: String)] {
        let targets = target.map { [$0] } ?? ((try? Sys.listDirectory(directory)) ?? []).filter { !$0.hasPrefix(".") }
        return targets.flatMap { manifests(of: $0) }
    }

    /// The manifest at `path`, nil when unreadable.
    static func manifest(at path: String) -> SnapshotManifest? {
        guard let data = try? Sys.readFile(path) else { return nil }
        return try? JSONDecoder().decode(SnapshotManifest.self, from: Data(data))
    }

    /// The analysis summary kept beside the snapshot at `snapshotPath`, nil when it is missing or
    /// not readable by this build (damaged, an older format).
    static func keptSummary(of snapshotPath: String) -> SnapshotSummary? {
        guard let data = try? Sys.readFile(summaryPath(of: snapshotPath), limit: .max) else { return nil }
        return try? SnapshotSummary(data: Data(data))
    }

    /// The analysis report stored beside the snapshot at `snapshotPath`, nil when missing or unreadable.
    static func report(of snapshotPath: String) -> LeakReport? {
        guard let data = try? Sys.readFile(reportPath(of: snapshotPath)) else { return nil }
        return try? JSONDecoder().decode(LeakReport.self, from: Data(data))
    }

    /// Every stored snapshot's capture: which process instance, why, and how long before `now`
    /// (epoch seconds) it was taken.
    public func captures(now: Double) -> [StoredCapture] {
        storedManifests().compactMap { manifest, path in
            guard let time = Self.epochSeconds(manifest.time) else { return nil }
            return StoredCapture(target: manifest.target, identity: ProcessIdentity(pid: manifest.pid, startTime: manifest.startTime),
                                 reason: manifest.reason, ageSeconds: now - Double(time), path: path, originalPath: manifest.originalPath)
        }
    }

    /// Stored snapshots, newest first, optionally of one target.
    public func list(target: String? = nil) -> [SnapshotEntry] {
        let entries = storedManifests(target: target).map { manifest, path in
            SnapshotEntry(target: manifest.target, pid: manifest.pid, path: path, bytes: manifest.bytes,
                          originalBytes: manifest.originalBytes, compressed: manifest.compressed,
                          time: manifest.time, reason: manifest.reason, method: manifest.method)
        }
        return entries.sorted { SnapshotNaming.precedes($1.time, $1.path, $0.time, $0.path) }
    }

    public func counts() -> SnapshotCounts {
        var counts = SnapshotCounts()
        for (manifest, _) in storedManifests() {
            counts.byTarget[manifest.target, default: 0] += 1
            let identity = ProcessIdentity(pid: manifest.pid, startTime: manifest.startTime)
            counts.byInstance[SnapshotCounts.Instance(target: manifest.target, identity: identity), default: 0] += 1
        }
        return counts
    }

    /// The newest stored snapshot of each process instance whose analysis report is missing (a
    /// daemon stopped or killed before the analysis finished), oldest first.
    public func unanalyzed() -> [(target: String, path: String)] {
        var newest: [String: (manifest: SnapshotManifest, path: String)] = [:]
        for (manifest, path) in storedManifests() {
            let instance = "\(manifest.target)/\(manifest.pid)/\(manifest.startTime)"
            if let known = newest[instance], !SnapshotNaming.precedes(known.manifest.time, known.path, manifest.time, path) { continue }
            newest[instance] = (manifest, path)
        }
        return newest.values.filter { access(Self.reportPath(of: $0.path), F_OK) != 0 }
            .sorted { SnapshotNaming.precedes($0.manifest.time, $0.path, $1.manifest.time, $1.path) }
            .map { ($0.manifest.target, $0.path) }
    }

    /// The stored snapshots of `newest`'s process instance taken up to `newest` (a later one has
    /// its own turn), oldest first, with `newest`'s manifest; nil when `newest` is not stored.
    public func snapshots(of target: String, upTo newest: String) -> (manifest: SnapshotManifest, paths: [String])? {
        let all = manifests(of: target)
        guard let last = all.first(where: { $0.path == newest })?.manifest else { return nil }
        let paths = all.filter { $0.manifest.pid == last.pid && $0.manifest.startTime == last.startTime
            && !SnapshotNaming.precedes(last.time, newest, $0.manifest.time, $0.path) }
            .sorted { SnapshotNaming.precedes($0.manifest.time, $0.path, $1.manifest.time, $1.path) }.map(\.path)
        return (last, paths)
    }

    /// Where the analysis of the snapshots ending with `snapshotPath` is kept: `<base>.report`.
    static func reportPath(of snapshotPath: String) -> String {
        String(manifestPath(of: snapshotPath).dropLast(".json".count)) + ".report"
    }

    /// Where the analysis summary of one snapshot is kept: `<base>.summary`.
    static func summaryPath(of snapshotPath: String) -> String {
        String(manifestPath(of: snapshotPath).dropLast(".json".count)) + ".summary"
    }

    /// The analysis reports stored for `target`, newest first, each with the pid it is of.
    public func reports(target: String) -> [(pid: Int32, path: String)] {
        let targetDirectory = directory + "/" + target
        // Names begin with their UTC time: it and the attempt order them.
        func stamp(_ name: String) -> String { String(name.prefix { $0 != "-" }) }
        let names = ((try? Sys.listDirectory(targetDirectory)) ?? []).filter { $0.hasSuffix(".report") }
        return names.sorted { SnapshotNaming.precedes(stamp($1), $1, stamp($0), $0) }.compactMap { name in
            SnapshotNaming.pid(of: name).map { ($0, targetDirectory + "/" + name) }
        }
    }

    /// Free bytes on the store's filesystem.
    func freeBytes() -> UInt64? {
        try? Sys.availableBytes(onFilesystemOf: directory)
    }

    /// Deletes what retention says must go (count, bytes, age); never `protected`. Returns what was deleted.
    @discardableResult
    public func enforceRetention(protecting protected: Set<String>, now: Int64 = Int64(time(nil))) -> [StoredSnapshot] {
        let stored = list().map { entry in
            StoredSnapshot(target: entry.target, path: entry.path, bytes: entry.bytes, time: Self.epochSeconds(entry.time) ?? 0)
        }
        let victims = Retention.victims(stored, keepPerTarget: settings.keepPerTarget, maxBytes: settings.maxBytes,
                                        maxAge: settings.maxAge, now: now, protected: protected)
        for victim in victims {
            unlink(victim.path)
            unlink(Self.manifestPath(of: victim.path))
            unlink(Self.reportPath(of: victim.path))
            unlink(Self.summaryPath(of: victim.path))
            logger.info("retention: deleted \(victim.path) (\(Units.formatBytes(victim.bytes)))",
                        metadata: [LogField.target: "\(victim.target)", LogField.snapshotPath: "\(victim.path)"])
        }
        return victims
    }

    /// Unix seconds of a manifest's `2026-11-25T01:22:33Z`.
    static func epochSeconds(_ iso: String) -> Int64? {
        HistoryTime.parse(iso).map { Int64($0) }
    }
}

/// A stored snapshot's capture, as a restarted daemon needs it (`Monitor.seedCaptures`).
public struct StoredCapture: Sendable, Equatable {
    public var target: String
    public var identity: ProcessIdentity
    /// `baseline`, `follow_up`, `near_limit`, `over_limit`, `manual` or `heap_limit` (node's own).
    public var reason: String
    /// Seconds since it was taken.
    public var ageSeconds: Double
    /// The snapshot file.
    public var path: String
    /// Where it came from, as the process saw it (`SnapshotManifest.originalPath`).
    public var originalPath: String

    public init(target: String, identity: ProcessIdentity, reason: String, ageSeconds: Double, path: String, originalPath: String = "") {
        self.target = target
        self.identity = identity
        self.reason = reason
        self.ageSeconds = ageSeconds
        self.path = path
        self.originalPath = originalPath
    }
}

/// How many snapshots the store holds, per target and per process instance of a target.
public struct SnapshotCounts: Sendable, Equatable {
    public struct Instance: Hashable, Sendable {
        public var target: String
        public var identity: ProcessIdentity
    }

    public var byTarget: [String: Int] = [:]
    public var byInstance: [Instance: Int] = [:]

    public init() {}

    public func of(_ target: String, _ identity: ProcessIdentity) -> Int {
        byInstance[Instance(target: target, identity: identity)] ?? 0
    }
}
