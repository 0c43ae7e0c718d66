import Foundation
import GRDB

extension HistoryStore {
    /// Records one tick's samples, all at `time` (Unix seconds), in one transaction: one row each.
    /// `prune` folds them into their 1-minute rollups later (a sample older than what was already
    /// folded, after the clock went back, is folded at once). A sample already recorded for the
    /// same target, time and pid is ignored (and not counted twice in the rollup).
    public func record(tick samples: [HistorySample], at time: Double) async throws(HistoryError) {
        guard !samples.isEmpty else { return }
        let timeMs = Self.milliseconds(time)
        let bounds = rowBounds
        try await write("record tick") { db in try Self.insert(samples, timeMs: timeMs, bounds: bounds, db: db) }
    }

    /// The same, blocking the calling thread (for a helper without async context).
    public func recordSynchronously(tick samples: [HistorySample], at time: Double) throws(HistoryError) {
        guard !samples.isEmpty else { return }
        let timeMs = Self.milliseconds(time)
        do {
            try pool.write { db in try Self.insert(samples, timeMs: timeMs, bounds: rowBounds, db: db) }
        } catch {
            throw Self.classify(error, path: path, operation: "record tick")
        }
    }

    public func record(event: HistoryEvent) async throws(HistoryError) {
        let details: String? = try event.details.map { details throws(HistoryError) in
            do {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                return String(decoding: try encoder.encode(details), as: UTF8.self)
            } catch {
                throw .failed(path: path, operation: "record event", reason: "details not encodable: \(error)")
            }
        }
        try await write("record event") { db in
            try db.execute(
                sql: "INSERT INTO event (time_ms, target, pid, kind, message, details) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [Self.milliseconds(event.time), event.target, event.pid.map { Int64($0) },
                            event.kind.rawValue, event.message, details])
        }
    }

    /// Deletes what is past retention (`now` in Unix seconds) and what is over the row caps.
    /// Freed pages are reused by later inserts, so the file stops growing at its high-water mark.
    /// Cheap enough to call once a minute: finding a cap's boundary walks up to the cap's number of
    /// index entries (~2 ms per 100,000), so it is done only for a target whose rows may have
    /// reached the cap (`RowBounds`).
    public func prune(now: Double) async throws(HistoryError) {
        let retention = retention
        let rawCutoff = Self.milliseconds(now - retention.rawSeconds)
        let rollupCutoff = Int64((now - retention.rollupSeconds) / 60)
        let eventCutoff = Self.milliseconds(now - retention.eventSeconds)
        let bounds = rowBounds
        do {
            try await write("prune") { db in
                // Every raw sample is in the rollups before any is deleted.
                try db.execute(sql: Self.foldIntoRollups)
                try db.execute(sql: """
                    UPDATE target SET rolled_until_ms = (SELECT max(time_ms) + 1 FROM sample WHERE target_id = target.id)
                    WHERE EXISTS (SELECT 1 FROM sample WHERE target_id = target.id AND time_ms >= target.rolled_until_ms)
                    """)
                let targets = try Int64.fetchAll(db, sql: "SELECT id FROM target")
                for target in targets {
                    try db.execute(sql: "DELETE FROM sample WHERE target_id = ? AND time_ms < ?", arguments: [target, rawCutoff])
                    try db.execute(sql: "DELETE FROM rollup WHERE target_id = ? AND minute < ?", arguments: [target, rollupCutoff])
                    let known = bounds.bound(of: target)
                    let raw = try Self.cap(.raw, target: target, to: retention.maxRawRowsPerTarget, knownAtMost: known?.raw, db: db)
                    let rollup = try Self.cap(.rollup, target: target, to: retention.maxRollupRowsPerTarget, knownAtMost: known?.rollup, db: db)
                    let left = try Bool.fetchOne(db, sql: """
                        SELECT EXISTS (SELECT 1 FROM sample WHERE target_id = ?1) OR EXISTS (SELECT 1 FROM rollup WHERE target_id = ?1)
                        """, arguments: [target]) ?? true
                    if left {
                        bounds.set(target, RowBounds.Bound(raw: raw, rollup: rollup))
                    } else {
                        try db.execute(sql: "DELETE FROM target WHERE id = ?", arguments: [target])
                        bounds.forget(target)
                    }
                }
                try db.execute(sql: "DELETE FROM event WHERE time_ms < ?", arguments: [eventCutoff])
                // Ids grow by one per event and only the oldest are deleted, so this keeps at most
                // the newest `maxEvents` (fewer where a late event's time left a gap) with one lookup.
                try db.execute(sql: "DELETE FROM event WHERE id <= (SELECT max(id) FROM event) - ?", arguments: [retention.maxEvents])
            }
        } catch {
            // A rolled-back transaction leaves the bounds unproven: count again next time.
            bounds.forgetAll()
            throw error
        }
    }

    /// Folds every target's raw samples from its `rolled_until_ms` on into their minutes'
    /// rollups, adding to a minute already partly folded. One statement for all targets, each a
    /// range of the (target, time) key: CROSS JOIN keeps SQLite from scanning every sample. Times
    /// are positive, so `/` floors.
    static let foldIntoRollups = """
        INSERT INTO rollup (target_id, minute, pid, count, rss_min, rss_max, rss_sum, anon_min, anon_max, anon_sum,
                            swap_min, swap_max, swap_sum)
        SELECT s.target_id, s.time_ms / 60000, s.pid, count(*), min(s.rss_bytes), max(s.rss_bytes), sum(s.rss_bytes),
               min(s.anon_bytes), max(s.anon_bytes), sum(s.anon_bytes), min(s.swap_bytes), max(s.swap_bytes), sum(s.swap_bytes)
        FROM target t CROSS JOIN sample s ON s.target_id = t.id AND s.time_ms >= t.rolled_until_ms
        WHERE true
        GROUP BY s.target_id, s.time_ms / 60000, s.pid
        """ + addToRollup

    /// Folds one sample into its minute's rollup (`?1` target, `?2` minute, `?3` pid, `?4` RSS,
    /// `?5` anonymous, `?6` swap bytes): for a sample recorded behind what prune has folded.
    static let foldOneIntoRollup = """
        INSERT INTO rollup (target_id, minute, pid, count, rss_min, rss_max, rss_sum, anon_min, anon_max, anon_sum,
                            swap_min, swap_max, swap_sum)
        VALUES (?1, ?2, ?3, 1, ?4, ?4, ?4, ?5, ?5, ?5, ?6, ?6, ?6)
        """ + addToRollup

    /// Adds the new rows to a minute already in the rollups.
    static let addToRollup = """
         ON CONFLICT (target_id, minute, pid) DO UPDATE SET
            count = count + excluded.count,
            rss_min = min(rss_min, excluded.rss_min), rss_max = max(rss_max, excluded.rss_max),
            rss_sum = rss_sum + excluded.rss_sum,
            anon_min = min(anon_min, excluded.anon_min), anon_max = max(anon_max, excluded.anon_max),
            anon_sum = anon_sum + excluded.anon_sum,
            swap_min = min(swap_min, excluded.swap_min), swap_max = max(swap_max, excluded.swap_max),
            swap_sum = swap_sum + excluded.swap_sum
        """

    enum RowTable {
        case raw, rollup

        var table: String { self == .raw ? "sample" : "rollup" }
        var time: String { self == .raw ? "time_ms" : "minute" }
    }

    /// Keeps a target's newest `cap` rows of `table` (and any sharing the oldest kept time) and
    /// returns an upper bound of the rows left. Counts only when `knownAtMost` says the cap may be
    /// reached.
    private static func cap(_ table: RowTable, target: Int64, to cap: Int, knownAtMost: Int?, db: Database) throws -> Int {
        if let knownAtMost, knownAtMost <= cap { return knownAtMost }
        let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT 1 FROM \(table.table) WHERE target_id = ? LIMIT ?)",
                                     arguments: [target, cap + 1]) ?? 0
        guard count > cap else { return count }
        if let oldestKept = try Int64.fetchOne(db, sql: """
            SELECT \(table.time) FROM \(table.table) WHERE target_id = ? ORDER BY \(table.time) DESC LIMIT 1 OFFSET ?
            """, arguments: [target, cap - 1]) {
            try db.execute(sql: "DELETE FROM \(table.table) WHERE target_id = ? AND \(table.time) < ?", arguments: [target, oldestKept])
        }
        return cap
    }

    // MARK: - Helpers

    static func milliseconds(_ seconds: Double) -> Int64 { Int64((seconds * 1000).rounded()) }

    private static func insert(_ samples: [HistorySample], timeMs: Int64, bounds: RowBounds, db: Database) throws {
        let insertSample = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO sample (target_id, time_ms, pid, start_time, rss_bytes, anon_bytes,
                heap_used_bytes, limit_bytes, state, slope_bytes_per_hour, swap_bytes, capturing)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        var targets: [String: (id: Int64, rolledUntil: Int64)] = [:]
        for sample in samples {
            let target: (id: Int64, rolledUntil: Int64)
            if let known = targets[sample.target] {
                target = known
            } else {
                target = try Self.target(sample.target, db: db)
                targets[sample.target] = target
            }
            try insertSample.execute(arguments: [
                target.id, timeMs, Int64(sample.pid), Int64(clamping: sample.startTime),
                Int64(clamping: sample.rssBytes), Int64(clamping: sample.anonBytes),
                sample.heapUsedBytes.map { Int64(clamping: $0) }, sample.limitBytes.map { Int64(clamping: $0) },
                sample.state, sample.slopeBytesPerHour, Int64(clamping: sample.swapBytes),
                HistorySample.captureFlags(capturing: sample.capturing, endedUntouched: sample.captureEndedUntouched),
            ])
            guard db.changesCount > 0 else { continue }
            // At most one more rollup row when it is folded. A rolled-back insert only overstates
            // the bounds: prune then counts a little early.
            bounds.added(to: target.id)
            if timeMs < target.rolledUntil {
                // Behind what prune has folded already (the wall clock went back): fold it now.
                try db.cachedStatement(sql: foldOneIntoRollup).execute(arguments: [
                    target.id, timeMs.floorDivided(by: 60_000), Int64(sample.pid),
                    Int64(clamping: sample.rssBytes), Int64(clamping: sample.anonBytes), Int64(clamping: sample.swapBytes),
                ])
            }
        }
    }

    /// The target's row id and fold mark, adding the row the first time: a lookup per target and
    /// tick, an insert only for a new target (or one `prune` forgot).
    private static func target(_ name: String, db: Database) throws -> (id: Int64, rolledUntil: Int64) {
        if let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, rolled_until_ms FROM target WHERE name = ?"), arguments: [name]) {
            return (row[0], row[1])
        }
        try db.cachedStatement(sql: "INSERT INTO target (name) VALUES (?)").execute(arguments: [name])
        return (db.lastInsertedRowID, 0)
    }

    func write(_ operation: String, _ updates: @escaping @Sendable (Database) throws -> Void) async throws(HistoryError) {
        do {
            try await pool.write(updates)
        } catch {
            throw Self.classify(error, path: path, operation: operation)
        }
    }

    func read<T: Sendable>(_ operation: String, _ value: @escaping @Sendable (Database) throws -> T) async throws(HistoryError) -> T {
        do {
            return try await pool.read(value)
        } catch {
            throw Self.classify(error, path: path, operation: operation)
        }
    }
}
