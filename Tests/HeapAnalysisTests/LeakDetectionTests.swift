import Foundation
import TestSupport
import Testing
@testable import HeapAnalysis

/// The three classic leaks of `examples/leaky-app.js` (a listener per request on 'tick', a
/// `setInterval` per request whose closure `refreshSession` holds the `Session`, an unbounded
/// `Map` cache of `CacheEntry`), driven synchronously so that three snapshots are taken after
/// exactly 1,000, 2,000 and 3,000 requests; and the fixed twin (cache bounded at 500).
@Suite(.enabled(if: Tool.find("node") != nil, "needs node on PATH"))
struct LeakDetectionTests {
    static let script = """
    'use strict';
    const v8 = require('node:v8');
    const { EventEmitter } = require('node:events');
    const leaky = process.argv[2] === 'leaky';
    const directory = process.argv[3];
    class Session {
      constructor(id) { this.id = id; this.user = `user-${id % 977}`; this.payload = 'x'.repeat(64) + id; }
    }
    class CacheEntry { constructor(session) { this.session = session; this.hits = 0; } }
    const bus = new EventEmitter();
    bus.setMaxListeners(0);
    const cache = new Map();
    const CACHE_LIMIT = 500;
    let nextId = 1;
    function handleRequest() {
      const session = new Session(nextId++);
      const onTick = () => { session.lastTick = Date.now(); };
      if (leaky) bus.on('tick', onTick); else bus.once('tick', onTick);
      const timer = setInterval(function refreshSession() { session.refreshedAt = Date.now(); }, 60_000);
      if (!leaky) clearInterval(timer);
      cache.set(session.id, new CacheEntry(session));
      if (!leaky && cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value);
    }
    for (let round = 1; round <= 3; round++) {
      for (let i = 0; i < 1000; i++) handleRequest();
      bus.emit('tick');
      v8.writeHeapSnapshot(`${directory}/round-${round}.heapsnapshot`);
    }
    process.exit(0);
    """

    static func capture(_ mode: String, in directory: TempDirectory) throws -> [String] {
        let script = try directory.write(Self.script, to: "app-\(mode).js")
        try ProcessRunner.run("node", [script, mode, directory.path], timeout: 120)
        return (1...3).map { "\(directory.path)/round-\($0).heapsnapshot" }
    }

    @Test func leakyAppTopFindingsNameEachLeak() throws {
        let directory = try TempDirectory()
        let paths = try Self.capture("leaky", in: directory)
        let report = try HeapAnalyzer.analyze(paths: paths)
        let top = Array(report.findings.prefix(3))
        let text = report.text(top: 10)

        let listeners = try #require(top.first { $0.kind == .listeners }, "\(text)")
        #expect(listeners.summary.contains("'tick'"))
        #expect(listeners.className == "EventEmitter")
        #expect(listeners.count == [1000, 2000, 3000])
        #expect(listeners.retainedBytes[2] > listeners.retainedBytes[0])
        #expect(listeners.location?.contains("app-leaky.js:") == true, "\(listeners)")
        #expect(listeners.path.contains { $0.hasSuffix("._events") }, "\(listeners.path)")

        let timers = try #require(top.first { $0.kind == .timers }, "\(text)")
        #expect(timers.summary.contains("refreshSession"))
        #expect(timers.summary.contains("Session"))
        #expect(timers.count == [1000, 2000, 3000])
        #expect(timers.location?.contains("app-leaky.js:") == true)

        let cache = try #require(top.first { $0.kind == .collection }, "\(text)")
        #expect(cache.summary.contains("Map 'cache'"), "\(cache.summary)")
        #expect(cache.summary.contains("CacheEntry"), "\(cache.summary)")
        #expect(cache.count == [1000, 2000, 3000])
        #expect(cache.retainedBytes[0] < cache.retainedBytes[1] && cache.retainedBytes[1] < cache.retainedBytes[2])

        let session = try #require(report.findings.first { $0.kind == .classGrowth && $0.className == "Session" })
        #expect(session.count == [1000, 2000, 3000])
        #expect(session.summary.contains("1,000 created after the first snapshot are still alive"), "\(session.summary)")

        // The report survives a JSON round trip (the daemon stores it, `report` prints it).
        let data = try JSONEncoder().encode(report)
        #expect(try JSONDecoder().decode(LeakReport.self, from: data) == report)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let first = try #require((json["findings"] as? [[String: Any]])?.first)
        #expect(Set(first.keys).isSuperset(of: ["kind", "summary", "class", "count", "retained_bytes", "path", "location"]))
        let snapshot = try #require((json["snapshots"] as? [[String: Any]])?.first)
        #expect(Set(snapshot.keys) == ["path", "nodes", "edges", "total_bytes"])
        let collection = try #require((json["findings"] as? [[String: Any]])?.first { $0["kind"] as? String == "collection" })
        #expect(collection["location"] is NSNull)
    }

