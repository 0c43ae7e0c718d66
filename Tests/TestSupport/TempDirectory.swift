import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A private (0700) directory under /tmp for one test, removed with all it holds when the value
/// goes away.
public final class TempDirectory {
    public let path: String

    public init() throws {
        var template = Array("/tmp/heapwatch-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp failed: \(String(cString: strerror(errno)))") }
        path = String(cString: made)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to the file `name` in the directory and returns the file's path.
    @discardableResult
    public func write(_ text: String, to name: String) throws -> String {
        try write(Data(text.utf8), to: name)
    }

    @discardableResult
    public func write(_ data: Data, to name: String) throws -> String {
        let file = file(name)
        try data.write(to: URL(fileURLWithPath: file))
        return file
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A test's own failure (a deadline passed, a set-up step failed), with what happened.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
