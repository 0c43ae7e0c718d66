#if canImport(Glibc)
import Glibc
#endif

/// A system call failed because of the environment (a missing file, a vanished process, a full disk).
public struct SystemError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Int32

    public init(_ operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// The process behind a /proc path is gone (or, for an fd kept on its directory, was replaced).
    public var processGone: Bool { errno == ESRCH || errno == ENOENT }

    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// Thin wrappers over the calls heapwatch makes, retrying `EINTR` and throwing `SystemError`.
public enum Sys {
    /// Reads a whole file. `/proc` files report size 0, so read until EOF.
    public static func readFile(_ path: String, relativeTo directoryFD: Int32 = AT_FDCWD, limit: Int = 16 << 20) throws(SystemError) -> [UInt8] {
        let fd = retrying { openat(directoryFD, path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw SystemError("open", path: path, errno: Glibc.errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            let count = chunk.withUnsafeMutableBytes { buffer in retrying { read(fd, buffer.baseAddress, buffer.count) } }
            if count < 0 { throw SystemError("read", path: path, errno: Glibc.errno) }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    public static func readText(_ path: String, relativeTo directoryFD: Int32 = AT_FDCWD) throws(SystemError) -> String {
        String(decoding: try readFile(path, relativeTo: directoryFD), as: UTF8.self)
    }

    public static func readLink(_ path: String) throws(SystemError) -> String {
        var buffer = [CChar](repeating: 0, count: 4097)
        let count = readlink(path, &buffer, 4096)
        guard count >= 0 else { throw SystemError("readlink", path: path, errno: Glibc.errno) }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Names in a directory, without `.` and `..`.
    public static func listDirectory(_ path: String) throws(SystemError) -> [String] {
        guard let dir = opendir(path) else { throw SystemError("opendir", path: path, errno: Glibc.errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public static func openDirectory(_ path: String) throws(SystemError) -> Int32 {
        let fd = retrying { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw SystemError("open", path: path, errno: Glibc.errno) }
        return fd
    }

    public static func fileStatus(_ path: String) throws(SystemError) -> stat {
        var info = stat()
        guard stat(path, &info) == 0 else { throw SystemError("stat", path: path, errno: Glibc.errno) }
        return info
    }

    /// Creates `path` (and missing parents) with `mode`; an existing directory gets `mode` too.
    public static func makeDirectory(_ path: String, mode: mode_t) throws(SystemError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, mode) != 0 && Glibc.errno != EEXIST {
                throw SystemError("mkdir", path: current, errno: Glibc.errno)
            }
        }
        guard chmod(path, mode) == 0 else { throw SystemError("chmod", path: path, errno: Glibc.errno) }
    }

    /// Free bytes for an unprivileged writer on the filesystem holding `path`.
    public static func availableBytes(onFilesystemOf path: String) throws(SystemError) -> UInt64 {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { throw SystemError("statvfs", path: path, errno: Glibc.errno) }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    static func retrying<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result < 0 && Glibc.errno == EINTR { continue }
            return result
        }
    }
}
