import Foundation
import TestSupport
import Testing
@testable import HeapAnalysis

/// Snapshots written by a real Node process (`v8.writeHeapSnapshot`) from scripts with a known heap.
@Suite(.enabled(if: Tool.find("node") != nil, "needs node on PATH"))
struct NodeSnapshotTests {
    private static let fooScript = """
    const v8 = require('node:v8');
    class Foo { constructor(i) { this.i = i; this.tag = 'foo'; } }
    const foos = new Map();
    for (let i = 0; i < 1000; i++) foos.set(i, new Foo(i));
    globalThis.keepFoos = foos;
    v8.writeHeapSnapshot(process.argv[1]);
    """

    /// Runs `fooScript` and returns the path of the snapshot it writes in `directory`.
    static func writeFooSnapshot(in directory: TempDirectory) throws -> String {
        let path = directory.path + "/foo.heapsnapshot"
        try ProcessRunner.run("node", ["-e", fooScript, path])
        return path
    }

    @Test func thousandFoosInAMap() throws {
        let directory = try TempDirectory()
        let path = try Self.writeFooSnapshot(in: directory)
        let analysis = try SnapshotAnalysis(contentsOf: path)
        let summary = SnapshotSummary(analysis: analysis)

        let foo = try #require(summary.classes["Foo"])
        #expect(foo.count == 1000)
        let fooSizes = (0..<analysis.snapshot.nodeCount)
            .filter { analysis.classes.className(ofNode: $0) == "Foo" }
            .map { analysis.snapshot.selfSize(ofNode: $0) }
        #expect(fooSizes.count == 1000)
        #expect(Set(fooSizes).count == 1, "all Foo instances have one layout: \(Set(fooSizes))")
        // Each Foo holds only a small integer and a shared internalized string: it retains itself.
        #expect(foo.retainedBytes == foo.selfBytes)

        let maps = summary.collections.filter { $0.kind == .map && $0.size == 1000 }
        let map = try #require(maps.first, "a Map with 1,000 entries")
        #expect(maps.count == 1)
        // The Map retains its table and every Foo, nothing more than the heap holds.
        #expect(map.retainedBytes > foo.selfBytes)
        #expect(map.retainedBytes < foo.selfBytes + 64 * 1024)
        let path2 = analysis.retainerPath(to: map.node)
        #expect(path2.last == "Map")
        #expect(path2.contains { $0.hasSuffix(".keepFoos") }, "path \(path2)")

        let report = try HeapAnalyzer.analyze(paths: [path])
        #expect(report.findings.isEmpty)
        #expect(report.snapshots.first?.nodes == analysis.snapshot.nodeCount)
        #expect(report.topClasses.contains { $0.className == "Map" && $0.retainedBytes >= map.retainedBytes })
    }

    @Test func gzipSnapshotReadsLikeThePlainOne() throws {
        let directory = try TempDirectory()
        let path = try Self.writeFooSnapshot(in: directory)
        try ProcessRunner.run("gzip", ["-k", path])
        let plain = try HeapSnapshot(contentsOf: path)
        let packed = try HeapSnapshot(contentsOf: path + ".gz")
        #expect(packed.nodeCount == plain.nodeCount)
        #expect(packed.edgeCount == plain.edgeCount)
        #expect(packed.totalSize == plain.totalSize)
        #expect(packed.strings.count == plain.strings.count)
        #expect(packed.jsonSize == plain.fileSize)
    }

    /// A real snapshot cut short anywhere (header, nodes, edges, strings) reads as truncated at
    /// exactly the cut, whatever node_count promised.
    @Test func realSnapshotCutShort() throws {
        let directory = try TempDirectory()
        let path = try Self.writeFooSnapshot(in: directory)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let cutPath = directory.path + "/cut.heapsnapshot"
        for fraction in [0.0001, 0.001, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.9999] {
            let length = Int(Double(bytes.count) * fraction)
            try bytes.prefix(length).write(to: URL(fileURLWithPath: cutPath))
            #expect {
                try HeapSnapshot(contentsOf: cutPath)
            } throws: { error in
                guard let error = error as? HeapSnapshotError, case .truncated = error.reason else { return false }
                return error.offset == length && error.path == cutPath
            }
        }
    }
}
