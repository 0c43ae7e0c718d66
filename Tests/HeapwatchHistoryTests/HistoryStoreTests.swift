import Foundation
import HeapwatchHistory
import TestSupport
import Testing

@Suite struct HistoryStoreTests {
    @Test func samplesAndEventsSurviveReopening() async throws {
        let dir = try TempDirectory()
        do {
            let store = try HistoryStore(directory: dir.path)
            for tick in 0..<3 {
                try await store.record(tick: [sample(rss: 1000 + UInt64(tick), anon: 500, swap: 70 * UInt64(tick))], at: midnight + Double(tick) * 5)
            }
            try await store.record(event: HistoryEvent(time: midnight + 7, target: "api", pid: 100, kind: .stateChange,
                                                       message: "ok → growing"))
            store.close()
        }
        let reopened = try HistoryStore(directory: dir.path)
        let reply = try await reopened.query(target: "api", since: midnight, until: midnight + 60)
        #expect(reply.samples.map(\.rssBytes) == [1000, 1001, 1002])
        #expect(reply.samples.map(\.swapBytes) == [0, 70, 140])
        #expect(reply.samples.map(\.time) == [midnight, midnight + 5, midnight + 10])
        #expect(reply.samples.allSatisfy { $0.pid == 100 && $0.anonBytes == 500 && $0.count == 1 })
        #expect(reply.events.map(\.message) == ["ok → growing"])
    }

    @Test func fileIsOwnerOnlyAndAWorldReadableOneIsFixed() async throws {
        let dir = try TempDirectory()
        let store = try HistoryStore(directory: dir.path)
        try await store.record(tick: [sample(rss: 1, anon: 1)], at: midnight)
        #expect(fileMode(store.path) == 0o600)
        #expect(fileMode(store.path + "-wal") == 0o600)
        store.close()

        let other = try TempDirectory()
        let path = other.file(HistoryStore.fileName)
        #expect(FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644]))
        #expect(fileMode(path) == 0o644)
        let fixed = try HistoryStore(directory: other.path)
        #expect(fileMode(path) == 0o600)
        fixed.close()
    }

    /// Four samples in one minute, by hand: min 100, max 400, mean (100+400+200+300)/4 = 250; swap a tenth of that.
    @Test func rollupsKeepMinMeanAndMaxPerMinuteAfterRawSamplesArePruned() async throws {
        let dir = try TempDirectory()
        let store = try HistoryStore(directory: dir.path)
        let minute = midnight + 120
        for (offset, rss) in [(0.0, 100), (10, 400), (20, 200), (59, 300)] as [(Double, UInt64)] {
            try await store.record(tick: [sample(rss: rss, anon: rss / 2, swap: rss / 10)], at: minute + offset)
        }
        try await store.record(tick: [sample(rss: 7000, anon: 7)], at: minute + 60)
        // A day and a bit later the raw samples are gone; the rollups remain.
        try await store.prune(now: minute + 86_400 + 3600)
        let reply = try await store.query(target: "api", since: midnight, until: minute + 3600)
        #expect(reply.samples.count == 2)
        let first = try #require(reply.samples.first)
        #expect(first.time == minute + 30)
        #expect(first.count == 4)
        #expect(first.rssMin == 100 && first.rssMax == 400 && first.rssBytes == 250)
        #expect(first.anonMin == 50 && first.anonMax == 200 && first.anonBytes == 125)
        #expect(first.swapMin == 10 && first.swapMax == 40 && first.swapBytes == 25)
        let second = try #require(reply.samples.last)
        #expect(second.count == 1 && second.rssBytes == 7000 && second.rssMin == 7000 && second.rssMax == 7000)
    }

    @Test func aRecordedTickIsNotCountedTwiceInItsRollup() async throws {
        let dir = try TempDirectory()
        let store = try HistoryStore(directory: dir.path, retention: HistoryRetention(rawSeconds: 60))
        try await store.record(tick: [sample(rss: 100, anon: 10)], at: midnight)
        try await store.record(tick: [sample(rss: 900, anon: 90)], at: midnight)
        try await store.prune(now: midnight + 600)
        let reply = try await store.query(target: "api", since: midnight, until: midnight + 600)
        #expect(reply.samples.map(\.count) == [1])
        #expect(reply.samples.map(\.rssBytes) == [100])
    }

