import Foundation
import TestSupport

enum ProcessRunnerError: Error, CustomStringConvertible {
    case notFound(String)
    case failed(String, status: Int32, stderr: String)

    var description: String {
        switch self {
        case .notFound(let tool): "\(tool) not found on PATH"
        case .failed(let tool, let status, let stderr): "\(tool) exited with \(status): \(stderr)"
        }
    }
}

/// A tool on `$PATH` run to completion with a deadline (`Tool.run`); its output, or an error
/// when it is missing or fails.
enum ProcessRunner {
    @discardableResult
    static func run(_ tool: String, _ arguments: [String], timeout: Double = 60,
                    directory: String? = nil) throws -> String {
        guard let executable = Tool.find(tool) else { throw ProcessRunnerError.notFound(tool) }
        let result = try Tool.run(executable, arguments, timeout: timeout, directory: directory)
        guard result.status == 0 else { throw ProcessRunnerError.failed(tool, status: result.status, stderr: result.stderr) }
        return result.stdout
    }
}
