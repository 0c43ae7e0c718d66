#if canImport(Glibc)
import Glibc
#endif

extension HeapAnalyzer {
    /// Peak memory of analyzing one snapshot, per byte of its JSON (measured: 1.3–1.5).
    public static let peakBytesPerJSONByte = 1.5

    /// Estimated peak memory, in bytes, of `analyze(paths:options:)` with `maxParallelism`
    /// snapshots in flight: the largest ones, plus the last one kept for paths. Lets a caller
    /// skip (with a reason) when the host lacks memory. Throws when a file cannot be read.
    public static func estimatedPeakBytes(paths: [String], maxParallelism: Int = 2) throws -> Int {
        var sizes = try paths.map { try jsonSize(of: $0) }
        guard let last = sizes.last else { return 0 }
        let workers = max(1, maxParallelism)
        sizes.sort(by: >)
        var total = sizes.prefix(workers).reduce(0, +)
        // The newest snapshot stays in memory while the others are analyzed.
        if paths.count > workers { total += last }
        return Int(Double(total) * peakBytesPerJSONByte)
    }

    /// Uncompressed size of a snapshot file: its size, or for gzip the trailer's ISIZE (the size
    /// modulo 4 GiB; when that is below the compressed size it has wrapped, and 8× the
    /// compressed size stands in).
    static func jsonSize(of path: String) throws -> Int {
        let (fd, size) = try SnapshotInput.openForReading(path)
        defer { close(fd) }
        guard size >= 18, SnapshotInput.startsWithGzipMagic(fd) else { return size }
        var trailer: UInt32 = 0
        guard withUnsafeMutableBytes(of: &trailer, { pread(fd, $0.baseAddress, 4, off_t(size - 4)) }) == 4 else {
            return size * 8
        }
        let uncompressed = Int(UInt32(littleEndian: trailer))
        return uncompressed >= size ? uncompressed : size * 8
    }
}
