/// What went wrong with the history database, naming the file and what to do.
public enum HistoryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is not a SQLite database, or SQLite found it damaged. `HistoryStore.openRecovering`
    /// moves it aside and starts a fresh one.
    case corrupt(path: String, reason: String)
    /// The file or its directory could not be opened or created (permissions, disk, a directory in the way).
    case cannotOpen(path: String, reason: String)
    /// A read or write failed on a database that opened fine (disk full, I/O error).
    case failed(path: String, operation: String, reason: String)
    /// Moving a corrupt file aside failed.
    case cannotMoveAside(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .corrupt(let path, let reason):
            "history database \(path) is corrupt (\(reason)); it can be moved aside and a fresh one started"
        case .cannotOpen(let path, let reason):
            "cannot open history database \(path): \(reason); check the directory exists and is writable by the daemon's user"
        case .failed(let path, let operation, let reason):
            "history database \(path): \(operation) failed: \(reason)"
        case .cannotMoveAside(let path, let errno):
            "cannot move corrupt history database \(path) aside (errno \(errno)); remove it by hand"
        }
    }

    /// The database file this error is about.
    public var path: String {
        switch self {
        case .corrupt(let path, _), .cannotOpen(let path, _), .failed(let path, _, _), .cannotMoveAside(let path, _): path
        }
    }
}