    @Test func queryUsesRawSamplesWhereTheyExistAndRollupsBeforeThem() async throws {
        let dir = try TempDirectory()
        let store = try HistoryStore(directory: dir.path, retention: HistoryRetention(rawSeconds: 3600))
        // Two hours at one sample a minute; pruning an hour later leaves raw samples for the last hour.
        for minute in 0..<120 {
            try await store.record(tick: [sample(rss: UInt64(minute), anon: 1)], at: midnight + Double(minute) * 60)
        }
        try await store.prune(now: midnight + 2 * 3600)
        let reply = try await store.query(target: "api", since: midnight, until: midnight + 2 * 3600, maxPoints: 1000)
        #expect(reply.samples.count == 120)
        #expect(reply.samples.map(\.rssBytes) == (0..<120).map(UInt64.init))
        #expect(reply.samples.prefix(60).allSatisfy { $0.time.truncatingRemainder(dividingBy: 60) == 30 })
        #expect(reply.samples.suffix(60).allSatisfy { $0.time.truncatingRemainder(dividingBy: 60) == 0 })
    }

    @Test func pruningDropsWhatIsPastRetentionWithAHandMadeClock() async throws {
        let dir = try TempDirectory()
        let store = try HistoryStore(directory: dir.path)
        try await store.record(tick: [sample(rss: 1, anon: 1), sample("worker", pid: 200, rss: 2, anon: 2)], at: midnight)
        try await store.record(event: HistoryEvent(time: midnight, target: "api", kind: .capture, message: "old"))
        let later = midnight + 2 * 86_400
        try await store.record(tick: [sample(rss: 3, anon: 3)], at: later)
        try await store.record(event: HistoryEvent(time: later, target: "api", kind: .capture, message: "new"))

        try await store.prune(now: later + 1)
        var reply = try await store.query(target: "api", since: midnight - 60, until: later + 1)
        // The old raw sample is gone; its minute is still there as a rollup.
        #expect(reply.samples.map(\.time) == [midnight + 30, later])
        #expect(reply.events.map(\.message) == ["old", "new"])

        try await store.prune(now: midnight + 31 * 86_400)
        reply = try await store.query(target: "api", since: midnight - 60, until: later + 1)
        #expect(reply.samples.map(\.time) == [later + 30])
        #expect(reply.events.map(\.message) == ["new"])
        // A target with nothing left is forgotten.
        let worker = try await store.query(target: "worker", since: midnight - 60, until: later + 1)
        #expect(worker.samples.isEmpty)
    }

    @Test func rowCapsBoundRawSamplesAndEventsWhateverTheirAge() async throws {
        let dir = try TempDirectory()
        let store = try HistoryStore(directory: dir.path, retention: HistoryRetention(maxRawRowsPerTarget: 10, maxEvents: 3))
        for tick in 0..<25 {
            try await store.record(tick: [sample(rss: UInt64(tick), anon: 1), sample("worker", pid: 7, rss: 5, anon: 5)],
                                   at: midnight + Double(tick))
        }
        for index in 0..<5 {
            try await store.record(event: HistoryEvent(time: midnight + Double(index), target: "api", kind: .stateChange, message: "\(index)"))
        }
        try await store.prune(now: midnight + 30)
        // Raw samples of the last 10 seconds; everything before comes back as the rollup of minute 0.
        let reply = try await store.query(target: "api", since: midnight + 15, until: midnight + 30, maxPoints: 100)
        #expect(reply.samples.map(\.rssBytes) == (15..<25).map(UInt64.init))
        let worker = try await store.query(target: "worker", since: midnight, until: midnight + 30, maxPoints: 100)
        #expect(worker.samples.count == 10)
        #expect(reply.events.isEmpty)
        let all = try await store.query(target: "api", since: midnight, until: midnight + 30, maxPoints: 100)
        #expect(all.events.map(\.message) == ["2", "3", "4"])
    }

    /// `prune` counts a target's rows only when they may have reached the cap; the rows recorded
    /// after a prune that found the target under its cap must still bring the cap into force, in
    /// the same store and in one opened again (which knows no bounds).
    @Test func rowCapsHoldAfterAPruneThatFoundTheTargetUnderThem() async throws {
        let dir = try TempDirectory()
        let retention = HistoryRetention(maxRawRowsPerTarget: 10, maxRollupRowsPerTarget: 3)
        var store = try HistoryStore(directory: dir.path, retention: retention)
        func record(_ ticks: Range<Int>) async throws {
            // One tick per minute: one raw row and one rollup row each.
            for tick in ticks { try await store.record(tick: [sample(rss: UInt64(tick), anon: 1)], at: midnight + 60 * Double(tick)) }
        }
        func kept() async throws -> (raw: [UInt64], rollups: Int) {
            let reply = try await store.query(target: "api", since: midnight, until: midnight + 60 * 40, maxPoints: 100)
            return (reply.samples.filter { $0.count == 1 && $0.rssMin == $0.rssMax }.map(\.rssMin), reply.samples.count)
        }
        try await record(0..<2)
        try await store.prune(now: midnight + 60 * 2)
        #expect(try await kept().rollups == 2)

        try await record(2..<14)
        try await store.prune(now: midnight + 60 * 14)
        // Raw rows of the last 10 minutes; of the rollups only the newest 3, which those rows cover.
        #expect(try await kept().raw == (4..<14).map(UInt64.init))
        #expect(try await store.query(target: "api", since: midnight, until: midnight + 60 * 4 - 1, maxPoints: 100).samples.isEmpty)

        store.close()
        store = try HistoryStore(directory: dir.path, retention: retention)
        try await record(14..<20)
        try await store.prune(now: midnight + 60 * 20)
        #expect(try await kept().raw == (10..<20).map(UInt64.init))
    }

