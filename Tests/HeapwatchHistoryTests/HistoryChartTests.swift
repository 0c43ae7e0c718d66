import HeapwatchHistory
import Testing

@Suite struct HistoryChartTests {
    static let mib: UInt64 = 1_048_576

    /// Worked by hand: scale 0…8MiB in 4MiB steps over 5 rows, 24 plot columns, points at columns 0, 12, 23.
    @Test func smallChartExactly() {
        let mib = Self.mib
        let samples = [
            HistoryPoint(time: midnight, rssBytes: 4 * mib, anonBytes: 2 * mib),
            HistoryPoint(time: midnight + 60, rssBytes: 6 * mib, anonBytes: 3 * mib),
            HistoryPoint(time: midnight + 120, rssBytes: 8 * mib, anonBytes: 4 * mib),
        ]
        let capture = HistoryEvent(time: midnight + 60, target: "api", kind: .capture, message: "stored")
        let refused = HistoryEvent(time: midnight + 90, target: "api", kind: .captureRefused, message: "no handler")
        let chart = HistoryChart.render(samples: samples, events: [capture, refused], limitBytes: 8 * mib, trend: nil,
                                        width: 30, height: 5)
        #expect(chart == """
            8MiB |=======================.
                 |            .
            4MiB |.                      #
                 |#           #
              0B |
                 ++-----------^----------+
                  00:00     00:01    00:02
            # anon  . RSS  = limit 8MiB
            ^ capture
            UTC 2026-11-25 00:00 -> 00:02
            """)
    }

    /// A process that died of memory is marked where it died, over a capture in the same column.
    @Test func aDeathOfMemoryIsMarkedOnTheTimeAxis() {
        let mib = Self.mib
        let samples = [
            HistoryPoint(time: midnight, rssBytes: 4 * mib, anonBytes: 2 * mib),
            HistoryPoint(time: midnight + 120, rssBytes: 8 * mib, anonBytes: 4 * mib),
        ]
        let capture = HistoryEvent(time: midnight + 60, target: "api", kind: .capture, message: "stored")
        let death = HistoryEvent(time: midnight + 120, target: "api", kind: .outOfMemory, message: "killed")
        let beside = HistoryEvent(time: midnight + 120, target: "api", kind: .capture, message: "stored")
        let chart = HistoryChart.render(samples: samples, events: [capture, death, beside], limitBytes: 8 * mib, trend: nil,
                                        width: 30, height: 5)
        let lines = chart.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[5] == "     ++-----------^----------X", "\(chart)")
        #expect(lines[7] == "# anon  . RSS  = limit 8MiB", "\(chart)")
        #expect(lines[8] == "^ capture  X died of memory", "\(chart)")
    }

    /// A daemon started 40 minutes ago, asked for the default 6 h: the chart starts at its first sample,
    /// not 5 h 20 min of empty columns before it; asked for 6 h, or with 2 minutes of history, it does not.
    @Test func theDefaultSpanStartsWhereTheHistoryDoes() {
        let now = midnight + 6 * 3600
        let samples = [HistoryPoint(time: now - 2400, rssBytes: Self.mib, anonBytes: Self.mib),
                       HistoryPoint(time: now - 5, rssBytes: Self.mib, anonBytes: Self.mib)]
        let capture = HistoryEvent(time: now - 2500, target: "api", kind: .capture, message: "stored")
        #expect(HistoryChart.span(sinceSeconds: 6 * 3600, explicit: false, samples: samples, events: [], now: now) == (now - 2400)...now)
        #expect(HistoryChart.span(sinceSeconds: 6 * 3600, explicit: false, samples: samples, events: [capture], now: now) == (now - 2500)...now)
        #expect(HistoryChart.span(sinceSeconds: 6 * 3600, explicit: true, samples: samples, events: [], now: now) == midnight...now)
        let young = [HistoryPoint(time: now - 120, rssBytes: Self.mib, anonBytes: Self.mib)]
        #expect(HistoryChart.span(sinceSeconds: 6 * 3600, explicit: false, samples: young, events: [], now: now) == (now - 600)...now)
        #expect(HistoryChart.span(sinceSeconds: 6 * 3600, explicit: false, samples: [], events: [], now: now) == midnight...now)
    }

    /// Two workers side by side and a third that replaced the first after a restart: the chart draws
    /// the one the trend is fitted to with the one before or after it, and names the one beside it.
    @Test func oneOfProcessesSideBySideIsDrawnAndTheOthersNamed() {
        func point(_ pid: Int32, _ t: Double, _ rss: UInt64) -> HistoryPoint {
            HistoryPoint(time: midnight + t, pid: pid, rssBytes: rss, anonBytes: rss)
        }
        let first = (0..<10).map { point(1, Double($0) * 5, 10) }
        let beside = (0..<20).map { point(2, Double($0) * 5, 50) }
        let restarted = (10..<20).map { point(3, Double($0) * 5, 20) }
        let all = first + beside + restarted
        let byTrend = HistoryChart.focus(all, trendPID: 3)
        #expect(byTrend.pid == 3 && byTrend.others == [2])
        #expect(Set(byTrend.samples.compactMap(\.pid)) == [1, 3])
        let byLast = HistoryChart.focus(all, trendPID: nil)
        #expect(byLast.pid == 2 && byLast.others == [1, 3], "the latest sampled, the largest of those")
        #expect(byLast.samples.allSatisfy { $0.pid == 2 })
        let alone = HistoryChart.focus(first + restarted, trendPID: nil)
        #expect(alone.others.isEmpty && alone.samples.count == 20)
    }

    /// A process whose heap went to swap: the last point holds 2MiB in RAM and 4MiB in swap, so `#`
    /// (anon + swap, as the trend counts it) climbs to 6MiB above RSS's 4MiB, and the legend says so.
    /// Scale 0…8MiB in 4MiB steps over 5 rows (2MiB a row), 24 plot columns.
    @Test func memoryInSwapIsDrawnWithAnon() {
        let mib = Self.mib
        let samples = [
            HistoryPoint(time: midnight, rssBytes: 4 * mib, anonBytes: 2 * mib),
            HistoryPoint(time: midnight + 60, rssBytes: 4 * mib, anonBytes: 2 * mib, swapBytes: 1 * mib),
            HistoryPoint(time: midnight + 120, rssBytes: 4 * mib, anonBytes: 2 * mib, swapBytes: 4 * mib),
        ]
        let chart = HistoryChart.render(samples: samples, events: [], limitBytes: nil, trend: nil, width: 30, height: 5)
        #expect(chart == """
            8MiB |
                 |                       #
            4MiB |.           .          .
                 |#           #
              0B |
                 ++-----------+----------+
                  00:00     00:01    00:02
            # anon+swap  . RSS
            UTC 2026-11-25 00:00 -> 00:02
            """)
    }

    /// Two points two minutes apart (RSS 1 → 7MiB, anon 1 → 6MiB) and a line of +4MiB a minute
    /// from 0 at the first, fitted from `trendStart`, in 30 columns and 3 rows.
    static func risingChart(trendStart: Double?, events: [HistoryEvent] = []) -> String {
        let mib = Self.mib
        let samples = [
            HistoryPoint(time: midnight, rssBytes: 1 * mib, anonBytes: 1 * mib),
            HistoryPoint(time: midnight + 120, rssBytes: 7 * mib, anonBytes: 6 * mib),
        ]
        let trend = HistoryTrend(slopeBytesPerHour: 240 * Double(mib), interceptBytes: 0, interceptTime: midnight,
                                 startTime: trendStart)
        return HistoryChart.render(samples: samples, events: events, limitBytes: nil, trend: trend, width: 30, height: 3)
    }

    /// The trend (+4MiB a minute from 0 at the start, 0…8MiB over the span) crosses the plot corner
    /// to corner over 24 columns: rows change where 2·(1 − c/23) rounds differently (c = 6, c = 18).
    /// It is drawn over the data: the last RSS point (row 0, column 23) is under it.
    @Test func trendLineExactly() {
        let chart = Self.risingChart(trendStart: nil)
        #expect(chart == """
            8MiB |                  ******
            4MiB |      ************     #
              0B |******
                 ++-----------+----------+
                  00:00     00:01    00:02
            # anon  . RSS
            * trend +240MiB/h
            UTC 2026-11-25 00:00 -> 00:02
            """)
    }

    /// The same line fitted on the last minute only: nothing is drawn before it (the chart showed
    /// a window's trend across hours it knew nothing of, over the samples themselves).
    @Test func theTrendStartsWhereItsSamplesDo() {
        let chart = Self.risingChart(trendStart: midnight + 60)
        #expect(chart == """
            8MiB |                  ******
            4MiB |            ******     #
              0B |#
                 ++-----------+----------+
                  00:00     00:01    00:02
            # anon  . RSS
            * trend +240MiB/h
            UTC 2026-11-25 00:00 -> 00:02
            """)
    }

    /// A capture inside the line's span: the line's level holds the memory the snapshot left, which
    /// the process did not hold before it, so the line starts at the capture: column
    /// round(23 × 90/120) = 17, worth 5.9MiB, which rounds to the 4MiB row.
    @Test func theTrendStartsAfterACaptureInItsSpan() {
        let before = HistoryEvent(time: midnight + 30, target: "api", kind: .capture, message: "stored")
        let inside = HistoryEvent(time: midnight + 90, target: "api", kind: .capture, message: "stored")
        let chart = Self.risingChart(trendStart: midnight + 60, events: [before, inside])
        #expect(chart.split(separator: "\n").prefix(3).joined(separator: "\n") == """
            8MiB |                  ******
            4MiB |                 *     #
              0B |#
            """)
    }

    /// A limit far above the data sets the top of the scale: 0…1GiB in 512MiB steps over 9 rows,
    /// RSS 200MiB on row round(8 × 824/1024) = 6, anon 100MiB on row round(8 × 924/1024) = 7.
    @Test func aLimitAboveTheDataIsTheTopOfTheScale() {
        let mib = Self.mib
        let samples = [HistoryPoint(time: midnight, rssBytes: 200 * mib, anonBytes: 100 * mib),
                       HistoryPoint(time: midnight + 600, rssBytes: 200 * mib, anonBytes: 100 * mib)]
        let lines = HistoryChart.render(samples: samples, events: [], limitBytes: 1024 * mib, trend: nil, width: 40, height: 9)
            .split(separator: Character("\n")).map(String.init)
        #expect(lines[0] == "  1GiB |" + String(repeating: "=", count: 32))
        #expect(lines[4] == "512MiB |")
        #expect(lines[6] == "       |." + String(repeating: " ", count: 30) + ".")
        #expect(lines[7] == "       |#" + String(repeating: " ", count: 30) + "#")
        #expect(lines[8] == "    0B |")
    }

    @Test func longSpansAreLabelledWithDates() {
        let samples = (0..<30).map { HistoryPoint(time: midnight + Double($0) * 86_400, rssBytes: UInt64($0) << 30, anonBytes: UInt64($0) << 29) }
        let lines = HistoryChart.render(samples: samples, events: [], limitBytes: nil, trend: nil).split(separator: Character("\n"))
        let labels = lines[lines.count - 3]
        #expect(labels.contains("12-03") && !labels.contains(":"))
        #expect(lines.last == "UTC 2026-11-25 00:00 -> 2026-12-24 00:00")
        #expect(lines.first?.hasPrefix("32GiB |") == true)
    }

    @Test(arguments: [20, 40, 57, 80, 132], [2, 8, 24])
    func noLineIsWiderThanAsked(width: Int, height: Int) {
        var samples: [HistoryPoint] = []
        for index in 0..<500 {
            let rss = UInt64(index * 7919 % 1000) << 22
            let anon = UInt64(index * 104_729 % 900) << 22
            samples.append(HistoryPoint(time: midnight + Double(index) * 37, rssBytes: rss, anonBytes: anon))
        }
        let events = stride(from: 0.0, to: 18_000, by: 3000).map {
            HistoryEvent(time: midnight + $0, target: "api", kind: .capture, message: "")
        }
        let trend = HistoryTrend(slopeBytesPerHour: -123_456_789, interceptBytes: 3e9, interceptTime: midnight)
        let chart = HistoryChart.render(samples: samples, events: events, limitBytes: 5 << 30, trend: trend,
                                        width: width, height: height)
        let lines: [String] = chart.split(separator: Character("\n")).map(String.init)
        for line in lines {
            #expect(line.count <= width, "\(line.count) > \(width): \(line)")
        }
    }

    @Test(arguments: [0.0, 1.0, 333.0, 500.0, 999.0, 1000.0])
    func captureMarkerSitsAtItsTimeColumn(offset: Double) throws {
        let samples = [HistoryPoint(time: midnight, rssBytes: 100 << 20, anonBytes: 50 << 20),
                       HistoryPoint(time: midnight + 1000, rssBytes: 200 << 20, anonBytes: 90 << 20)]
        // The daemon's event hub names a stored snapshot `snapshot_captured`: marked the same way.
        let capture = HistoryEvent(time: midnight + offset, target: "api", kind: "snapshot_captured", message: "")
        let chart = HistoryChart.render(samples: samples, events: [capture], limitBytes: nil, trend: nil, width: 80, height: 10)
        let lines = chart.split(separator: Character("\n")).map(String.init)
        let plotStart = try #require(lines[0].firstIndex(of: "|")).utf16Offset(in: lines[0]) + 1
        let plotWidth = 80 - plotStart
        let axis = lines[10]
        let marker = try #require(axis.firstIndex(of: "^")).utf16Offset(in: axis)
        #expect(marker - plotStart == Int((offset / 1000 * Double(plotWidth - 1)).rounded()))
        #expect(axis.filter { $0 == "^" }.count == 1)
    }

    @Test func noSamplesSaysSo() {
        let text = HistoryChart.render(samples: [], events: [], limitBytes: nil, trend: nil, width: 80, height: 10,
                                       span: midnight...(midnight + 3600))
        #expect(text == "no samples in UTC 2026-11-25 00:00 -> 01:00")
    }
}
