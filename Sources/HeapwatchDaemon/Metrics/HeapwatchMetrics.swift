import Foundation
import HeapwatchCore
import Prometheus

/// The daemon's Prometheus metrics, kept in a swift-prometheus registry: per watched process
/// (labels `target`, `pid`) the latest figures and state; per target the capture counters; and
/// the daemon's own sampling time and RSS.
public final class HeapwatchMetrics: @unchecked Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let lock = NSLock()
    /// Gauges of each watched process, by `target/pid`; unregistered when the process goes.
    private var processGauges: [String: [String: Gauge]] = [:]
    private var counters: [String: Counter] = [:]
    private let sampleDuration: DurationHistogram
    private let daemonRSS: Gauge

    public init() {
        sampleDuration = registry.makeDurationHistogram(
            descriptor: Self.name("heapwatch_sample_duration_seconds", "Time one sampling tick took (discovery, /proc and cgroup reads, detection)."),
            buckets: [.microseconds(100), .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1)])
        daemonRSS = registry.makeGauge(descriptor: Self.name("heapwatch_daemon_rss_bytes", "heapwatchd's own resident memory."))
    }

    /// After each tick: the rows of `status`, and how long the tick took.
    public func update(rows: [TargetStatus], tickDuration: Duration, daemonRSSBytes: UInt64?) {
        sampleDuration.record(tickDuration)
        if let daemonRSSBytes { daemonRSS.set(Double(daemonRSSBytes)) }
        lock.withLock {
            var seen = Set<String>()
            for row in rows {
                guard let pid = row.pid else { continue }
                let key = "\(row.name)/\(pid)"
                seen.insert(key)
                let labels = [("target", row.name), ("pid", String(pid))]
                var gauges = processGauges[key] ?? [:]
                func set(_ name: String, _ help: String, _ value: Double?, extra: [(String, String)] = []) {
                    let id = name + extra.map { "|\($0.1)" }.joined()
                    guard let value else {
                        if let gauge = gauges.removeValue(forKey: id) { registry.unregisterGauge(gauge) }
                        return
                    }
                    let gauge = gauges[id] ?? registry.makeGauge(descriptor: Self.name(name, help), labels: labels + extra)
                    gauge.set(value)
                    gauges[id] = gauge
                }
                set("heapwatch_rss_bytes", "Resident memory of the watched process.", row.rssBytes.map { Double($0) })
                set("heapwatch_anon_bytes", "Anonymous resident memory (heap and other private memory) of the watched process.", row.anonBytes.map { Double($0) })
                set("heapwatch_limit_bytes", "The smallest memory limit that applies (cgroup, rss_max).", row.limitBytes.map { Double($0) })
                set("heapwatch_growth_bytes_per_hour", "Growth of the post-GC memory floor over the window.", row.slopeBytesPerHour)
                set("heapwatch_eta_seconds", "Forecast seconds until the limit is reached.", row.etaSeconds)
                set("heapwatch_heap_used_bytes", "V8 heapUsed, when a heap source gives it.", row.heapUsedBytes.map { Double($0) })
                for state in ["warming_up", "ok", "bursty", "growing", "leaking", "over_limit"] {
                    set("heapwatch_state", "1 for the process's current state, 0 for the others.", row.state == state ? 1 : 0, extra: [("state", state)])
                }
                processGauges[key] = gauges
            }
            for (key, gauges) in processGauges where !seen.contains(key) {
                gauges.values.forEach { registry.unregisterGauge($0) }
                processGauges[key] = nil
            }
        }
    }

    /// Counts captures and refusals per target.
    public func record(_ event: DaemonEvent) {
        let name: String
        let help: String
        switch event.kind {
        case .snapshotCaptured: (name, help) = ("heapwatch_snapshots_total", "Heap snapshots stored.")
        case .captureRefused: (name, help) = ("heapwatch_capture_refusals_total", "Captures refused to protect the target (no handler, no headroom).")
        case .captureFailed: (name, help) = ("heapwatch_capture_failures_total", "Captures attempted that produced no snapshot.")
        default: return
        }
        let target = event.target ?? ""
        let counter = lock.withLock {
            let key = name + "/" + target
            if let existing = counters[key] { return existing }
            let made = registry.makeCounter(descriptor: Self.name(name, help), labels: [("target", target)])
            counters[key] = made
            return made
        }
        counter.increment()
    }

    /// A full metric name as a descriptor (the name already carries its unit).
    private static func name(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// The exposition text.
    public func render() -> [UInt8] {
        registry.emitToBuffer()
    }
}
