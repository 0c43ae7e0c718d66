import HeapwatchCore

/// A terminal chart of a target's memory over time, plain ASCII so its width is its character count:
///
///     1.5GiB |======================================
///       1GiB |                    ..........******
///     512MiB |  ..........#######*****###
///         0B |###*****####
///            +---------+---------^---------+--------
///                   06:00      12:00     18:00
///     # anon  . RSS  = limit 1.5GiB  * trend +40MiB/h  ^ capture
///     UTC 2026-11-25 00:00 -> 23:59
///
/// Each column shows the min–max range of the points that fall in it (`#` anonymous memory drawn
/// over `.` RSS; where some was in swap, `#` is anon + swap, as the trend counts it, and the legend
/// says `# anon+swap`), the limit as a row of `=`, the trend line as `*` over everything from where the
/// samples it was fitted on begin (or the last capture among them), and captures as `^` on the
/// time axis. Pure: same input, same text.
public enum HistoryChart {
    /// The time range `heapwatchctl history` draws: the last `sinceSeconds` before `now`, or, when
    /// the range was not asked for and the history begins later (a daemon started an hour ago
    /// asked for its default 6 h), from the first sample or event on — at least `minimumSeconds`
    /// — so the data fills the width instead of its last few columns.
    public static func span(sinceSeconds: Double, explicit: Bool, samples: [HistoryPoint], events: [HistoryEvent], now: Double,
                            minimumSeconds: Double = 600) -> ClosedRange<Double> {
        let asked = now - sinceSeconds
        guard !explicit, let first = (samples.map(\.time) + events.map(\.time)).filter({ $0 >= asked }).min() else { return asked...now }
        return max(asked, min(first, now - minimumSeconds))...now
    }

