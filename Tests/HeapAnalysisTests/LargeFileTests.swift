import Foundation
import TestSupport
import Testing
@testable import HeapAnalysis

/// Past 4 GiB of JSON: stream offsets, the byte count and error offsets must not wrap at 32 bits.
/// The file is gzip made of concatenated members — one 64 MiB member of spaces (JSON whitespace)
/// written 69 times between the opening `{` and the rest of a small snapshot — so the test needs
/// about 5 MB of disk, not 4.4 GB.
@Suite(.enabled(if: Tool.find("gzip") != nil, "needs gzip on PATH"))
struct LargeFileTests {
    static let paddingMembers = 69
    static let paddingBytes = 64 << 20

    @Test func aSnapshotPast4GiBReadsAndErrorsCarryTheFullOffset() throws {
        let directory = try TempDirectory()
        let valid = MalformedInputTests.valid
        #expect(valid.hasPrefix("{"))
        func gzipped(_ data: Data, _ name: String) throws -> Data {
            let path = try directory.write(data, to: name)
            try ProcessRunner.run("gzip", ["-1", "-k", path], timeout: 60)
            return try Data(contentsOf: URL(fileURLWithPath: path + ".gz"))
        }
        let head = try gzipped(Data("{".utf8), "head")
        let padding = try gzipped(Data(repeating: UInt8(ascii: " "), count: Self.paddingBytes), "padding")
        let tail = try gzipped(Data(valid.utf8.dropFirst()), "tail")
        var file = head
        for _ in 0..<Self.paddingMembers { file.append(padding) }
        let whole = file + tail
        let path = try directory.write(whole, to: "big.heapsnapshot.gz")

        let snapshot = try HeapSnapshot(contentsOf: path)
        let expectedSize = valid.utf8.count + Self.paddingMembers * Self.paddingBytes
        #expect(snapshot.jsonSize == expectedSize)
        #expect(snapshot.jsonSize > 1 << 32)
        let small = try HeapSnapshot(contentsOf: try directory.write(valid, to: "small.heapsnapshot"))
        #expect(snapshot.nodeCount == small.nodeCount && snapshot.edgeCount == small.edgeCount)
        let big = DominatorTree(snapshot: snapshot), reference = DominatorTree(snapshot: small)
        #expect((0..<small.nodeCount).map(big.retainedSize) == (0..<small.nodeCount).map(reference.retainedSize))

        // Cut inside the last member: the error says where, past 4 GiB.
        let cut = try directory.write(whole.prefix(file.count + tail.count / 2), to: "cut.heapsnapshot.gz")
        #expect {
            try HeapSnapshot(contentsOf: cut)
        } throws: { error in
            guard let error = error as? HeapSnapshotError, let offset = error.offset else { return false }
            return offset > 1 << 32 && offset <= expectedSize && error.path == cut
        }
    }
}
