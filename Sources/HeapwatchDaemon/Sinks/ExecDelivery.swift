import Foundation
import HeapwatchCore

/// Runs a command for each event — no shell, arguments as configured — with the event in its
/// environment (`HEAPWATCH_EVENT`, `HEAPWATCH_TARGET`, `HEAPWATCH_PID`, `HEAPWATCH_SNAPSHOT`,
/// `HEAPWATCH_MESSAGE`, `HEAPWATCH_STATE`, and `HEAPWATCH_FINDING` for `leak_report`, `HEAPWATCH_CAUSE` for `out_of_memory`). Killed after `timeout`; a non-zero exit is an error.
struct ExecDelivery: SinkDelivery {
    let command: [String]
    let timeout: Double

    static func environment(for event: DaemonEvent) -> [String: String] {
        var environment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        environment["HEAPWATCH_EVENT"] = event.kind.rawValue
        environment["HEAPWATCH_MESSAGE"] = event.message
        environment["HEAPWATCH_TARGET"] = event.target ?? ""
        environment["HEAPWATCH_PID"] = event.pid.map(String.init) ?? ""
        environment["HEAPWATCH_SNAPSHOT"] = event.snapshotPath ?? ""
        environment["HEAPWATCH_STATE"] = event.state ?? ""
        if let finding = event.finding { environment["HEAPWATCH_FINDING"] = finding }
        if let cause = event.cause { environment["HEAPWATCH_CAUSE"] = cause }
        if let rss = event.rssBytes { environment["HEAPWATCH_RSS_BYTES"] = String(rss) }
        return environment
    }

    func deliver(_ event: DaemonEvent) async throws {
        guard let executable = command.first else { throw SinkError("empty command") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(command.dropFirst())
        process.environment = Self.environment(for: event)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let finished = ProcessExit(observing: process)
        do {
            try process.run()
        } catch {
            throw SinkError("cannot run \(executable): \(error)")
        }
        guard let ending = await finished.wait(timeout: .seconds(timeout)) else {
            finished.kill(SIGKILL)
            _ = await finished.wait(timeout: .seconds(5))
            throw SinkError("\(executable) did not finish within \(Int(timeout))s; killed")
        }
        switch ending {
        case .exited(0): return
        case .exited(let status): throw SinkError("\(executable) exited with status \(status)")
        case .signalled(let signal): throw SinkError("\(executable) was killed by signal \(signal)")
        }
    }
}
