import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// The bytes of a snapshot file, delivered in chunks: read straight from the file, or inflated
/// through zlib when the file starts with the gzip magic bytes. Memory stays at two chunk buffers
/// whatever the file size (a mapped whole file would count the file in the reader's RSS).
final class SnapshotInput {
    let path: String
    /// Size of the file on disk, in bytes.
    let fileSize: Int
    let isGzip: Bool
    /// Current chunk; valid up to `count`.
    private(set) var bytes: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    /// Offset in the (uncompressed) stream of `bytes[0]`.
    private(set) var chunkOffset = 0
    private let fd: Int32
    private let chunkSize: Int
    private var compressed: UnsafeMutablePointer<UInt8>?
    private var stream = z_stream()
    private var streamEnded = false
    private var compressedEOF = false

    /// Bytes read (or inflated) at a time: 64 KiB. A chunk that stays in the core's cache is
    /// cheaper to copy out of the page cache than a 4 MiB one: the parse of a 403 MB snapshot
    /// spent 0.44 s in system time against 0.67 s (`Benchmarks/README.md`).
    static let defaultChunkSize = 1 << 16

    init(path: String, chunkSize: Int) throws {
        self.path = path
        self.chunkSize = chunkSize
        (fd, fileSize) = try Self.openForReading(path)
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        bytes = .allocate(capacity: chunkSize)
        isGzip = Self.startsWithGzipMagic(fd)
        if isGzip {
            compressed = .allocate(capacity: chunkSize)
            let status = inflateInit2_(
                &stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
            // Every stored property is set by now, so deinit runs on this throw: it closes fd
            // and frees the buffers (inflateEnd refuses a stream whose init failed, harmlessly).
            guard status == Z_OK else {
                throw HeapSnapshotError(path: path, reason: .gzip("inflateInit2 failed (\(status))"))
            }
        }
    }

    /// Opens `path` read-only: the descriptor and the file's size in bytes.
    static func openForReading(_ path: String) throws -> (fd: Int32, size: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw HeapSnapshotError(path: path, reason: .io(operation: "open", errno: errno))
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw HeapSnapshotError(path: path, reason: .io(operation: "stat", errno: code))
        }
        return (fd, Int(info.st_size))
    }

    /// True when the file behind `fd` starts with the gzip magic bytes (1f 8b).
    static func startsWithGzipMagic(_ fd: Int32) -> Bool {
        var magic: (UInt8, UInt8) = (0, 0)
        let got = withUnsafeMutableBytes(of: &magic) { pread(fd, $0.baseAddress, 2, 0) }
        return got == 2 && magic.0 == 0x1f && magic.1 == 0x8b
    }

    deinit {
        if isGzip { inflateEnd(&stream) }
        compressed?.deallocate()
        bytes.deallocate()
        close(fd)
    }

    /// Replaces the current chunk with the next one. Returns false at the end of the stream.
    func refill() throws -> Bool {
        chunkOffset += count
        count = 0
        return isGzip ? try inflateChunk() : try readChunk()
    }

    private func readChunk() throws -> Bool {
        while true {
            let got = read(fd, bytes, chunkSize)
            if got < 0 {
                if errno == EINTR { continue }
                throw HeapSnapshotError(path: path, reason: .io(operation: "read", errno: errno))
            }
            count = got
            return got > 0
        }
    }

    private func inflateChunk() throws -> Bool {
        guard let compressed, !streamEnded else { return false }
        stream.next_out = bytes
        stream.avail_out = UInt32(chunkSize)
        while stream.avail_out > 0 {
            if stream.avail_in == 0 && !compressedEOF { try readCompressed(into: compressed) }
            let status = inflate(&stream, Z_NO_FLUSH)
            if status == Z_STREAM_END {
                // Concatenated gzip members (`cat a.gz b.gz`, gzip of a stream in parts) are one
                // stream; bytes after the last member that are not gzip fail in the next inflate.
                if try moreCompressedInput() {
                    inflateReset(&stream)
                    continue
                }
                streamEnded = true
                break
            }
            if status == Z_BUF_ERROR && compressedEOF {
                // Input ran out before the gzip trailer: the file was cut short.
                throw HeapSnapshotError(
                    path: path, reason: .truncated(context: "the gzip stream"),
                    offset: chunkOffset + chunkSize - Int(stream.avail_out))
            }
            guard status == Z_OK || status == Z_BUF_ERROR else {
                let message = stream.msg.map { String(cString: $0) } ?? "inflate status \(status)"
                throw HeapSnapshotError(
                    path: path, reason: .gzip(message),
                    offset: chunkOffset + chunkSize - Int(stream.avail_out))
            }
        }
        count = chunkSize - Int(stream.avail_out)
        return count > 0
    }

    /// True when compressed bytes remain after the current gzip member (reads more if needed).
    private func moreCompressedInput() throws -> Bool {
        guard let compressed else { return false }
        while stream.avail_in == 0 && !compressedEOF { try readCompressed(into: compressed) }
        return stream.avail_in > 0
    }

    /// Reads the next compressed chunk as the stream's input; at the end of the file, marks it.
    private func readCompressed(into buffer: UnsafeMutablePointer<UInt8>) throws {
        while true {
            let got = read(fd, buffer, chunkSize)
            if got < 0 {
                if errno == EINTR { continue }
                throw HeapSnapshotError(path: path, reason: .io(operation: "read", errno: errno))
            }
            if got == 0 { compressedEOF = true }
            stream.next_in = buffer
            stream.avail_in = UInt32(got)
            return
        }
    }
}
