import Foundation
import HeapwatchCore
import HeapwatchTrend
import Prometheus

/// The daemon's Prometheus metrics, kept in a swift-prometheus registry: per watched process
/// (labels `target`, `pid`) the latest figures and state; per target the capture counters and the
/// deaths of memory (label `cause`); and
/// the daemon's own sampling time and RSS.
public final class HeapwatchMetrics: @unchecked Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let lock = NSLock()
    /// Gauges of each watched process; unregistered when the process goes.
    private var processGauges: [ProcessKey: ProcessGauges] = [:]
    private var counters: [String: Counter] = [:]
    /// Targets whose counters are all registered (`registerCounters`).
    private var countedTargets: Set<String> = []
    private let sampleDuration: DurationHistogram
    private let daemonRSS: Gauge

    private struct ProcessKey: Hashable {
        var target: String
        var pid: Int32
    }

    /// One process's gauges: `values` by `valueMetrics` index (nil while the figure is unknown),
    /// `states` by `TrendState.allCases` index.
    private struct ProcessGauges {
        var values: [Gauge?]
        var states: [Gauge]
    }

    /// Per-process figures, each read from a status row (nil while unknown: no gauge then).
    private static let valueMetrics: [(name: String, help: String, value: @Sendable (TargetStatus) -> Double?)] = [
        ("heapwatch_rss_bytes", "Resident memory of the watched process.", { $0.rssBytes.map { Double($0) } }),
        ("heapwatch_anon_bytes", "Anonymous resident memory (heap and other private memory) of the watched process.",
         { $0.anonBytes.map { Double($0) } }),
        ("heapwatch_swap_bytes", "Anonymous memory of the watched process the kernel moved out to swap (VmSwap).",
         { $0.swapBytes.map { Double($0) } }),
        ("heapwatch_limit_bytes", "The smallest memory limit that applies (cgroup, rss_max).", { $0.limitBytes.map { Double($0) } }),
        ("heapwatch_growth_bytes_per_hour", "Growth of the post-GC memory floor over the window.", { $0.slopeBytesPerHour }),
        ("heapwatch_eta_seconds", "Forecast seconds until the limit is reached.", { $0.etaSeconds }),
        ("heapwatch_eta_earliest_seconds", "The forecast range's low end: the earliest the limit may be reached.", { $0.etaLowerSeconds }),
        ("heapwatch_eta_latest_seconds", "The forecast range's high end (absent when growth may be zero).", { $0.etaUpperSeconds }),
        ("heapwatch_heap_used_bytes", "V8 heapUsed, when a heap source gives it.", { $0.heapUsedBytes.map { Double($0) } }),
    ]

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
            var seen = Set<ProcessKey>()
            for row in rows {
                registerCounters(of: row.name)
                guard let pid = row.pid else { continue }
                let key = ProcessKey(target: row.name, pid: pid)
                seen.insert(key)
                func labels() -> [(String, String)] { [("target", row.name), ("pid", String(pid))] }
                var gauges = processGauges[key] ?? ProcessGauges(
                    values: Array(repeating: nil, count: Self.valueMetrics.count),
                    states: TrendState.allCases.map { state in
                        registry.makeGauge(descriptor: Self.name("heapwatch_state", "1 for the process's current state, 0 for the others."),
                                           labels: labels() + [("state", state.rawValue)])
                    })
                for (index, metric) in Self.valueMetrics.enumerated() {
                    if let value = metric.value(row) {
                        let gauge = gauges.values[index] ?? registry.makeGauge(descriptor: Self.name(metric.name, metric.help), labels: labels())
                        gauge.set(value)
                        gauges.values[index] = gauge
                    } else if let gauge = gauges.values[index] {
                        registry.unregisterGauge(gauge)
                        gauges.values[index] = nil
                    }
                }
                for (state, gauge) in zip(TrendState.allCases, gauges.states) {
                    gauge.set(row.state == state.rawValue ? 1.0 : 0.0)
                }
                processGauges[key] = gauges
            }
            for (key, gauges) in processGauges where !seen.contains(key) {
                gauges.values.compactMap { $0 }.forEach { registry.unregisterGauge($0) }
                gauges.states.forEach { registry.unregisterGauge($0) }
                processGauges[key] = nil
            }
        }
    }

    /// The counter of each kind of event counted, per target: `(name, help, labels beyond target)`.
    private static func counted(_ kind: DaemonEvent.Kind) -> (name: String, help: String, byCause: Bool)? {
        switch kind {
        case .snapshotCaptured: ("heapwatch_snapshots_total", "Heap snapshots stored.", false)
        case .captureRefused: ("heapwatch_capture_refusals_total", "Captures refused to protect the target (no handler, no headroom).", false)
        case .captureFailed: ("heapwatch_capture_failures_total", "Captures attempted that produced no snapshot.", false)
        case .outOfMemory: ("heapwatch_out_of_memory_deaths_total",
                            "Watched processes that died of memory, by cause: oom_kill (the kernel's OOM killer) or heap_limit (V8's).", true)
        default: nil
        }
    }

    private static let causes = ["oom_kill", "heap_limit"]

    /// Counts captures, refusals and deaths of memory per target.
    public func record(_ event: DaemonEvent) {
        guard let metric = Self.counted(event.kind) else { return }
        let made = lock.withLock { () -> Counter in
            counter(metric.name, metric.help, target: event.target ?? "", cause: metric.byCause ? event.cause ?? "" : nil)
        }
        made.increment()
    }

    /// Every counter of `target`, at 0 until its first event: `increase()` in an alert rule sees
    /// the first one only when the series was there before it. Lock held.
    private func registerCounters(of target: String) {
        guard countedTargets.insert(target).inserted else { return }
        for kind in DaemonEvent.Kind.allCases {
            guard let metric = Self.counted(kind) else { continue }
            for cause in metric.byCause ? Self.causes.map(Optional.some) : [nil] {
                _ = counter(metric.name, metric.help, target: target, cause: cause)
            }
        }
    }

    /// Lock held.
    private func counter(_ name: String, _ help: String, target: String, cause: String?) -> Counter {
        let key = name + "/" + target + "/" + (cause ?? "")
        if let existing = counters[key] { return existing }
        let made = registry.makeCounter(descriptor: Self.name(name, help),
                                        labels: [("target", target)] + (cause.map { [("cause", $0)] } ?? []))
        counters[key] = made
        return made
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
