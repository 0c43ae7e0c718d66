#if canImport(Glibc)
import Glibc
#endif

/// Copies files into the store through `DurableFile`.
enum FileCopier {
    /// Copies `source` to `destination`, hashing as it goes. Returns the size and the SHA-256.
    static func copy(from source: String, to destination: String) throws -> (bytes: UInt64, sha256: String) {
        let input = Sys.retrying { open(source, O_RDONLY | O_CLOEXEC) }
        guard input >= 0 else { throw SystemError("open", path: source, errno: errno) }
        defer { close(input) }
        let output = try DurableFile(path: destination)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in Sys.retrying { read(input, raw.baseAddress, raw.count) } }
            if count < 0 { throw SystemError("read", path: source, errno: errno) }
            if count == 0 { break }
            try buffer.withUnsafeBytes { try output.write(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        let size = output.bytesWritten
        return (size, try output.commit())
    }

    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let file = try DurableFile(path: path)
        try file.write(bytes)
        _ = try file.commit()
    }
}
