import Foundation
import TestSupport
import Testing
@testable import HeapAnalysis

/// The repository's own example service (`examples/leaky-app.js` and its fixed twin), run as a
/// real HTTP server with its simulated traffic; snapshots taken through its `/heap-snapshot` route.
@Suite(.enabled(if: Tool.find("node") != nil && Tool.find("curl") != nil, "needs node and curl"))
struct ExampleAppTests {
    static let examples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples").path

    /// Starts the app without timed traffic, waits for its "listening on PORT" line, and takes
    /// three snapshots, each after `/simulate` has handled 2,000 more requests (the leak grows by a
    /// known amount, whatever the machine's speed); the app is killed when `Child` goes away.
    static func captureThree(_ script: String, in directory: TempDirectory) throws -> [String] {
        let app = try Child(Tool.find("node")!, [Self.examples + "/" + script],
                            environment: ["PORT": "0", "REQUESTS_PER_SEC": "0", "PAYLOAD_BYTES": "256"], directory: directory.path)
        // Swift may end a local's life at its last use: the app must run until the last snapshot.
        defer { withExtendedLifetime(app) {} }
        let listening = try app.stdout.waitForLine(timeout: 20) { $0.hasPrefix("listening on ") }
        let port = try #require(Int(listening.split(separator: " ")[2]), "\(listening)")
        var paths: [String] = []
        for round in 1...3 {
            let served = try ProcessRunner.run(
                "curl", ["-sf", "--max-time", "60", "http://127.0.0.1:\(port)/simulate?requests=2000"], timeout: 90)
            #expect(served.contains("\"requests\":\(round * 2000)"), "\(served)")
            let answer = try ProcessRunner.run(
                "curl", ["-sf", "--max-time", "60", "http://127.0.0.1:\(port)/heap-snapshot"], timeout: 90)
            let json = try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any]
            let name = try #require(json?["snapshot"] as? String)
            paths.append(name.hasPrefix("/") ? name : directory.path + "/" + name)
        }
        return paths
    }

    @Test func leakyAppFindings() throws {
        let directory = try TempDirectory()
        let paths = try Self.captureThree("leaky-app.js", in: directory)
        let report = try HeapAnalyzer.analyze(paths: paths)
        let top = Array(report.findings.prefix(3))
        let text = report.text()
        #expect(top.contains { $0.kind == .listeners && $0.summary.contains("'tick'") }, "\(text)")
        #expect(top.contains { $0.kind == .timers && $0.summary.contains("refreshSession")
            && $0.location?.contains("leaky-app.js:") == true }, "\(text)")
        #expect(top.contains { $0.kind == .collection && $0.summary.contains("Map 'cache'") }, "\(text)")
    }

    @Test func fixedAppHasNoCollectionGrowth() throws {
        let directory = try TempDirectory()
        let paths = try Self.captureThree("fixed-app.js", in: directory)
        let report = try HeapAnalyzer.analyze(paths: paths)
        #expect(!report.findings.contains { $0.kind == .collection }, "\(report.text())")
        #expect(!report.findings.contains { $0.kind == .timers || $0.kind == .listeners }, "\(report.text())")
    }
}
