import Foundation

enum ProcessRunnerError: Error, CustomStringConvertible {
    case notFound(String)
    case timedOut(String, seconds: Double)
    case failed(String, status: Int32, stderr: String)

    var description: String {
        switch self {
        case .notFound(let tool): "\(tool) not found on PATH"
        case .timedOut(let tool, let seconds): "\(tool) did not finish within \(seconds) s (killed)"
        case .failed(let tool, let status, let stderr): "\(tool) exited with \(status): \(stderr)"
        }
    }
}

/// Runs a tool to completion with a deadline. The child is killed if the deadline passes or the
/// caller throws, so no process outlives the test. Waits on the exit event, never by sleeping.
enum ProcessRunner {
    static func find(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String], timeout: Double = 60,
                    directory: String? = nil) throws -> String {
        guard let executable = find(tool) else { throw ProcessRunnerError.notFound(tool) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        defer {
            if process.isRunning {
                process.terminate()
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        // Drain the pipes while waiting so a chatty child cannot block on a full pipe.
        let outData = DataBox(), errData = DataBox()
        let readers = DispatchGroup()
        for (pipe, box) in [(output, outData), (errors, errData)] {
            DispatchQueue.global().async(group: readers) { box.data = pipe.fileHandleForReading.readDataToEndOfFile() }
        }
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            throw ProcessRunnerError.timedOut(tool, seconds: timeout)
        }
        readers.wait()
        let stdout = String(decoding: outData.data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw ProcessRunnerError.failed(tool, status: process.terminationStatus,
                                            stderr: String(decoding: errData.data, as: UTF8.self))
        }
        return stdout
    }
}

private final class DataBox: @unchecked Sendable {
    var data = Data()
}
