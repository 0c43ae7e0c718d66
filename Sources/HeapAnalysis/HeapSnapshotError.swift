#if canImport(Glibc)
import Glibc
#endif

/// Why a heap snapshot could not be read. Every case names the file; parse errors also name the
/// byte offset (in the uncompressed stream for gzip files) where reading stopped.
public struct HeapSnapshotError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        /// A system call failed (open, read, fstat).
        case io(operation: String, errno: Int32)
        /// The file has no bytes at all (a capture that was killed before writing).
        case empty
        /// The file ends before the JSON does (a capture still being written, or cut short).
        case truncated(context: String)
        /// The bytes are not the JSON a V8 heap snapshot contains.
        case malformed(String)
        /// The gzip stream is damaged.
        case gzip(String)
        /// The snapshot is well formed but beyond what this reader supports.
        case unsupported(String)
        /// A `.summary` file this version cannot read (damaged, or another format version).
        case unreadableSummary(String)
    }

    public var path: String
    public var reason: Reason
    /// Byte offset where the problem was found, when it is about the content.
    public var offset: Int?

    public init(path: String, reason: Reason, offset: Int? = nil) {
        self.path = path
        self.reason = reason
        self.offset = offset
    }

    public var description: String {
        let place = offset.map { " at byte \($0)" } ?? ""
        switch reason {
        case .io(let operation, let code):
            return "\(path): cannot \(operation): \(String(cString: strerror(code)))"
        case .empty:
            return "\(path): the file is empty (was the capture killed while writing it?)"
        case .truncated(let context):
            return "\(path): truncated\(place): the file ends inside \(context) "
                + "(was it still being written, or cut short?)"
        case .malformed(let what):
            return "\(path): not a V8 heap snapshot\(place): \(what)"
        case .gzip(let what):
            return "\(path): damaged gzip data\(place): \(what)"
        case .unsupported(let what):
            return "\(path): unsupported heap snapshot\(place): \(what)"
        case .unreadableSummary(let why):
            return "\(path): not a summary this version reads (\(why)); give the snapshot file instead"
        }
    }
}
