import Foundation
import GRDB
import TestSupport
import Testing
@testable import HeapwatchHistory

/// Rollups are folded from the raw samples at prune time: each sample exactly once, whether its
/// minute is folded in one prune or across two, whether it arrives after its minute was folded
/// (the wall clock went back), and in a file written by a version that folded at every tick.
@Suite struct RollupFoldTests {
    /// The rollups alone: raw samples are all pruned by the time the query runs.
    static func rollups(_ store: HistoryStore) async throws -> [HistoryPoint] {
        try await store.query(target: "api", since: midnight, until: midnight + 600, maxPoints: 100).samples
    }

    @Test func aMinuteFoldedAcrossTwoPrunesIsCountedOnce() async throws {
        let dir = try TempDirectory()
        let store = try HistoryStore(directory: dir.path, retention: HistoryRetention(rawSeconds: 60))
        try await store.record(tick: [sample(rss: 100, anon: 10)], at: midnight)
        try await store.record(tick: [sample(rss: 400, anon: 40)], at: midnight + 10)
        try await store.prune(now: midnight + 15)
        try await store.record(tick: [sample(rss: 200, anon: 20)], at: midnight + 20)
        try await store.record(tick: [sample(rss: 300, anon: 30)], at: midnight + 50)
        try await store.prune(now: midnight + 600)
        let minute = try #require(try await Self.rollups(store).first)
        #expect(try await Self.rollups(store).count == 1)
        #expect(minute.count == 4 && minute.rssMin == 100 && minute.rssMax == 400 && minute.rssBytes == 250)
        #expect(minute.anonMin == 10 && minute.anonMax == 40 && minute.anonBytes == 25)
    }

    @Test func aSampleBehindTheFoldIsFoldedAtOnceAndOnlyOnce() async throws {
        let dir = try TempDirectory()
        let store = try HistoryStore(directory: dir.path, retention: HistoryRetention(rawSeconds: 60))
        try await store.record(tick: [sample(rss: 100, anon: 10), sample("api", pid: 7, rss: 5, anon: 5)], at: midnight + 30)
        try await store.prune(now: midnight + 40)
        // The clock went back 20 s: this tick lands before what was folded.
        try await store.record(tick: [sample(rss: 300, anon: 30), sample("api", pid: 7, rss: 7, anon: 7)], at: midnight + 10)
        // The same tick again is ignored, as always.
        try await store.record(tick: [sample(rss: 900, anon: 90)], at: midnight + 10)
        try await store.prune(now: midnight + 600)
        let minutes = try await Self.rollups(store)
        #expect(minutes.map(\.count) == [2, 2], "\(minutes)")
        let api = try #require(minutes.first { $0.pid == 100 })
        #expect(api.rssMin == 100 && api.rssMax == 300 && api.rssBytes == 200)
        let other = try #require(minutes.first { $0.pid == 7 })
        #expect(other.rssMin == 5 && other.rssMax == 7)
    }

    /// A file written by the first schema, which folded each sample as it was recorded: opening
    /// it marks every existing sample as folded, so pruning does not count them again.
    @Test func aFileFromTheFirstSchemaIsNotFoldedTwice() async throws {
        let dir = try TempDirectory()
        let path = dir.file(HistoryStore.fileName)
        let queue = try DatabaseQueue(path: path)
        try HistorySchema.migrator.migrate(queue, upTo: "v1")
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO target (id, name) VALUES (1, 'api')")
            for (second, rss) in [(0, 100), (30, 300)] {
                try db.execute(sql: """
                    INSERT INTO sample (target_id, time_ms, pid, start_time, rss_bytes, anon_bytes, state)
                    VALUES (1, ?, 100, 5000, ?, ?, 'ok')
                    """, arguments: [Int64(midnight + Double(second)) * 1000, rss, rss / 10])
            }
            try db.execute(sql: """
                INSERT INTO rollup (target_id, minute, pid, count, rss_min, rss_max, rss_sum, anon_min, anon_max, anon_sum)
                VALUES (1, ?, 100, 2, 100, 300, 400, 10, 30, 40)
                """, arguments: [Int64(midnight) / 60])
        }
        try queue.close()

        let store = try HistoryStore(directory: dir.path, retention: HistoryRetention(rawSeconds: 60))
        try await store.record(tick: [sample(rss: 200, anon: 20, swap: 9)], at: midnight + 50)
        // Samples from before capture marks read as taken with no capture under way.
        let ticks = try await store.recentTicks(since: midnight)
        #expect(ticks.map(\.sample.rssBytes) == [100, 300, 200] && ticks.allSatisfy { !$0.sample.capturing })
        try await store.prune(now: midnight + 600)
        let minutes = try await Self.rollups(store)
        #expect(minutes.map(\.count) == [3], "\(minutes)")
        #expect(minutes.first?.rssBytes == 200 && minutes.first?.rssMax == 300)
        // The schema before swap: its samples and rollups count as none in swap.
        #expect(minutes.first?.swapMin == 0 && minutes.first?.swapMax == 9 && minutes.first?.swapBytes == 3)
    }
}
