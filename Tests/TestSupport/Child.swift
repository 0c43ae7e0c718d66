import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Collects a pipe's output line by line and lets a test wait for a line, with a deadline.
public final class LineCollector: @unchecked Sendable {
    private let condition = NSCondition()
    private var lines: [String] = []
    private var partial = Data()
    private var closed = false

    public init(_ handle: FileHandle) {
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

    public var all: [String] {
        condition.lock()
        defer { condition.unlock() }
        return lines
    }

    /// Every line, once the output has ended (the writer closed it or exited), waiting up to
    /// `timeout` seconds for that.
    public func waitForEnd(timeout: Double) throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while !closed {
            if !condition.wait(until: deadline) { throw TestFailure("output did not end within \(timeout)s") }
        }
        return lines
    }

    /// The first line that satisfies `predicate`, waiting up to `timeout` seconds for it.
    @discardableResult
    public func waitForLine(timeout: Double, _ predicate: (String) -> Bool) throws -> String {
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
public final class Child {
    public let process = Process()
    public let stdout: LineCollector
    public let stderr: LineCollector
    private let exited = DispatchSemaphore(value: 0)

    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil) throws {
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

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    public func signal(_ signal: Int32) { if process.isRunning { kill(pid, signal) } }

    /// Waits for the process to exit (up to `timeout` seconds) and returns its status.
    public func waitForExit(timeout: Double) throws -> Int32 {
        guard exited.wait(timeout: .now() + timeout) == .success else {
            throw TestFailure("pid \(pid) did not exit within \(timeout)s")
        }
        exited.signal()
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        guard process.isRunning else { return }
        killTree(pid)
        // Bounded: a descendant that survives could keep Foundation from seeing the exit.
        if exited.wait(timeout: .now() + 10) == .timedOut {
            print("pid \(pid) was not reaped within 10 s of SIGKILL")
        }
    }
}

/// SIGKILL to `pid`, and to its process group when it leads one of its own (never the caller's).
func killTree(_ pid: Int32) {
    if getpgid(pid) == pid, pid != getpgrp() { kill(-pid, SIGKILL) }
    kill(pid, SIGKILL)
}