    /// - Parameters:
    ///   - width: total columns, labels included; no line is longer.
    ///   - height: rows of the plot area (axis, labels and legend come on top of these).
    ///   - span: the time range to show, Unix seconds; default the samples' and events' extent.
    public static func render(samples: [HistoryPoint], events: [HistoryEvent], limitBytes: UInt64?, trend: HistoryTrend?,
                              width: Int = 80, height: Int = 16, span: ClosedRange<Double>? = nil) -> String {
        let times = samples.map(\.time) + events.map(\.time)
        guard let first = times.min(), let last = times.max(), !samples.isEmpty else {
            return clip("no samples" + (span.map { " in " + spanLine($0.lowerBound, $0.upperBound) } ?? ""), width)
        }
        let timeSpan = span ?? first...last
        let t0 = timeSpan.lowerBound
        let t1 = timeSpan.upperBound > t0 ? timeSpan.upperBound : t0 + 60
        let rows = max(2, height)
        let scale = ValueScale(samples: samples, limitBytes: limitBytes, rows: rows)
        let labels = scale.labels()
        let labelWidth = labels.map(\.text.count).max() ?? 0
        let plotWidth = width - labelWidth - 2
        guard plotWidth >= 8 else { return clip("chart needs at least \(labelWidth + 10) columns", width) }
        let x = TimeAxis(start: t0, end: t1, columns: plotWidth)

        var grid = [[Character]](repeating: [Character](repeating: " ", count: plotWidth), count: rows)
        if let limitBytes {
            let row = scale.row(Double(limitBytes))
            for column in 0..<plotWidth { grid[row][column] = "=" }
        }
        var ranges: [Int: (rssLow: UInt64, rssHigh: UInt64, heldLow: UInt64, heldHigh: UInt64)] = [:]
        for point in samples where timeSpan.contains(point.time) {
            let column = x.column(point.time)
            let old = ranges[column] ?? (point.rssMin, point.rssMax, point.heldMin, point.heldMax)
            ranges[column] = (min(old.rssLow, point.rssMin), max(old.rssHigh, point.rssMax),
                              min(old.heldLow, point.heldMin), max(old.heldHigh, point.heldMax))
        }
        for (column, range) in ranges {
            for row in scale.row(Double(range.rssHigh))...scale.row(Double(range.rssLow)) { grid[row][column] = "." }
            for row in scale.row(Double(range.heldHigh))...scale.row(Double(range.heldLow)) { grid[row][column] = "#" }
        }
        let captures = events.filter { $0.kind.isCapture && timeSpan.contains($0.time) }
        if let trend {
            // The line's level holds the memory our snapshots left behind, which the process did not
            // hold before them: it starts after the last capture inside its span.
            let lastCapture = captures.map(\.time).filter { $0 >= trend.startTime ?? -.infinity }.max()
            let first = [trend.startTime, lastCapture].compactMap { $0.map(x.column) }.max() ?? 0
            for column in first..<plotWidth {
                let value = trend.bytes(at: x.time(column))
                if value >= scale.low, value <= scale.high { grid[scale.row(value)][column] = "*" }
            }
        }

        var lines: [String] = []
        for (row, cells) in grid.enumerated() {
            let label = labels.first { $0.row == row }?.text ?? ""
            lines.append(pad(label, labelWidth) + " |" + String(cells))
        }
        var axis = [Character](repeating: "-", count: plotWidth)
        let ticks = x.ticks()
        for tick in ticks { axis[tick.column] = "+" }
        for capture in captures { axis[x.column(capture.time)] = "^" }
        // A death is the one thing the chart must not hide: drawn over a capture in its column.
        let deaths = events.filter { $0.kind == .outOfMemory && timeSpan.contains($0.time) }
        for death in deaths { axis[x.column(death.time)] = "X" }
        lines.append(String(repeating: " ", count: labelWidth) + " +" + String(axis))
        lines.append(String(repeating: " ", count: labelWidth + 2) + tickLabels(ticks, columns: plotWidth))

        var legend = [samples.contains { $0.swapMax > 0 } ? "# anon+swap" : "# anon", ". RSS"]
        if let limitBytes { legend.append("= limit " + Units.formatBytes(limitBytes)) }
        if let trend {
            legend.append("* trend " + (trend.slopeBytesPerHour >= 0 ? "+" : "") + Units.formatBytes(trend.slopeBytesPerHour) + "/h")
        }
        if !captures.isEmpty { legend.append("^ capture") }
        if !deaths.isEmpty { legend.append("X died of memory") }
        lines += wrap(legend, width: width)
        lines.append(spanLine(t0, t1))
        return lines.map { trimTrailingSpaces(clip($0, width)) }.joined(separator: "\n")
    }

    private static func tickLabels(_ ticks: [TimeAxis.Tick], columns: Int) -> String {
        var line = [Character](repeating: " ", count: columns)
        var free = 0
        for tick in ticks {
            let start = min(max(0, tick.column - tick.label.count / 2), columns - tick.label.count)
            guard start >= free, start >= 0 else { continue }
            for (offset, character) in tick.label.enumerated() { line[start + offset] = character }
            free = start + tick.label.count + 1
        }
        return String(line)
    }

    private static func wrap(_ items: [String], width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for item in items {
            if current.isEmpty {
                current = item
            } else if current.count + 2 + item.count <= width {
                current += "  " + item
            } else {
                lines.append(current)
                current = item
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// `UTC 2026-11-25 00:00 -> 06:00`, or with both dates when they differ.
    private static func spanLine(_ start: Double, _ end: Double) -> String {
        let from = HistoryTime.dateAndClock(start)
        let to = HistoryTime.dateAndClock(end)
        return "UTC " + from + " -> " + (from.prefix(10) == to.prefix(10) ? String(to.dropFirst(11)) : to)
    }

    private static func trimTrailingSpaces(_ text: String) -> String {
        String(text.reversed().drop { $0 == " " }.reversed())
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    private static func clip(_ text: String, _ width: Int) -> String {
        text.count <= width ? text : String(text.prefix(max(0, width)))
    }
}