    /// Variables of a block (here an `if` branch and a bare block at a module's top level, as in a
    /// cluster worker's `else` branch) are hidden slots in V8's snapshot, without names; the
    /// block's ScopeInfo gives them. A small integer before a variable has no slot, so the
    /// Array's name is one of two; the Map's block has none and its name is certain.
    @Test func blockScopedCollectionsAreNamedByTheirVariables() throws {
        let directory = try TempDirectory()
        let script = try directory.write("""
            'use strict';
            const v8 = require('node:v8');
            const directory = process.argv[2];
            if (process.argv.length > 2) {
              const rate = 3;
              const backlog = [];
              globalThis.pushBacklog = () => { for (let i = 0; i < 1000; i++) backlog.push({ at: i * rate }); };
            }
            {
              const owner = { name: 'sessions' };
              const sessions = new Map();
              globalThis.addSessions = (round) => {
                for (let i = 0; i < 500; i++) sessions.set(round * 1000 + i, { owner });
              };
            }
            for (let round = 1; round <= 3; round++) {
              pushBacklog();
              addSessions(round);
              v8.writeHeapSnapshot(`${directory}/block-${round}.heapsnapshot`);
            }
            """, to: "block.js")
        try ProcessRunner.run("node", [script, directory.path], timeout: 120)
        let report = try HeapAnalyzer.analyze(paths: (1...3).map { "\(directory.path)/block-\($0).heapsnapshot" })
        let text = report.text(top: 10)
        let collections = report.findings.filter { $0.kind == .collection }
        let backlog = try #require(collections.first { $0.count == [1000, 2000, 3000] }, "\(text)")
        #expect(backlog.summary.hasPrefix("Array 'rate' or 'backlog' of "), "\(backlog.summary)")
        let sessions = try #require(collections.first { $0.count == [500, 1000, 1500] }, "\(text)")
        #expect(sessions.summary.hasPrefix("Map 'sessions' of "), "\(sessions.summary)")
        #expect(sessions.path.contains { $0.hasSuffix("system / Context.sessions") }, "\(sessions.path)")
        #expect(!backlog.path.contains { $0.hasSuffix(".rate") || $0.hasSuffix(".backlog") }, "\(backlog.path)")
    }

    /// The daemon keeps each snapshot's summary and analyzes only the newest file: the report
    /// must be the one a full read of the three files gives.
    @Test func summariesKeptEarlierGiveTheSameReport() throws {
        let directory = try TempDirectory()
        let paths = try Self.capture("leaky", in: directory)
        let cold = try HeapAnalyzer.analyze(paths.map(SnapshotSource.file))
        #expect(cold.summaries.count == 3)
        let kept = try paths.prefix(2).map { path in
            let summary = try HeapAnalyzer.analyze([.file(path)]).summaries[0]
            return SnapshotSource.summary(try SnapshotSummary(data: summary.encoded()))
        }
        let incremental = try HeapAnalyzer.analyze(kept + [.file(paths[2])])
        #expect(incremental.report == cold.report)
        #expect(!incremental.report.findings.isEmpty)

        // A summary cannot stand for the newest snapshot (findings need its graph).
        #expect(throws: HeapSnapshotError.self) { try HeapAnalyzer.analyze(Array(kept)) }
        // Another format version is refused, not misread.
        var json = try #require(String(data: try cold.summaries[0].encoded(), encoding: .utf8))
        json = json.replacingOccurrences(of: "\"version\":\(SnapshotSummary.formatVersion)", with: "\"version\":999")
        #expect(throws: DecodingError.self) { try SnapshotSummary(data: Data(json.utf8)) }
    }

