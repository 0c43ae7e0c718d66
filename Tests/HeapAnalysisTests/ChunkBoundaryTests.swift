import TestSupport
import Testing
@testable import HeapAnalysis

/// Real files are read 4 MiB at a time, so small test files never cut a value: tiny chunks send
/// the scanner through its slow paths (a number, a string, an escape or a surrogate pair split
/// between two chunks) and must read the same graph, plain or gzip.
@Suite struct ChunkBoundaryTests {
    static func builder() -> SnapshotBuilder {
        var b = DominatorTests.diamond()
        // The builder escapes only quotes: these backslashes reach the JSON as escapes.
        b.node("string", #"quote " newline \n tab \t \u00e9 \ud83d\ude00 é 😀"#, size: 3)
        b.edge(0, "property", "text", 8)
        return b
    }

    @Test(arguments: [1, 2, 3, 7, 50])
    func tinyChunksReadTheSameSnapshot(chunkSize: Int) throws {
        let directory = try TempDirectory()
        let path = try directory.write(Self.builder().json(), to: "s.heapsnapshot")
        try ProcessRunner.run("gzip", ["-k", path])
        let whole = try HeapSnapshot(contentsOf: path)
        #expect(whole.name(ofNode: 8) == "quote \" newline \n tab \t é 😀 é 😀")
        for file in [path, path + ".gz"] {
            let chunked = try HeapSnapshot(contentsOf: file, chunkSize: chunkSize)
            #expect(chunked.jsonSize == whole.jsonSize, "\(file)")
            #expect(chunked.nodeCount == whole.nodeCount && chunked.edgeCount == whole.edgeCount, "\(file)")
            for node in 0..<whole.nodeCount {
                #expect(chunked.name(ofNode: node) == whole.name(ofNode: node), "node \(node) of \(file)")
                #expect(chunked.selfSize(ofNode: node) == whole.selfSize(ofNode: node), "node \(node) of \(file)")
                #expect(chunked.edges(ofNode: node) == whole.edges(ofNode: node), "node \(node) of \(file)")
            }
            for edge in 0..<whole.edgeCount {
                #expect(chunked.target(ofEdge: edge) == whole.target(ofEdge: edge), "edge \(edge) of \(file)")
                #expect(chunked.name(ofEdge: edge) == whole.name(ofEdge: edge), "edge \(edge) of \(file)")
            }
        }
    }
}
