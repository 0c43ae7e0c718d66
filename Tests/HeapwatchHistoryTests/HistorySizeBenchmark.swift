import Foundation
import HeapwatchHistory
import HeapwatchTrend
import Testing

/// Not a CI test: fills a store as 100 targets at a 5 s interval would for 24 h, then prints the
/// file size, bytes per sample and timings. Run with
/// `HEAPWATCH_HISTORY_BENCH_DIR=/tmp/x swift test --filter HistorySizeBenchmark`; the file is left there.
@Suite struct HistorySizeBenchmark {
    static let directory = ProcessInfo.processInfo.environment["HEAPWATCH_HISTORY_BENCH_DIR"]

    @Test(.enabled(if: directory != nil))
    func oneDayOfOneHundredTargetsAtFiveSeconds() async throws {
        let directory = try #require(Self.directory)
        let store = try HistoryStore(directory: directory)
        let ticks = 86_400 / 5
        let targets = (0..<100).map { "service-\($0)" }
        var generator = SplitMix64(seed: 42)
        var slowest = 0.0, recording = 0.0
        var pruning = 0.0, slowestPrune = 0.0, prunes = 0
        let started = monotonicSeconds()
        for tick in 0..<ticks {
            let time = midnight + Double(tick) * 5
            let samples = targets.enumerated().map { index, name in
                let base = UInt64(200 + index * 10) << 20
                let anon = base + UInt64(tick) * 2048 + generator.next() % (64 << 20)
                return HistorySample(target: name, pid: Int32(10_000 + index), startTime: 123_456_789,
                                     rssBytes: anon + (120 << 20) + generator.next() % (8 << 20), anonBytes: anon,
                                     limitBytes: 2 << 30, state: "ok", slopeBytesPerHour: Double(generator.next() % 50_000_000))
            }
            let before = monotonicSeconds()
            try await store.record(tick: samples, at: time)
            let took = monotonicSeconds() - before
            recording += took
            slowest = max(slowest, took)
            // Once a minute, as heapwatchd does.
            if tick % 12 == 0 {
                let pruneStarted = monotonicSeconds()
                try await store.prune(now: time)
                let pruneTook = monotonicSeconds() - pruneStarted
                pruning += pruneTook
                slowestPrune = max(slowestPrune, pruneTook)
                prunes += 1
            }
        }
        let recordSeconds = monotonicSeconds() - started
        let pruneStart = monotonicSeconds()
        try await store.prune(now: midnight + Double(ticks) * 5)
        let pruneSeconds = monotonicSeconds() - pruneStart
        let queryStart = monotonicSeconds()
        let reply = try await store.query(target: "service-50", since: midnight, until: midnight + 86_400, maxPoints: 600)
        let querySeconds = monotonicSeconds() - queryStart
        store.close()
        let size = (try FileManager.default.attributesOfItem(atPath: store.path)[.size] as? Int) ?? 0
        let samples = ticks * targets.count
        print("""
            history size benchmark: \(samples) samples (\(targets.count) targets, \(ticks) ticks of 5 s)
              file \(size) bytes = \(size / samples) bytes per sample (raw + rollups + indexes)
              \(String(format: "%.1f", recordSeconds)) s in all; record \
            \(String(format: "%.2f", recording / Double(ticks) * 1000)) ms per tick mean, \
            \(String(format: "%.1f", slowest * 1000)) ms slowest; prune once a minute \
            \(String(format: "%.2f", pruning / Double(prunes) * 1000)) ms mean, \
            \(String(format: "%.1f", slowestPrune * 1000)) ms slowest
              last prune: \(String(format: "%.1f", pruneSeconds * 1000)) ms; 24 h query of one target to 600 points: \
            \(String(format: "%.1f", querySeconds * 1000)) ms, \(reply.samples.count) points
            """)
    }
}
