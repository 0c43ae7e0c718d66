import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs programs for tests: to completion, with a deadline, killed and reaped if it passes, so
/// no process outlives the test. Waits on the exit event, never by sleeping.
public enum Tool {
    /// The repository's root directory.
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Tests/TestSupport/Tool.swift
        return url.path
    }()

    /// Where this package's executables were built: `$HEAPWATCH_BIN_DIR` (set by `make test`),
    /// else `.build/debug`.
    public static var buildDirectory: String {
        ProcessInfo.processInfo.environment["HEAPWATCH_BIN_DIR"] ?? packageRoot + "/.build/debug"
    }

    /// The executable `name` on `$PATH`, nil when there is none.
    public static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `executable` and returns its exit status and output. The output goes through files,
    /// not pipes: a pipe's write end can leak into a child another thread spawns at the same
    /// moment and keep the reader waiting for its end. heapwatchd's own environment variables
    /// (`NOTIFY_SOCKET`, the watchdog's, `HEAPWATCH_SOCKET`) are not passed on.
    public static func run(_ executable: String, _ arguments: [String], timeout: Double = 60,
                           directory: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let scratch = try TempDirectory()
        for name in ["out", "err"] { _ = FileManager.default.createFile(atPath: scratch.file(name), contents: nil) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var environment = ProcessInfo.processInfo.environment
        for key in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM", "HEAPWATCH_SOCKET"] { environment[key] = nil }
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch.file("out")))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch.file("err")))
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        guard exited.wait(timeout: .now() + timeout) == .success else {
            killTree(process.processIdentifier)
            let reaped = exited.wait(timeout: .now() + 10) == .success
            throw TestFailure("\(executable) \(arguments) did not finish within \(timeout) s (killed\(reaped ? "" : ", not reaped within 10 s"))")
        }
        process.waitUntilExit()
        let out = try String(contentsOfFile: scratch.file("out"), encoding: .utf8)
        let err = try String(contentsOfFile: scratch.file("err"), encoding: .utf8)
        return (process.terminationStatus, out, err)
    }
}
