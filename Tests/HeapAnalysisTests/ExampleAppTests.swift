import Foundation
import TestSupport
import Testing
@testable import HeapAnalysis

/// The repository's own example service (`examples/leaky-app.js` and its fixed twin), run as a
/// real HTTP server with its simulated traffic; snapshots taken through its `/heap-snapshot` route.
@Suite(.enabled(if: ProcessRunner.find("node") != nil && ProcessRunner.find("curl") != nil, "needs node and curl"))
struct ExampleAppTests {
    static let examples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples").path

    /// Starts the app without timed traffic, waits for its "listening on PORT" line, and takes
    /// three snapshots, each after `/simulate` has handled 2,000 more requests (the leak grows by a
    /// known amount, whatever the machine's speed); stops the app whatever happens.
    static func captureThree(_ script: String, in directory: TempDirectory) throws -> [String] {
        let app = Process()
        app.executableURL = URL(fileURLWithPath: ProcessRunner.find("node")!)
        app.arguments = [Self.examples + "/" + script]
        app.currentDirectoryURL = URL(fileURLWithPath: directory.path)
        var environment = ProcessInfo.processInfo.environment
        environment["PORT"] = "0"
        environment["REQUESTS_PER_SEC"] = "0"
        environment["PAYLOAD_BYTES"] = "256"
        app.environment = environment
        let output = Pipe()
        app.standardOutput = output
        app.standardError = FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        app.terminationHandler = { _ in exited.signal() }
        try app.run()
        defer {
            if app.isRunning { app.terminate() }
            if exited.wait(timeout: .now() + 10) == .timedOut {
                kill(app.processIdentifier, SIGKILL)
                exited.wait()
            }
        }
        let port = try Self.waitForPort(output.fileHandleForReading, timeout: 20)
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

    /// Reads the app's stdout on a background thread until "listening on PORT".
    static func waitForPort(_ handle: FileHandle, timeout: Double) throws -> Int {
        let found = PortBox()
        let ready = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            var text = ""
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
                if let range = text.range(of: #"listening on (\d+)"#, options: .regularExpression) {
                    found.port = Int(text[range].split(separator: " ").last!) ?? 0
                    break
                }
            }
            ready.signal()
        }
        guard ready.wait(timeout: .now() + timeout) == .success, found.port > 0 else {
            throw ProcessRunnerError.timedOut("leaky-app.js start", seconds: timeout)
        }
        return found.port
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

private final class PortBox: @unchecked Sendable {
    var port = 0
}
