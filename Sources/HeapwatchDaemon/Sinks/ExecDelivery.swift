import Foundation
import HeapwatchCore

/// Runs a command for each event — no shell, arguments as configured — with the event in its
/// environment (`HEAPWATCH_EVENT`, `HEAPWATCH_TARGET`, `HEAPWATCH_PID`, `HEAPWATCH_SNAPSHOT`,
/// `HEAPWATCH_MESSAGE`, `HEAPWATCH_STATE`, and `HEAPWATCH_FINDING` for `leak_report`). Killed after `timeout`; a non-zero exit is an error.
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
        let finished = ProcessExit()
        process.terminationHandler = { finished.signal($0.terminationStatus) }
        do {
            try process.run()
        } catch {
            throw SinkError("cannot run \(executable): \(error)")
        }
        let status = await finished.wait(timeout: timeout)
        guard let status else {
            kill(process.processIdentifier, SIGKILL)
            _ = await finished.wait(timeout: 5)
            throw SinkError("\(executable) did not finish within \(Int(timeout))s; killed")
        }
        guard status == 0 else { throw SinkError("\(executable) exited with status \(status)") }
    }
}

/// The exit status of a process, awaited with a timeout.
final class ProcessExit: @unchecked Sendable {
    private let lock = NSLock()
    private var status: Int32?
    private var waiter: CheckedContinuation<Int32?, Never>?

    func signal(_ status: Int32) {
        let waiter = lock.withLock { () -> CheckedContinuation<Int32?, Never>? in
            self.status = status
            defer { self.waiter = nil }
            return self.waiter
        }
        waiter?.resume(returning: status)
    }

    /// The status, or nil after `timeout` seconds.
    func wait(timeout: Double) async -> Int32? {
        await withTaskGroup(of: Int32?.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let done = self.lock.withLock { () -> Int32? in
                        if let status = self.status { return status }
                        self.waiter = continuation
                        return nil
                    }
                    if let done { continuation.resume(returning: done) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(timeout))
                return nil
            }
            let first = await group.next() ?? nil
            if first == nil { self.abandon() }
            group.cancelAll()
            return first
        }
    }

    /// Releases a waiter left behind by a timed-out wait.
    private func abandon() {
        let waiter = lock.withLock { () -> CheckedContinuation<Int32?, Never>? in
            defer { self.waiter = nil }
            return self.waiter
        }
        waiter?.resume(returning: nil)
    }
}
