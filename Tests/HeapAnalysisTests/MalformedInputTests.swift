import Foundation
import TestSupport
import Testing
@testable import HeapAnalysis

/// Damaged files must give a `HeapSnapshotError` naming the file (and the offset for content
/// problems), never a crash or a hang.
@Suite struct MalformedInputTests {
    static let valid = DominatorTests.diamond().json()

    func expectError(_ contents: Data, _ check: (HeapSnapshotError) -> Bool = { _ in true },
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        let directory = try TempDirectory()
        let path = try directory.write(contents, to: "bad.heapsnapshot")
        do {
            _ = try HeapSnapshot(contentsOf: path)
            Issue.record("no error for \(contents.count) bytes: \(String(decoding: contents.prefix(80), as: UTF8.self))",
                         sourceLocation: sourceLocation)
        } catch let error as HeapSnapshotError {
            #expect(error.path == path, sourceLocation: sourceLocation)
            #expect(error.description.hasPrefix(path), sourceLocation: sourceLocation)
            #expect(check(error), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func truncatedAtEveryOffset() throws {
        let bytes = Data(Self.valid.utf8)
        let directory = try TempDirectory()
        let path = directory.path + "/cut.heapsnapshot"
        for length in 0..<bytes.count {
            try bytes.prefix(length).write(to: URL(fileURLWithPath: path))
            do {
                _ = try HeapSnapshot(contentsOf: path)
                Issue.record("no error when cut at \(length) of \(bytes.count) bytes")
            } catch let error as HeapSnapshotError {
                if length == 0 {
                    #expect(error.reason == .empty)
                } else if case .truncated = error.reason {
                    #expect(error.offset == length, "cut at \(length): \(error)")
                } else {
                    Issue.record("cut at \(length): expected truncated, got \(error)")
                }
            }
        }
    }

    @Test func theWholeFileStillParses() throws {
        let directory = try TempDirectory()
        let path = try directory.write(Self.valid, to: "good.heapsnapshot")
        #expect(try HeapSnapshot(contentsOf: path).nodeCount == 8)
    }

    /// Sections the reader does not use (the trace tree of allocation tracking, keys of later V8
    /// versions) are skipped whatever JSON they hold.
    @Test func skippedSectionsMayHoldAnyJSON() throws {
        let busy = #""trace_tree":[[1,2,[3,[]]],{"a":"b\"\n","c":[true,false,null,-1.5e3]}],"later":{"x":[]}"#
        let text = Self.valid.replacingOccurrences(of: "\"trace_tree\":[]", with: busy)
        #expect(text != Self.valid)
        let directory = try TempDirectory()
        #expect(try HeapSnapshot(contentsOf: directory.write(text, to: "busy.heapsnapshot")).nodeCount == 8)
    }

    @Test func emptyFile() throws {
        try expectError(Data()) { $0.reason == .empty && $0.description.contains("empty") }
    }

    @Test func missingFile() throws {
        #expect(throws: HeapSnapshotError.self) { try HeapSnapshot(contentsOf: "/nonexistent/x.heapsnapshot") }
    }

    @Test(arguments: [
        "garbage\n", "\u{0}\u{1}\u{2}\u{3}binary", "[1,2,3]", "{\"nodes\":[1,2,3]}", "{}", "{\"snapshot\":{}}",
        "<html>not found</html>", "{\"snapshot\":{\"meta\":{}},\"nodes\":[]}",
    ])
    func garbage(_ text: String) throws {
        try expectError(Data(text.utf8)) {
            if case .malformed = $0.reason { return true }
            return false
        }
    }

    @Test func wrongMetaColumns() throws {
        let noEdgeCount = Self.valid.replacingOccurrences(of: "\"edge_count\",", with: "")
        try expectError(Data(noEdgeCount.utf8)) { $0.description.contains("edge_count") }
        let noToNode = Self.valid.replacingOccurrences(of: "\"to_node\"", with: "\"target\"")
        try expectError(Data(noToNode.utf8)) { $0.description.contains("to_node") }
    }

    @Test func inconsistentCounts() throws {
        let wrongCount = Self.valid.replacingOccurrences(of: "\"node_count\":8", with: "\"node_count\":9")
        try expectError(Data(wrongCount.utf8)) { $0.description.contains("node_count") }
        let hugeCount = Self.valid.replacingOccurrences(of: "\"node_count\":8", with: "\"node_count\":900000000000")
        try expectError(Data(hugeCount.utf8)) { $0.description.contains("node_count") }
        // An edge pointing past the last node.
        var builder = DominatorTests.diamond()
        builder.edge(0, "element", "9", 7)
        let outOfRange = builder.json().replacingOccurrences(of: "1,9,49,", with: "1,9,490,")
        try expectError(Data(outOfRange.utf8)) { $0.description.contains("to_node") }
    }

    @Test func badGzip() throws {
        try expectError(Data([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])) {
            switch $0.reason {
            case .gzip, .truncated: return true
            default: return false
            }
        }
    }

    @Test func truncatedGzip() throws {
        let directory = try TempDirectory()
        let path = try directory.write(Self.valid, to: "s.heapsnapshot")
        try ProcessRunner.run("gzip", ["-k", path])
        let packed = try Data(contentsOf: URL(fileURLWithPath: path + ".gz"))
        #expect(try HeapSnapshot(contentsOf: path + ".gz").nodeCount == 8)
        for length in stride(from: 2, to: packed.count, by: max(1, packed.count / 40)) {
            try expectError(packed.prefix(length)) {
                switch $0.reason {
                case .gzip, .truncated: return true
                default: return false
                }
            }
        }
    }

    @Test func analyzerReportsTheFailingFile() throws {
        let directory = try TempDirectory()
        let good = try directory.write(Self.valid, to: "good.heapsnapshot")
        let bad = try directory.write(String(Self.valid.prefix(300)), to: "bad.heapsnapshot")
        #expect {
            try HeapAnalyzer.analyze(paths: [good, bad])
        } throws: { error in
            (error as? HeapSnapshotError)?.path == bad
        }
    }

