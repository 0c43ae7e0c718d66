import Foundation
import HeapwatchHistory
import Testing

@Suite struct HistoryReplyTests {
    @Test func jsonHasTheDocumentedShape() throws {
        var summary = HistoryPoint(time: midnight + 90.5, pid: 41, rssBytes: 310, anonBytes: 205, rssMin: 290, rssMax: 330,
                                   anonMin: 190, anonMax: 220, count: 12)
        (summary.swapBytes, summary.swapMin, summary.swapMax) = (50, 40, 60)
        let reply = HistoryReply(
            target: "api",
            samples: [HistoryPoint(time: midnight, pid: 41, rssBytes: 300, anonBytes: 200), summary],
            events: [HistoryEvent(time: midnight + 60, target: "api", pid: 41, kind: .capture, message: "stored",
                                  details: ["path": "/s/a.heapsnapshot"])],
            limitBytes: 1024)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(reply), as: UTF8.self)
        #expect(text == #"{"events":[{"details":{"path":"/s/a.heapsnapshot"},"kind":"capture","message":"stored","pid":41,"#
            + #""target":"api","time":"2026-11-25T00:01:00Z"}],"limit_bytes":1024,"samples":[{"anon_bytes":200,"pid":41,"#
            + #""rss_bytes":300,"swap_bytes":0,"time":"2026-11-25T00:00:00Z"},{"anon_bytes":205,"anon_max_bytes":220,"anon_min_bytes":190,"#
            + #""count":12,"pid":41,"rss_bytes":310,"rss_max_bytes":330,"rss_min_bytes":290,"swap_bytes":50,"swap_max_bytes":60,"#
            + #""swap_min_bytes":40,"time":"2026-11-25T00:01:30.500Z"}],"#
            + #""target":"api"}"#)
        #expect(try JSONDecoder().decode(HistoryReply.self, from: Data(text.utf8)) == reply)
    }

    @Test func theSocketReplyAddsOkAndDecodesAsAHistoryReply() throws {
        let reply = HistoryReply(target: "api", samples: [HistoryPoint(time: midnight, rssBytes: 2, anonBytes: 1)], events: [],
                                 trend: HistoryTrend(slopeBytesPerHour: 3600, interceptBytes: 1, interceptTime: midnight,
                                                     startTime: midnight - 900))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(HistoryOKReply(reply))
        #expect(String(decoding: data, as: UTF8.self) == #"{"events":[],"ok":true,"samples":[{"anon_bytes":1,"rss_bytes":2,"#
            + #""swap_bytes":0,"time":"2026-11-25T00:00:00Z"}],"target":"api","trend":{"intercept_bytes":1,"intercept_time":"2026-11-25T00:00:00Z","#
            + #""slope_bytes_per_hour":3600,"start_time":"2026-11-24T23:45:00Z"}}"#)
        #expect(try JSONDecoder().decode(HistoryReply.self, from: data) == reply)
        // A daemon from before start_time: the line has no start.
        let older = #"{"intercept_bytes":1,"intercept_time":"2026-11-25T00:00:00Z","slope_bytes_per_hour":3600}"#
        #expect(try JSONDecoder().decode(HistoryTrend.self, from: Data(older.utf8)).startTime == nil)
    }

    static let times: [(Double, String)] = [
        (0.0, "1970-01-01T00:00:00Z"), (midnight, "2026-11-25T00:00:00Z"), (midnight + 3723.25, "2026-11-25T01:02:03.250Z"),
        (951_782_400 - 1, "2000-02-28T23:59:59Z"), (951_868_800, "2000-03-01T00:00:00Z"), (midnight + 0.001, "2026-11-25T00:00:00.001Z"),
    ]

    @Test(arguments: times)
    func timesFormatAndParseBack(seconds: Double, text: String) {
        #expect(HistoryTime.iso8601(seconds) == text)
        #expect(HistoryTime.parse(text) == seconds)
    }

    @Test(arguments: ["", "2026-11-25", "2026-11-25T00:00:00", "2026-13-25T00:00:00Z", "2026-11-25T00:00:00+01:00", "2026-11-25T0a:00:00Z"])
    func badTimesAreRejected(text: String) {
        #expect(HistoryTime.parse(text) == nil)
    }
}

@Suite struct DownsamplingTests {
    @Test func fewPointsAreLeftAlone() {
        let points = (0..<10).map { HistoryPoint(time: Double($0), rssBytes: UInt64($0), anonBytes: 1) }
        #expect(Downsampling.bucket(points, maxPoints: 10, span: 0...10) == points)
    }

    @Test func eachBucketKeepsItsExtremesAndWeightedMeans() {
        // Bucket 0 holds t=0,1 (rss 10, 30; swap 4, 8); bucket 1 holds t=2 (a rollup of 3 samples) and t=3.
        let points = [
            HistoryPoint(time: 0, rssBytes: 10, anonBytes: 1, swapBytes: 4),
            HistoryPoint(time: 1, rssBytes: 30, anonBytes: 3, swapBytes: 8),
            HistoryPoint(time: 2, pid: nil, rssBytes: 20, anonBytes: 2, rssMin: 5, rssMax: 90, anonMin: 1, anonMax: 9, count: 3),
            HistoryPoint(time: 3, rssBytes: 40, anonBytes: 6),
        ]
        let merged = Downsampling.bucket(points, maxPoints: 2, span: 0...4)
        #expect(merged.count == 2)
        var first = HistoryPoint(time: 0.5, pid: nil, rssBytes: 20, anonBytes: 2, rssMin: 10, rssMax: 30, anonMin: 1, anonMax: 3, count: 2)
        (first.swapBytes, first.swapMin, first.swapMax) = (6, 4, 8)
        #expect(merged[0] == first)
        // Means weighted by count: rss (20·3 + 40)/4 = 25, anon (2·3 + 6)/4 = 3, time (2·3 + 3)/4 = 2.25.
        #expect(merged[1] == HistoryPoint(time: 2.25, pid: nil, rssBytes: 25, anonBytes: 3, rssMin: 5, rssMax: 90,
                                          anonMin: 1, anonMax: 9, count: 4))
    }

    @Test(arguments: [1, 7, 100, 999])
    func neverMoreThanMaxPointsAndNothingLost(maxPoints: Int) {
        let points = (0..<5000).map { HistoryPoint(time: Double($0) * 0.7, rssBytes: UInt64($0 % 97), anonBytes: UInt64($0 % 89)) }
        let merged = Downsampling.bucket(points, maxPoints: maxPoints, span: 0...3500)
        #expect(merged.count <= maxPoints)
        #expect(merged.reduce(0) { $0 + $1.count } == 5000)
        #expect(merged.map(\.rssMax).max() == 96 && merged.map(\.rssMin).min() == 0)
        #expect(merged.map(\.anonMax).max() == 88)
    }
}