    @Test func downsampledQueryKeepsTheSpikeAndTheDip() async throws {
        let dir = try TempDirectory()
        let store = try HistoryStore(directory: dir.path)
        for tick in 0..<1000 {
            let rss: UInt64 = tick == 537 ? 5000 : tick == 123 ? 1 : 100
            try await store.record(tick: [sample(rss: rss, anon: rss)], at: midnight + Double(tick))
        }
        let reply = try await store.query(target: "api", since: midnight, until: midnight + 1000, maxPoints: 50)
        #expect(reply.samples.count <= 50)
        #expect(reply.samples.map(\.rssMax).max() == 5000)
        #expect(reply.samples.map(\.rssMin).min() == 1)
        #expect(reply.samples.map(\.anonMax).max() == 5000)
        #expect(reply.samples.reduce(0) { $0 + $1.count } == 1000)
    }

    /// Two workers of one target side by side, 100 and 5000 bytes: downsampled, each keeps its own
    /// points (no point spans 100…5000), and `pid` gives one of them with its own events.
    @Test func processesSideBySideAreDownsampledApartAndOneCanBeAskedFor() async throws {
        let dir = try TempDirectory()
        let store = try HistoryStore(directory: dir.path)
        for tick in 0..<1000 {
            try await store.record(tick: [sample(pid: 100, rss: 100, anon: 100), sample(pid: 200, rss: 5000, anon: 5000)],
                                   at: midnight + Double(tick))
        }
        try await store.record(event: HistoryEvent(time: midnight + 5, target: "api", pid: 100, kind: .captureRefused, message: "no handler"))
        try await store.record(event: HistoryEvent(time: midnight + 6, target: "api", pid: 200, kind: .capture, message: "stored"))
        try await store.record(event: HistoryEvent(time: midnight + 7, target: nil, kind: .configRejected, message: "bad"))
        let both = try await store.query(target: "api", since: midnight, until: midnight + 1000, maxPoints: 50)
        #expect(Set(both.samples.compactMap(\.pid)) == [100, 200])
        #expect(both.samples.allSatisfy { $0.rssMax == $0.rssMin }, "a point mixes the two processes")
        #expect(both.samples.filter { $0.pid == 200 }.count <= 50)
        let one = try await store.query(target: "api", pid: 200, since: midnight, until: midnight + 1000, maxPoints: 50)
        #expect(one.samples.allSatisfy { $0.pid == 200 && $0.rssMax == 5000 })
        #expect(one.samples.reduce(0) { $0 + $1.count } == 1000)
        #expect(one.events.map(\.message) == ["stored", "bad"])
    }

    @Test func eventsRoundTripWithDetailsAndDaemonWideOnes() async throws {
        let dir = try TempDirectory()
        let store = try HistoryStore(directory: dir.path)
        let capture = HistoryEvent(time: midnight + 10.25, target: "api", pid: 4242, kind: .capture, message: "snapshot stored",
                                   details: ["path": "/var/lib/heapwatch/snapshots/api/x.heapsnapshot", "bytes": "1234"])
        let rejected = HistoryEvent(time: midnight + 20, target: nil, kind: .configRejected, message: "bad regex at 3:9")
        let other = HistoryEvent(time: midnight + 15, target: "worker", kind: .captureRefused, message: "no handler")
        let custom = HistoryEvent(time: midnight + 30, target: "api", kind: "inspector_opened", message: "SIGUSR1")
        for event in [capture, rejected, other, custom] { try await store.record(event: event) }
        let reply = try await store.query(target: "api", since: midnight, until: midnight + 60)
        #expect(reply.events == [capture, rejected, custom])
        let decoded = try JSONDecoder().decode(HistoryReply.self, from: JSONEncoder().encode(reply))
        #expect(decoded == reply)
    }