    /// With two threads allowed, the newest snapshot's dominator tree is built beside its
    /// distances and class names, and its class statistics beside its object scan: the report
    /// and the summary must be those of one thread.
    @Test func twoThreadsGiveTheReportOfOne() throws {
        let directory = try TempDirectory()
        let paths = try Self.capture("leaky", in: directory)
        let one = try HeapAnalyzer.analyze(paths.map(SnapshotSource.file), options: AnalysisOptions(maxParallelism: 1))
        let two = try HeapAnalyzer.analyze(paths.map(SnapshotSource.file), options: AnalysisOptions(maxParallelism: 2))
        #expect(!one.report.findings.isEmpty)
        #expect(two.report == one.report)
        // The kept summaries are the same bytes, whatever order their tables were filled in.
        #expect(try one.summaries.map { try $0.encoded() } == two.summaries.map { try $0.encoded() })
        func classes(_ summary: SnapshotSummary) -> [String: [Int]] {
            summary.classes.mapValues { [$0.count, $0.selfBytes, $0.retainedBytes] }
        }
        let newestOne = one.summaries[2], newestTwo = two.summaries[2]
        #expect(classes(newestTwo) == classes(newestOne))
        #expect(newestTwo.collections.map(\.retainedBytes) == newestOne.collections.map(\.retainedBytes))
        #expect(newestTwo.listeners.mapValues(\.retainedBytes) == newestOne.listeners.mapValues(\.retainedBytes))
        #expect(newestTwo.timers.mapValues(\.representative) == newestOne.timers.mapValues(\.representative))
        #expect(newestTwo.evenIds == newestOne.evenIds && newestTwo.maxOddId == newestOne.maxOddId)
    }

    /// The summary says which objects existed by the largest odd id (V8's id counter only grows)
    /// plus the list of even (embedder) ids: on real snapshots that must agree with the full set
    /// of ids of the older snapshot, for every node of the newer one.
    @Test func idRuleAgreesWithTheFullIdSet() throws {
        let directory = try TempDirectory()
        let paths = try Self.capture("leaky", in: directory)
        for (older, newer) in [(0, 1), (1, 2), (0, 2)] {
            let old = try HeapSnapshot(contentsOf: paths[older])
            let new = try HeapSnapshot(contentsOf: paths[newer])
            let summary = SnapshotSummary(analysis: SnapshotAnalysis(snapshot: old, paths: false))
            let ids = Set(old.nodeIds)
            var fresh = 0
            for id in new.nodeIds {
                #expect(summary.existed(id) == ids.contains(id), "id \(id), snapshot \(older + 1) → \(newer + 1)")
                if !ids.contains(id) { fresh += 1 }
            }
            #expect(fresh >= 1000, "the app created objects between the snapshots")
        }
    }

    @Test func fixedAppHasNoGrowthFindings() throws {
        let directory = try TempDirectory()
        let paths = try Self.capture("fixed", in: directory)
        let report = try HeapAnalyzer.analyze(paths: paths)
        #expect(!report.findings.contains { $0.kind == .collection }, "\(report.text())")
        #expect(!report.findings.contains { $0.kind == .listeners || $0.kind == .timers }, "\(report.text())")
        #expect(!report.findings.contains { $0.className == "Session" || $0.className == "CacheEntry" })
    }
}

/// The growth rule on its own: strict growth at every step with 3+ snapshots, an absolute
/// minimum, and for classes a minimum share of the first count.
@Suite struct GrowthRuleTests {
    @Test func growthNeedsEveryStepAndTheMinimum() {
        #expect(LeakDetector.isGrowing([100, 200, 300], minimum: 10))
        #expect(!LeakDetector.isGrowing([100, 300, 300], minimum: 10), "flat at the last step: a full bounded cache")
        #expect(!LeakDetector.isGrowing([100, 105], minimum: 10))
        #expect(!LeakDetector.isGrowing([100], minimum: 10))
    }

    @Test func classGrowthNeedsAShareOfTheFirstCount() {
        // 15,377 → 15,433 compiled functions: +56, over the count minimum, 0.4 % of the count.
        let jit = [15_377, 15_433]
        #expect(LeakDetector.isGrowing(jit, minimum: LeakDetector.minimumClassGrowth))
        #expect(!LeakDetector.isGrowing(jit, minimum: LeakDetector.minimumClassGrowth,
                                        minimumShare: LeakDetector.minimumClassGrowthShare))
        // A slow leak in a big heap: +5 % per snapshot is still found.
        #expect(LeakDetector.isGrowing([1_000_000, 1_050_000, 1_100_000], minimum: LeakDetector.minimumClassGrowth,
                                       minimumShare: LeakDetector.minimumClassGrowthShare))
    }
}
