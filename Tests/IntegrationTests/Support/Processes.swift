import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Where the built executables are: `$HEAPWATCH_BIN_DIR` (set by `make test`) or `.build/debug`.
enum Paths {
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var binDir: String {
        ProcessInfo.processInfo.environment["HEAPWATCH_BIN_DIR"] ?? packageRoot + "/.build/debug"
    }

    static var heapwatchd: String { binDir + "/heapwatchd" }
    static var heapwatchctl: String { binDir + "/heapwatchctl" }
    static var examples: String { packageRoot + "/examples" }
    static var testApps: String { packageRoot + "/scripts/test-apps" }
}

/// Collects a pipe's output line by line and lets a test wait for a line, with a deadline.
final class LineCollector: @unchecked Sendable {
    private let condition = NSCondition()
    private var lines: [String] = []
    private var partial = Data()
    private var closed = false

    init(_ handle: FileHandle) {
        handle.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.append(data)
            if data.isEmpty { handle.readabilityHandler = nil }
        }
    }

    private func append(_ data: Data) {
        condition.lock()
        defer { condition.broadcast(); condition.unlock() }
        if data.isEmpty {
            if !partial.isEmpty { lines.append(String(decoding: partial, as: UTF8.self)); partial.removeAll() }
            closed = true
            return
        }
        partial.append(data)
        while let newline = partial.firstIndex(of: 0x0a) {
            lines.append(String(decoding: partial[partial.startIndex..<newline], as: UTF8.self))
            partial.removeSubrange(partial.startIndex...newline)
        }
    }

    var all: [String] {
        condition.lock()
        defer { condition.unlock() }
        return lines
    }

    /// The first line that satisfies `predicate`, waiting up to `timeout` seconds for it.
    @discardableResult
    func waitForLine(timeout: Double, _ predicate: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let line = lines.first(where: predicate) { return line }
            if closed { throw TestFailure("output ended without the expected line; got:\n" + lines.suffix(30).joined(separator: "\n")) }
            if !condition.wait(until: deadline) {
                throw TestFailure("no expected line within \(timeout)s; got:\n" + lines.suffix(30).joined(separator: "\n"))
            }
        }
    }
}

/// A child process the test owns: killed and reaped when the test ends, whatever happens.
final class Child {
    let process = Process()
    let stdout: LineCollector
    let stderr: LineCollector
    private let exited = DispatchSemaphore(value: 0)

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for key in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM", "NODE_OPTIONS"] { env[key] = nil }
        env.merge(environment) { $1 }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        stdout = LineCollector(out.fileHandleForReading)
        stderr = LineCollector(err.fileHandleForReading)
        let exited = self.exited
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    func signal(_ signal: Int32) { if process.isRunning { kill(pid, signal) } }

    /// Waits for the process to exit (up to `timeout` seconds) and returns its status.
    func waitForExit(timeout: Double) throws -> Int32 {
        guard exited.wait(timeout: .now() + timeout) == .success else {
            throw TestFailure("pid \(pid) did not exit within \(timeout)s")
        }
        exited.signal()
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// The example Node app, started with a unique tag on its command line so a target matches it alone.
final class NodeApp {
    let child: Child
    let tag: String
    let port: Int

    /// - Parameter nodeFlags: e.g. `["--heapsnapshot-signal=SIGUSR2"]`.
    init(script: String = "leaky-app.js", nodeFlags: [String] = [], environment: [String: String] = [:], directory: String) throws {
        tag = "hwtest-" + UUID().uuidString.prefix(8).lowercased()
        var env = ["PORT": "0", "REQUESTS_PER_SEC": "300"]
        env.merge(environment) { $1 }
        let path = script.hasPrefix("/") ? script : Paths.examples + "/" + script
        child = try Child("/usr/bin/env", ["node"] + nodeFlags + [path, tag], environment: env, directory: directory)
        let line = try child.stdout.waitForLine(timeout: 20) { $0.hasPrefix("listening on ") }
        guard let port = Int(line.split(separator: " ")[2]) else { throw TestFailure("no port in '\(line)'") }
        self.port = port
    }

    /// The node process's pid (`env` execs node, so it is the child's pid).
    var pid: Int32 { child.pid }

    /// Alive and not a zombie.
    var isAlive: Bool {
        guard child.isRunning, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }
}

func heapwatchctl(_ arguments: [String], timeout: Double = 60) throws -> (status: Int32, stdout: String, stderr: String) {
    try Tool.run(Paths.heapwatchctl, arguments, timeout: timeout)
}

/// Waits for a condition of the outside world that announces itself by no event (a port opening),
/// checking every 50 ms up to `timeout` seconds.
func eventually(timeout: Double, _ condition: () -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        guard Date() < deadline else { throw TestFailure("condition not met within \(timeout)s") }
        usleep(50_000)
    }
}
