#if canImport(Glibc)
import Glibc
#endif

/// A file written durably: to `<path>.partial` (0600, created exclusively), hashed as it is written,
/// then fsynced, renamed into place and its directory fsynced. Until `commit` it is only a
/// `.partial`, which nothing counts as a snapshot; dropping it without `commit` removes it.
final class DurableFile {
    let path: String
    private var partialPath: String { path + ".partial" }
    private var fd: Int32
    private var hasher = SHA256Hasher()
    private(set) var bytesWritten: UInt64 = 0
    private var finished = false

    init(path: String) throws {
        self.path = path
        fd = Sys.retrying { open(path + ".partial", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
        guard fd >= 0 else { throw SystemError("create", path: path + ".partial", errno: errno) }
    }

    deinit { if !finished { abort() } }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Sys.retrying { Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
            guard written > 0 else { throw SystemError("write", path: partialPath, errno: written < 0 ? errno : EIO) }
            offset += written
        }
        hasher.update(bytes)
        bytesWritten += UInt64(bytes.count)
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Makes the file durable under its final name. Returns its SHA-256.
    func commit() throws -> String {
        guard fsync(fd) == 0 else { throw SystemError("fsync", path: partialPath, errno: errno) }
        close(fd)
        finished = true
        guard rename(partialPath, path) == 0 else {
            let code = errno
            unlink(partialPath)
            throw SystemError("rename", path: partialPath, errno: code)
        }
        Self.syncDirectory(of: path)
        var final = SHA256Hasher()
        swap(&final, &hasher)
        return final.finalize()
    }

    /// Closes and removes the partial file.
    func abort() {
        guard !finished else { return }
        finished = true
        close(fd)
        unlink(partialPath)
    }

    static func syncDirectory(of path: String) {
        guard let slash = path.lastIndex(of: "/") else { return }
        let fd = open(String(path[..<slash]), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
