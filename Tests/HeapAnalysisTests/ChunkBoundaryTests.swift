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

/// The multiply that replaces a division per edge (`to_node` → node ordinal) must give the
/// quotient `/` gives, for every field count a snapshot may have, at the ends of the 32-bit range
/// where the reciprocal is exact and beyond it, where it divides.
@Suite struct ExactDivisorTests {
    @Test func givesTheQuotientOfDivision() {
        var generator = SystemRandomNumberGenerator()
        let edges = [0, 1, 2, 6, 7, 8, 13, 1 << 31, Int(UInt32.max) - 7, Int(UInt32.max) - 1, Int(UInt32.max),
                     Int(UInt32.max) + 1, 1 << 40, Int.max]
        for divisor in 1...16 {
            let exact = ExactDivisor(divisor)
            var values = edges
            for _ in 0..<10_000 { values.append(Int.random(in: 0...Int(UInt32.max), using: &generator)) }
            for value in values where exact.quotient(value) != value / divisor {
                Issue.record("\(value) / \(divisor): \(exact.quotient(value)), not \(value / divisor)")
            }
        }
    }
}
