import Foundation
import HeapwatchCore

/// Something that happened that sinks (history, webhooks, hooks, files) want to hear about.
public struct DaemonEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case leakDetected = "leak_detected"
        case overLimit = "over_limit"
        case stateChange = "state_change"
        case snapshotCaptured = "snapshot_captured"
        case captureRefused = "capture_refused"
        case captureFailed = "capture_failed"
        case configRejected = "config_rejected"
        /// The analysis of a process's snapshots found what grows (`finding`).
        case leakReport = "leak_report"
        /// A watched process died of memory: killed by the OOM killer, or of its V8 heap limit (`cause`).
        case outOfMemory = "out_of_memory"
    }

    public var kind: Kind
    /// Unix seconds.
    public var time: Double
    public var target: String?
    public var pid: Int32?
    public var message: String
    public var state: String?
    public var rssBytes: UInt64?
    public var slopeBytesPerHour: Double?
    public var etaSeconds: Double?
    public var snapshotPath: String?
    /// `leak_report`: the top finding, e.g. "Map 'cache' of CacheEntry: 1,000 → 3,000 entries".
    public var finding: String?
    /// `out_of_memory`: `oom_kill` or `heap_limit`.
    public var cause: String?

    public init(kind: Kind, time: Double = Date().timeIntervalSince1970, target: String? = nil, pid: Int32? = nil, message: String,
                state: String? = nil, rssBytes: UInt64? = nil, slopeBytesPerHour: Double? = nil, etaSeconds: Double? = nil,
                snapshotPath: String? = nil, finding: String? = nil, cause: String? = nil) {
        self.kind = kind
        self.time = time
        self.target = target
        self.pid = pid
        self.message = message
        self.state = state
        self.rssBytes = rssBytes
        self.slopeBytesPerHour = slopeBytesPerHour
        self.etaSeconds = etaSeconds
        self.snapshotPath = snapshotPath
        self.finding = finding
        self.cause = cause
    }

    /// The event as JSON (sorted keys, `/` not escaped) with `extra` keys added: a webhook's body,
    /// a line of a JSON-lines file.
    public func json(adding extra: [String: Any] = [:]) -> Data {
        let object = jsonObject.merging(extra) { $1 }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    private var jsonObject: [String: Any] {
        var object: [String: Any] = ["event": kind.rawValue, "time": SnapshotNaming.iso8601(Int64(time)), "message": message]
        if let target { object["target"] = target }
        if let pid { object["pid"] = Int(pid) }
        if let state { object["state"] = state }
        if let rssBytes { object["rss_bytes"] = rssBytes }
        if let slopeBytesPerHour { object["slope_bytes_per_hour"] = slopeBytesPerHour }
        if let etaSeconds { object["eta_seconds"] = etaSeconds }
        if let snapshotPath { object["snapshot"] = snapshotPath }
        if let finding { object["finding"] = finding }
        if let cause { object["cause"] = cause }
        return object
    }
}

/// Fans events out to every subscriber without ever blocking the sender: each subscriber has a
/// bounded buffer, and a subscriber that falls behind loses its oldest events (it is told how many).
public final class EventHub: Sendable {
    private let state = LockedSubscribers()

    public init() {}

    /// A stream of every event published from now on. `bufferSize` events are kept for a slow reader.
    public func subscribe(bufferSize: Int = 256) -> AsyncStream<DaemonEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: DaemonEvent.self, bufferingPolicy: .bufferingNewest(bufferSize))
        state.add(continuation)
        return stream
    }

    public func publish(_ event: DaemonEvent) {
        state.forEach { _ = $0.yield(event) }
    }
}

private final class LockedSubscribers: @unchecked Sendable {
    private let lock = NSLock()
    private var continuations: [AsyncStream<DaemonEvent>.Continuation] = []

    func add(_ continuation: AsyncStream<DaemonEvent>.Continuation) {
        lock.withLock { continuations.append(continuation) }
    }

    func forEach(_ body: (AsyncStream<DaemonEvent>.Continuation) -> Void) {
        let current = lock.withLock { continuations }
        current.forEach(body)
    }
}
