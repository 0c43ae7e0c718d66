import Foundation
import Testing
import HeapwatchTrend

/// The traces recorded at 1 s from real Node programs (`scripts/record-trace.sh`), judged with a
/// 2-minute window as the harness does: the fixed app, a warm-up then plateau, a step, a big
/// sawtooth and bursts are never `leaking`; the leaky example app is.
@Suite("Recorded Node traces")
struct RecordedTraceTests {
    static func load(_ name: String) throws -> [TrendSample] {
        // Tests/HeapwatchTrendTests/<this file> → repository root.
        var root = #filePath
        for _ in 0..<3 { root = String(root[..<(root.lastIndex(of: "/") ?? root.startIndex)]) }
        let path = "\(root)/Benchmarks/traces/\(name).csv"
        return RecordedTrace.samples(csv: try String(contentsOfFile: path, encoding: .utf8))
    }

    static func states(_ name: String) throws -> [TrendState] {
        var tracker = TrendTracker(policy: RecordedTrace.policy)
        return try load(name).map { tracker.record($0, limits: .none).state }
    }

    @Test(arguments: ["node-fixed-app", "node-warmup-plateau", "node-step", "node-sawtooth", "node-bursty"])
    func nonLeakingAppIsNeverLeaking(trace: String) throws {
        let states = try Self.states(trace)
        #expect(states.count > 200)
        #expect(!states.contains(.leaking))
    }

    @Test func leakyAppIsLeakingOnceTheWindowIsFull() throws {
        let states = try Self.states("node-leaky-app")
        let first = try #require(states.firstIndex(of: .leaking))
        #expect(first <= 150) // 1 s ticks: within 30 s of the first full window
        #expect(states.last == .leaking)
    }
}
