import Foundation
import HeapwatchCore
import Logging
import ServiceLifecycle

/// Delivers events to one `[[sink]]`, in its own loop: a slow webhook or hook never delays
/// sampling, and an event it cannot deliver is logged as dropped, never silently lost.
public struct SinkService: Service {
    let sink: SinkConfig
    let events: AsyncStream<DaemonEvent>
    let logger: Logger

    public func run() async throws {
        let delivery = makeDelivery()
        await cancelWhenGracefulShutdown {
            for await event in events {
                guard sink.events?.contains(event.kind.rawValue) ?? true else { continue }
                do {
                    try await delivery.deliver(event)
                } catch {
                    logger.error("sink '\(sink.name)' dropped a \(event.kind.rawValue) event: \(error)",
                                 metadata: event.target.map { [LogField.target: "\($0)"] } ?? [:])
                }
            }
        }
    }

    private func makeDelivery() -> any SinkDelivery {
        switch sink.kind {
        case .webhook(let url, let retries): WebhookDelivery(url: url, retries: retries, timeout: sink.timeout, logger: logger, name: sink.name)
        case .exec(let command): ExecDelivery(command: command, timeout: sink.timeout)
        case .jsonl(let path, let maxBytes, let keep): JSONLinesDelivery(path: path, maxBytes: maxBytes, keep: keep)
        }
    }
}

protocol SinkDelivery: Sendable {
    func deliver(_ event: DaemonEvent) async throws
}

struct SinkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// POSTs the event as JSON, with a Slack-compatible `text`. Retries with exponential backoff
/// (1 s, 2 s, 4 s, …) on connection errors and 5xx; a 4xx is not retried.
struct WebhookDelivery: SinkDelivery {
    let url: String
    let retries: Int
    let timeout: Double
    let logger: Logger
    let name: String

    func deliver(_ event: DaemonEvent) async throws {
        let body = Array(event.json(adding: ["text": "heapwatch: " + event.message]))
        var attempt = 0
        while true {
            do {
                let response = try await HTTPClient.fetch(url, method: .POST, body: body, timeout: .seconds(timeout))
                if (200..<300).contains(response.status) { return }
                if (400..<500).contains(response.status) { throw SinkError("\(url) answered HTTP \(response.status); not retried") }
                throw SinkError("\(url) answered HTTP \(response.status)")
            } catch let error as SinkError where error.description.hasSuffix("not retried") {
                throw error
            } catch {
                guard attempt < retries else { throw SinkError("\(error) (after \(attempt + 1) attempts)") }
                let delay = Double(1 << min(attempt, 6))
                logger.info("sink '\(name)': \(error); retrying in \(Int(delay))s")
                try await Task.sleep(for: .seconds(delay))
                attempt += 1
            }
        }
    }
}

/// Appends one JSON object per line, rotating to `.1`…`.keep` past `maxBytes`. Files are 0600.
struct JSONLinesDelivery: SinkDelivery {
    let path: String
    let maxBytes: UInt64
    let keep: Int

    func deliver(_ event: DaemonEvent) async throws {
        let line = event.json() + Data("\n".utf8)
        if let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64, size + UInt64(line.count) > maxBytes {
            rotate()
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError("open", path: path, errno: errno) }
        defer { close(fd) }
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count else { throw SystemError("write", path: path, errno: written < 0 ? errno : EIO) }
    }

    private func rotate() {
        guard keep > 0 else { unlink(path); return }
        unlink("\(path).\(keep)")
        for index in stride(from: keep - 1, through: 1, by: -1) { rename("\(path).\(index)", "\(path).\(index + 1)") }
        rename(path, "\(path).1")
    }
}
