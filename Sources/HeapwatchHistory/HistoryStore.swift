import Foundation
import GRDB
import HeapwatchCore
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's memory history: raw samples, 1-minute rollups and events in one SQLite file,
/// `<state_dir>/history.sqlite` (mode 0600), in WAL mode so readers never block the sampling loop
/// and every committed tick survives a crash or SIGKILL of the daemon.
///
/// All methods are safe to call from any task; writes are serialised by GRDB's writer queue and
/// the async ones run off the cooperative thread pool.
public final class HistoryStore: Sendable {
    public static let fileName = "history.sqlite"

    /// The database file.
    public let path: String
    public let retention: HistoryRetention
    let pool: DatabasePool
    /// Upper bounds of each target's row counts, for `prune`.
    let rowBounds = RowBounds()

    /// Opens (creating if needed) `<directory>/history.sqlite`. A group- or world-readable file is
    /// made 0600 first. Throws `.corrupt` for a file that is not a usable database (see
    /// `openRecovering`), `.cannotOpen` for anything else.
    public init(directory: String, retention: HistoryRetention = .standard) throws(HistoryError) {
        let path = directory + "/" + Self.fileName
        self.path = path
        self.retention = retention
        try Self.prepareFile(directory: directory, path: path)
        var configuration = Configuration()
        configuration.label = "heapwatch.history"
        // Another process (a second daemon by mistake, a test) may hold the write lock briefly.
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // In WAL mode NORMAL loses no committed transaction when the process dies, only on power loss.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // After a checkpoint the -wal file is cut back to this many bytes.
            try db.execute(sql: "PRAGMA journal_size_limit = 8388608")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try HistorySchema.migrator.migrate(pool)
        } catch {
            throw Self.classify(error, path: path, operation: "open")
        }
    }

    /// Opens the store; when the file is corrupt (or fails `PRAGMA quick_check`), moves it aside as
    /// `history.sqlite.corrupt-<UTC time>` and starts a fresh one. `movedAside` names the old file.
    public static func openRecovering(directory: String, retention: HistoryRetention = .standard,
                                      now: Double) throws(HistoryError) -> (store: HistoryStore, movedAside: String?) {
        let store: HistoryStore
        do {
            store = try HistoryStore(directory: directory, retention: retention)
        } catch .corrupt(let path, _) {
            let aside = try moveAside(path: path, now: now)
            return (try HistoryStore(directory: directory, retention: retention), aside)
        }
        do {
            try store.quickCheck()
            return (store, nil)
        } catch .corrupt(let path, _) {
            store.close()
            let aside = try moveAside(path: path, now: now)
            return (try HistoryStore(directory: directory, retention: retention), aside)
        }
    }

    /// For a store that threw `.corrupt` while running: close it, then call this to move the file
    /// aside and open a fresh one. Returns the fresh store and the old file's new name.
    public static func startFresh(directory: String, retention: HistoryRetention = .standard,
                                  now: Double) throws(HistoryError) -> (store: HistoryStore, movedAside: String) {
        let aside = try moveAside(path: directory + "/" + fileName, now: now)
        return (try HistoryStore(directory: directory, retention: retention), aside)
    }

    /// Renames a damaged database (and its `-wal`) to `<path>.corrupt-<UTC time>` and removes its
    /// `-shm`, so a fresh store can be created. Returns the new name. The store on it must be closed.
    @discardableResult
    public static func moveAside(path: String, now: Double) throws(HistoryError) -> String {
        let stamp = SnapshotNaming.compactUTC(Int64(now.rounded(.down)))
        var aside = path + ".corrupt-" + stamp
        var attempt = 1
        while access(aside, F_OK) == 0 {
            attempt += 1
            aside = path + ".corrupt-" + stamp + "-\(attempt)"
        }
        guard rename(path, aside) == 0 else { throw .cannotMoveAside(path: path, errno: errno) }
        _ = rename(path + "-wal", aside + "-wal")
        _ = unlink(path + "-shm")
        return aside
    }

    /// `PRAGMA quick_check`: reads every page, O(file size). Throws `.corrupt` on a damaged file.
    public func quickCheck() throws(HistoryError) {
        do {
            let result = try pool.read { db in try String.fetchOne(db, sql: "PRAGMA quick_check(1)") }
            if let result, result != "ok" { throw HistoryError.corrupt(path: path, reason: result) }
        } catch {
            throw Self.classify(error, path: path, operation: "integrity check")
        }
    }

    /// Closes the file; later calls throw. Call before `moveAside` on a store found corrupt.
    public func close() {
        try? pool.close()
    }

    // MARK: - Helpers

    static func classify(_ error: any Error, path: String, operation: String) -> HistoryError {
        if let error = error as? HistoryError { return error }
        guard let error = error as? DatabaseError else {
            return .failed(path: path, operation: operation, reason: "\(error)")
        }
        let reason = error.message ?? "\(error.resultCode)"
        switch error.resultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return .corrupt(path: path, reason: reason)
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_AUTH:
            return .cannotOpen(path: path, reason: reason)
        default:
            return operation == "open" ? .cannotOpen(path: path, reason: reason)
                : .failed(path: path, operation: operation, reason: reason)
        }
    }

    /// Creates the directory (0700) and the file (0600) if missing; makes an existing file 0600.
    private static func prepareFile(directory: String, path: String) throws(HistoryError) {
        var info = stat()
        if stat(directory, &info) != 0 {
            guard mkdir(directory, 0o700) == 0 || errno == EEXIST else {
                throw .cannotOpen(path: path, reason: "cannot create directory \(directory): \(String(cString: strerror(errno)))")
            }
        }
        if lstat(path, &info) != 0 {
            let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            guard fd >= 0 || errno == EEXIST else {
                throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
            }
            if fd >= 0 { Glibc.close(fd) }
            return
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw .cannotOpen(path: path, reason: "not a regular file")
        }
        // History shows which services run and how big they are: owner only, like the snapshots.
        if info.st_mode & 0o077 != 0 {
            for file in [path, path + "-wal", path + "-shm"] where access(file, F_OK) == 0 {
                guard chmod(file, 0o600) == 0 else {
                    throw .cannotOpen(path: path, reason: "\(file) is readable by others and chmod 0600 failed: \(String(cString: strerror(errno)))")
                }
            }
        }
    }
}
