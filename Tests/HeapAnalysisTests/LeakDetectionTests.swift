import Foundation
import Testing
@testable import HeapAnalysis

/// The three classic leaks of `examples/leaky-app.js` (a listener per request on 'tick', a
/// `setInterval` per request whose closure `refreshSession` holds the `Session`, an unbounded
/// `Map` cache of `CacheEntry`), driven synchronously so that three snapshots are taken after
/// exactly 1,000, 2,000 and 3,000 requests; and the fixed twin (cache bounded at 500).
@Suite(.enabled(if: ProcessRunner.find("node") != nil, "needs node on PATH"))
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

    static func capture(_ mode: String, in directory: TemporaryDirectory) throws -> [String] {
        let script = try directory.write(Self.script, to: "app-\(mode).js")
        try ProcessRunner.run("node", [script, mode, directory.path], timeout: 120)
        return (1...3).map { "\(directory.path)/round-\($0).heapsnapshot" }
    }

    @Test func leakyAppTopFindingsNameEachLeak() throws {
        let directory = try TemporaryDirectory()
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

    @Test func fixedAppHasNoGrowthFindings() throws {
        let directory = try TemporaryDirectory()
        let paths = try Self.capture("fixed", in: directory)
        let report = try HeapAnalyzer.analyze(paths: paths)
        #expect(!report.findings.contains { $0.kind == .collection }, "\(report.text())")
        #expect(!report.findings.contains { $0.kind == .listeners || $0.kind == .timers }, "\(report.text())")
        #expect(!report.findings.contains { $0.className == "Session" || $0.className == "CacheEntry" })
    }
}