    @Test func aCorruptFileIsNamedAndCanBeMovedAsideForAFreshOne() async throws {
        let dir = try TempDirectory()
        let path = dir.file(HistoryStore.fileName)
        let garbage = Data(String(repeating: "this is not a database\n", count: 400).utf8)
        #expect(FileManager.default.createFile(atPath: path, contents: garbage, attributes: [.posixPermissions: 0o600]))

        do {
            _ = try HistoryStore(directory: dir.path)
            Issue.record("opening a garbage file should throw")
        } catch {
            guard case .corrupt(let named, _) = error else { Issue.record("expected .corrupt, got \(error)"); return }
            #expect(named == path)
            #expect(error.description.contains(path))
        }

        let (store, aside) = try HistoryStore.openRecovering(directory: dir.path, now: midnight + 3723)
        #expect(aside == path + ".corrupt-20261125T010203Z")
        #expect(FileManager.default.contents(atPath: try #require(aside)) == garbage)
        try await store.record(tick: [sample(rss: 1, anon: 1)], at: midnight)
        let reply = try await store.query(target: "api", since: midnight, until: midnight + 1)
        #expect(reply.samples.count == 1)
    }

    @Test func aDamagedPageIsFoundByTheCheckAndRecovered() async throws {
        let dir = try TempDirectory()
        do {
            let store = try HistoryStore(directory: dir.path)
            for tick in 0..<3000 {
                try await store.record(tick: [sample(rss: UInt64(tick), anon: 1)], at: midnight + Double(tick))
            }
            store.close()
        }
        // Overwrite pages in the middle of the file (past the header page, so it still opens).
        let handle = try #require(FileHandle(forUpdatingAtPath: dir.file(HistoryStore.fileName)))
        let size = try handle.seekToEnd()
        #expect(size > 40_000)
        try handle.seek(toOffset: 8192)
        handle.write(Data(repeating: 0xA5, count: Int(size) - 12_288))
        try handle.close()

        let (store, aside) = try HistoryStore.openRecovering(directory: dir.path, now: midnight)
        #expect(aside != nil)
        let reply = try await store.query(target: "api", since: midnight, until: midnight + 3000)
        #expect(reply.samples.isEmpty)
    }

    @Test func aStoreFoundCorruptWhileRunningIsReplacedByAFreshOne() async throws {
        let dir = try TempDirectory()
        let store = try HistoryStore(directory: dir.path)
        try await store.record(tick: [sample(rss: 1, anon: 1)], at: midnight)
        store.close()
        let (fresh, aside) = try HistoryStore.startFresh(directory: dir.path, now: midnight + 59)
        #expect(aside == dir.file("history.sqlite.corrupt-20261125T000059Z"))
        #expect(FileManager.default.fileExists(atPath: aside))
        let reply = try await fresh.query(target: "api", since: midnight, until: midnight + 60)
        #expect(reply.samples.isEmpty)
    }

    @Test func anUnopenablePathSaysWhichFile() throws {
        let dir = try TempDirectory()
        let notADirectory = dir.file("plain-file")
        #expect(FileManager.default.createFile(atPath: notADirectory, contents: Data("x".utf8)))
        #expect {
            _ = try HistoryStore(directory: notADirectory)
        } throws: { error in
            guard let error = error as? HistoryError, case .cannotOpen(let path, _) = error else { return false }
            return path == notADirectory + "/history.sqlite" && error.description.contains(path)
        }
    }

    /// What a restarted daemon replays: every target's raw samples since a time, oldest first, with
    /// the instance, the figures and whether a capture was under way.
    @Test func recentTicksGiveEveryTargetsSamplesSinceATimeWithTheirCaptureMarks() async throws {
        let dir = try TempDirectory()
        let store = try HistoryStore(directory: dir.path)
        for tick in 0..<4 {
            var api = sample(rss: 1000 + UInt64(tick), anon: 500 + UInt64(tick), swap: 7)
            api.capturing = tick == 2
            api.captureEndedUntouched = tick >= 2
            api.heapUsedBytes = tick == 3 ? 321 : nil
            try await store.record(tick: [api, sample("web", pid: 200, rss: 9, anon: 8)], at: midnight + Double(tick) * 5)
        }
        let ticks = try await store.recentTicks(since: midnight + 5)
        #expect(ticks.map(\.time) == [5, 5, 10, 10, 15, 15].map { midnight + $0 })
        let api = ticks.filter { $0.sample.target == "api" }.map(\.sample)
        #expect(api.map(\.anonBytes) == [501, 502, 503])
        #expect(api.map(\.capturing) == [false, true, false])
        #expect(api.map(\.captureEndedUntouched) == [false, true, true])
        #expect(api.map(\.heapUsedBytes) == [nil, nil, 321])
        #expect(api.allSatisfy { $0.pid == 100 && $0.startTime == 5000 && $0.swapBytes == 7 })
        #expect(ticks.filter { $0.sample.target == "web" }.map(\.sample.rssBytes) == [9, 9, 9])
    }
}
