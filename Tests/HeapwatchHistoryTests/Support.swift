import Foundation
import HeapwatchHistory
#if canImport(Glibc)
import Glibc
#endif

/// 2026-11-25T00:00:00Z.
let midnight: Double = 1_795_564_800

func sample(_ target: String = "api", pid: Int32 = 100, rss: UInt64, anon: UInt64, state: String = "ok") -> HistorySample {
    HistorySample(target: target, pid: pid, startTime: 5000, rssBytes: rss, anonBytes: anon, state: state)
}

func fileMode(_ path: String) -> mode_t? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o777
}

/// Where the built executables are: `$HEAPWATCH_BIN_DIR` (set by `make test`), else beside the
/// test bundle, else `.build/debug`.
enum Executables {
    static func path(_ name: String) -> String {
        var candidates: [String] = []
        if let dir = ProcessInfo.processInfo.environment["HEAPWATCH_BIN_DIR"] { candidates.append(dir) }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append((exe as NSString).deletingLastPathComponent)
        }
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        candidates.append(root.path + "/.build/debug")
        return candidates.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
            ?? candidates.last! + "/" + name
    }
}

/// Reads a child's stdout line by line with a deadline (poll(2), no threads).
struct LineReader {
    let fd: Int32
    private var buffer: [UInt8] = []
    private(set) var closed = false

    init(fd: Int32) { self.fd = fd }

    /// Lines available before `deadline` (CLOCK_MONOTONIC seconds), until at least one arrives or EOF.
    mutating func next(deadline: Double) -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0a) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            if closed { return nil }
            let remaining = deadline - monotonicSeconds()
            guard remaining > 0 else { return nil }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(remaining * 1000) + 1)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return nil }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = read(fd, &chunk, chunk.count)
            if count <= 0 { closed = true } else { buffer += chunk[..<count] }
        }
    }
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
