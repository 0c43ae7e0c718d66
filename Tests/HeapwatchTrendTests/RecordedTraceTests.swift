#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import HeapwatchTrend

/// The traces recorded at 1 s from real Node programs (`scripts/record-trace.sh`), judged with a
/// 2-minute window as the harness does: the fixed app, a warm-up then plateau, a step, a big
/// sawtooth and bursts are never `leaking`; the leaky example app is.
@Suite("Recorded Node traces")
struct RecordedTraceTests {
    static let policy = TrendPolicy(window: 120, growthMax: 60 * SyntheticTrace.mib)

    static func load(_ name: String) throws -> [TrendSample] {
        // Tests/HeapwatchTrendTests/<this file> → repository root.
        var root = #filePath
        for _ in 0..<3 { root = String(root[..<(root.lastIndex(of: "/") ?? root.startIndex)]) }
        let path = "\(root)/Benchmarks/traces/\(name).csv"
        let file = try #require(fopen(path, "r"), "cannot open \(path)")
        defer { fclose(file) }
        var samples: [TrendSample] = []
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let fields = text.split(separator: ",").compactMap { Double($0.filter { !$0.isWhitespace }) }
            guard fields.count == 3 else { continue } // the header
            samples.append(TrendSample(time: fields[0], anonBytes: fields[2], rssBytes: fields[1]))
        }
        return samples
    }

    static func states(_ name: String) throws -> [TrendState] {
        var tracker = TrendTracker(policy: policy)
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
