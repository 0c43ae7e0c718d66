#if canImport(Glibc)
import Glibc
#endif

/// Durable file writes: to `<path>.partial` (0600, exclusive), fsync, rename, fsync the directory.
enum FileCopier {
    /// Copies `source` to `destination`, hashing as it goes. Returns the size and the SHA-256.
    static func copy(from source: String, to destination: String) throws -> (bytes: UInt64, sha256: String) {
        let input = Sys.retrying { open(source, O_RDONLY | O_CLOEXEC) }
        guard input >= 0 else { throw SystemError("open", path: source, errno: errno) }
        defer { close(input) }
        var hasher = SHA256Hasher()
        var total: UInt64 = 0
        try writeAtomically(to: destination) { output throws in
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let count = buffer.withUnsafeMutableBytes { raw in Sys.retrying { read(input, raw.baseAddress, raw.count) } }
                if count < 0 { throw SystemError("read", path: source, errno: errno) }
                if count == 0 { break }
                try buffer.withUnsafeBytes { raw throws in
                    let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                    hasher.update(chunk)
                    try writeAll(output, chunk, path: destination)
                }
                total += UInt64(count)
            }
        }
        return (total, hasher.finalize())
    }

    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        try writeAtomically(to: path) { fd throws in
            try bytes.withUnsafeBytes { raw throws in try writeAll(fd, raw, path: path) }
        }
    }

    private static func writeAtomically(to path: String, _ body: (Int32) throws -> Void) throws {
        let partial = path + ".partial"
        let fd = Sys.retrying { open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
        guard fd >= 0 else { throw SystemError("create", path: partial, errno: errno) }
        do {
            try body(fd)
            guard fsync(fd) == 0 else { throw SystemError("fsync", path: partial, errno: errno) }
        } catch {
            close(fd)
            unlink(partial)
            throw error
        }
        close(fd)
        guard rename(partial, path) == 0 else {
            let code = errno
            unlink(partial)
            throw SystemError("rename", path: partial, errno: code)
        }
        syncDirectory(of: path)
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Sys.retrying { write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
            guard written > 0 else { throw SystemError("write", path: path, errno: written < 0 ? errno : EIO) }
            offset += written
        }
    }

    private static func syncDirectory(of path: String) {
        guard let slash = path.lastIndex(of: "/") else { return }
        let fd = open(String(path[..<slash]), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
