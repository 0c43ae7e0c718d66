import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// Writes one snapshot into the store: optionally gzip-compressed, through a `DurableFile`, and
/// checked on commit — a V8 snapshot starts with `{"snapshot":` and ends with `]}`; anything
/// else (a truncated stream, an error page) is refused and removed, never counted as a snapshot.
final class SnapshotWriter {
    let path: String
    let compressed: Bool
    private let file: DurableFile
    private var stream = z_stream()
    private var deflating = false
    private(set) var originalBytes: UInt64 = 0
    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    private var outputBuffer = [UInt8](repeating: 0, count: 1 << 18)

    /// - Parameter basePath: the path without extension; `.heapsnapshot` or `.heapsnapshot.gz` is added.
    init(basePath: String, compress: Bool) throws {
        compressed = compress
        path = basePath + (compress ? ".heapsnapshot.gz" : ".heapsnapshot")
        file = try DurableFile(path: path)
        if compress {
            // windowBits 15 + 16: a gzip wrapper; level 1: snapshots compress well even at the fastest level.
            guard deflateInit2_(&stream, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                file.abort()
                throw SystemError("deflateInit2", path: path, errno: ENOMEM)
            }
            deflating = true
        }
    }

    deinit {
        if deflating { deflateEnd(&stream) }
    }

    var storedBytes: UInt64 { file.bytesWritten }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        originalBytes += UInt64(bytes.count)
        if head.count < 64 { head += bytes.prefix(64 - head.count) }
        tail = Array((tail + bytes.suffix(64)).suffix(64))
        if compressed {
            try deflateChunk(bytes, flush: Z_NO_FLUSH)
        } else {
            try file.write(bytes)
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Validates, finishes the gzip stream, and makes the file durable. Returns the SHA-256 of the stored file.
    func commit() throws -> String {
        let start = String(decoding: head.filter { !Self.isJSONWhitespace($0) }.prefix(12), as: UTF8.self)
        guard start == "{\"snapshot\":", Self.endsLikeSnapshot(tail: tail) else {
            abort()
            throw SnapshotWriterError.notASnapshot(path: path, bytes: originalBytes)
        }
        if compressed {
            try deflateChunk(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH)
            deflateEnd(&stream)
            deflating = false
        }
        return try file.commit()
    }

    func abort() {
        file.abort()
    }

    /// Whether the last bytes of a file end a V8 snapshot: its last member is the `strings` array,
    /// so it ends with `]}` (trailing whitespace aside).
    static func endsLikeSnapshot(tail: [UInt8]) -> Bool {
        Array(tail.reversed().drop(while: isJSONWhitespace).prefix(2)) == [UInt8(ascii: "}"), UInt8(ascii: "]")]
    }

    private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0a || byte == 0x0d || byte == 0x09
    }

    /// Feeds `bytes` to deflate and writes what comes out. With `Z_FINISH`, runs until the stream ends.
    private func deflateChunk(_ bytes: UnsafeRawBufferPointer, flush: Int32) throws {
        stream.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(bytes.count)
        while true {
            let (status, produced): (Int32, Int) = outputBuffer.withUnsafeMutableBytes { out in
                stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(out.count)
                let status = deflate(&stream, flush)
                return (status, out.count - Int(stream.avail_out))
            }
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw SystemError("deflate", path: path, errno: EIO)
            }
            if produced > 0 {
                try outputBuffer.withUnsafeBytes { try file.write(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
            }
            if flush == Z_FINISH ? status == Z_STREAM_END : (stream.avail_out != 0 && stream.avail_in == 0) { return }
        }
    }
}

enum SnapshotWriterError: Error, CustomStringConvertible {
    case notASnapshot(path: String, bytes: UInt64)

    var description: String {
        switch self {
        case .notASnapshot(let path, let bytes):
            "\(path): \(bytes) bytes that are not a complete heap snapshot (it must start with {\"snapshot\": and end with ]}); removed"
        }
    }
}
