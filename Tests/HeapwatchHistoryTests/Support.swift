import Foundation
import HeapwatchHistory
#if canImport(Glibc)
import Glibc
#endif

/// 2026-11-25T00:00:00Z.
let midnight: Double = 1_795_564_800

func sample(_ target: String = "api", pid: Int32 = 100, rss: UInt64, anon: UInt64, swap: UInt64 = 0, state: String = "ok") -> HistorySample {
    HistorySample(target: target, pid: pid, startTime: 5000, rssBytes: rss, anonBytes: anon, state: state, swapBytes: swap)
}

func fileMode(_ path: String) -> mode_t? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o777
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
