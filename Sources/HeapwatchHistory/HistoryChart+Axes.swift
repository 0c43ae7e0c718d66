import HeapwatchCore

/// The chart's vertical scale: from 0 (or from the lowest value, when everything sits in the top
/// half) up to the highest value or the limit, rounded out to a power-of-two step in bytes, so the
/// labels read `0B, 256MiB, 512MiB, 768MiB, 1GiB`.
struct ValueScale {
    let low: Double
    let high: Double
    let step: Double
    let rows: Int

    init(samples: [HistoryPoint], limitBytes: UInt64?, rows: Int) {
        let dataLow = Double(samples.map { min($0.heldMin, $0.rssMin) }.min() ?? 0)
        let dataHigh = Double(samples.map { max($0.heldMax, $0.rssMax) }.max() ?? 0)
        let top = max(dataHigh, limitBytes.map { Double($0) } ?? 0)
        let bottom = dataLow < top / 2 ? 0 : dataLow
        let wanted = max(2, rows / 3)
        var step = 1.0
        while (top - bottom) / step > Double(wanted) { step *= 2 }
        var low = (bottom / step).rounded(.down) * step
        var high = (top / step).rounded(.up) * step
        if high <= low { high = low + step }
        if low < 0 { low = 0 }
        self.low = low
        self.high = high
        self.step = step
        self.rows = rows
    }

    /// Row 0 is the top; values outside the scale are clamped to its edges.
    func row(_ value: Double) -> Int {
        let fraction = (high - value) / (high - low)
        return min(rows - 1, max(0, Int((fraction * Double(rows - 1)).rounded())))
    }

    func labels() -> [(row: Int, text: String)] {
        var labels: [(row: Int, text: String)] = []
        var value = high
        while value >= low {
            let row = row(value)
            if !labels.contains(where: { abs($0.row - row) < 1 }) {
                labels.append((row, Units.formatBytes(value)))
            }
            value -= step
        }
        return labels
    }
}

/// The time axis: column of a time, and ticks on round UTC times (`HH:MM`, or `MM-DD` at midnight
/// when the span is longer than a day), as many as fit with room for their labels.
struct TimeAxis {
    struct Tick: Equatable {
        var column: Int
        var label: String
    }

    let start: Double
    let end: Double
    let columns: Int

    func column(_ time: Double) -> Int {
        let fraction = (time - start) / (end - start)
        return min(columns - 1, max(0, Int((fraction * Double(columns - 1)).rounded())))
    }

    func time(_ column: Int) -> Double {
        start + (end - start) * Double(column) / Double(max(1, columns - 1))
    }

    func ticks() -> [Tick] {
        let span = end - start
        let days = span > 86_400
        let steps: [Double] = days
            ? [1, 2, 7, 14, 30].map { $0 * 86_400 }
            : [60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400]
        // A label is 5 characters; keep at least 3 spaces between labels.
        let room = max(1, columns / 8)
        let step = steps.first { span / $0 < Double(room) } ?? steps.last!
        var ticks: [Tick] = []
        var time = (start / step).rounded(.up) * step
        while time <= end {
            ticks.append(Tick(column: column(time), label: days ? HistoryTime.date(time) : HistoryTime.clock(time)))
            time += step
        }
        return ticks
    }
}

extension HistoryChart {
    /// What a chart of one target draws when several of its processes ran side by side (workers, or
    /// the default target that matches every Node process): one line per chart, so the process the
    /// trend is fitted to (else the one sampled last) and any that came before or after it (a
    /// restart), not the ones beside it, whose pids `others` names.
    public struct Focus: Equatable, Sendable {
        public var samples: [HistoryPoint]
        public var pid: Int32?
        public var others: [Int32]
    }

    public static func focus(_ samples: [HistoryPoint], trendPID: Int32?) -> Focus {
        var spans: [Int32: (first: Double, last: Double, lastRSS: UInt64)] = [:]
        for point in samples {
            guard let pid = point.pid else { continue }
            let old = spans[pid] ?? (point.time, point.time, point.rssBytes)
            spans[pid] = (min(old.first, point.time), max(old.last, point.time), point.time >= old.last ? point.rssBytes : old.lastRSS)
        }
        guard spans.count > 1 else { return Focus(samples: samples, pid: spans.keys.first, others: []) }
        let chosen = trendPID.flatMap { spans[$0] == nil ? nil : $0 }
            ?? spans.max { ($0.value.last, $0.value.lastRSS, $1.key) < ($1.value.last, $1.value.lastRSS, $0.key) }!.key
        let mine = spans[chosen]!
        let beside = Set(spans.filter { $0.key != chosen && $0.value.first <= mine.last && mine.first <= $0.value.last }.keys)
        return Focus(samples: samples.filter { $0.pid.map { !beside.contains($0) } ?? true }, pid: chosen, others: beside.sorted())
    }
}