    /// A kept summary that cannot be read is named, with what to give instead.
    @Test func unreadableSummaryNamesTheFile() throws {
        let directory = try TempDirectory()
        let path = try directory.write(#"{"version":1"#, to: "old.summary")
        #expect {
            try SnapshotSource(path: path)
        } throws: { error in
            guard let error = error as? HeapSnapshotError, case .unreadableSummary = error.reason else { return false }
            return error.path == path && error.description.contains("give the snapshot file instead")
        }
    }
}

@Suite struct MemoryEstimateTests {
    @Test func estimateUsesTheUncompressedSize() throws {
        let directory = try TempDirectory()
        let text = MalformedInputTests.valid
        let path = try directory.write(text, to: "s.heapsnapshot")
        try ProcessRunner.run("gzip", ["-k", path])
        #expect(try HeapAnalyzer.jsonSize(of: path) == text.utf8.count)
        #expect(try HeapAnalyzer.jsonSize(of: path + ".gz") == text.utf8.count)
        let estimate = try HeapAnalyzer.estimatedPeakBytes(paths: [path, path + ".gz"], maxParallelism: 1)
        #expect(estimate == Int(Double(2 * text.utf8.count) * HeapAnalyzer.peakBytesPerJSONByte))
        #expect(throws: HeapSnapshotError.self) { try HeapAnalyzer.estimatedPeakBytes(paths: ["/nonexistent"]) }
    }
}

@Suite struct DuplicateSectionTests {
    @Test func aSecondNodesArrayIsRejected() throws {
        let text = MalformedInputTests.valid.replacingOccurrences(
            of: "\n\"trace_function_infos\"", with: "\n\"nodes\":[9,1,1,0,0,0,0],\n\"trace_function_infos\"")
        let directory = try TempDirectory()
        let path = try directory.write(text, to: "twice.heapsnapshot")
        #expect {
            try HeapSnapshot(contentsOf: path)
        } throws: { error in
            (error as? HeapSnapshotError)?.description.contains("appears twice") == true
        }
    }
}
