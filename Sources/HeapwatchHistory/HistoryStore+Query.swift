import Foundation
import GRDB

extension HistoryStore {
    /// A target's memory between `since` and `until` (Unix seconds, inclusive) and the events in
    /// that span (the target's own and the daemon-wide ones). Raw samples are used where they still
    /// exist; older minutes come from the rollups (one point per process per minute, mean values
    /// with min and max). The result is downsampled to at most `maxPoints` (see `Downsampling`).
    /// Events are the newest `maxEvents` in the span, oldest first. With `pid`, only that process's
    /// samples, and the events of that process or of none.
    public func query(target: String, pid: Int32? = nil, since: Double, until: Double, maxPoints: Int = 600,
                      maxEvents: Int = 1000) async throws(HistoryError) -> HistoryReply {
        precondition(maxPoints > 0, "maxPoints must be positive")
        let sinceMs = Self.milliseconds(since)
        let untilMs = Self.milliseconds(until)
        let (points, events) = try await read("query") { db in
            (try Self.points(target: target, sinceMs: sinceMs, untilMs: untilMs, db: db),
             try Self.events(target: target, sinceMs: sinceMs, untilMs: untilMs, limit: maxEvents, db: db))
        }
        let samples = Downsampling.bucket(pid.map { pid in points.filter { $0.pid == pid } } ?? points, maxPoints: maxPoints,
                                          span: since...max(since, until))
        return HistoryReply(target: target, samples: samples,
                            events: pid.map { pid in events.filter { $0.pid == nil || $0.pid == pid } } ?? events)
    }

    private static func points(target: String, sinceMs: Int64, untilMs: Int64, db: Database) throws -> [HistoryPoint] {
        guard let targetID = try Int64.fetchOne(db, sql: "SELECT id FROM target WHERE name = ?", arguments: [target]) else {
            return []
        }
        // Rollups cover the minutes that overlap the span and end before the oldest raw sample left.
        let oldestRaw = try Int64.fetchOne(db, sql: "SELECT min(time_ms) FROM sample WHERE target_id = ?", arguments: [targetID])
        var points: [HistoryPoint] = []
        let rollups = try Row.fetchCursor(db, sql: """
            SELECT minute, pid, count, rss_min, rss_max, rss_sum, anon_min, anon_max, anon_sum, swap_min, swap_max, swap_sum FROM rollup
            WHERE target_id = ? AND minute >= ? AND minute * 60000 <= ? AND (minute + 1) * 60000 <= ?
            ORDER BY minute, pid
            """, arguments: [targetID, sinceMs.floorDivided(by: 60_000), untilMs, oldestRaw ?? Int64.max])
        while let row = try rollups.next() {
            let minute: Int64 = row[0]
            let pid: Int64 = row[1]
            let count: Int64 = row[2]
            let rssSum: Int64 = row[5]
            let anonSum: Int64 = row[8]
            let swapSum: Int64 = row[11]
            var point = HistoryPoint(
                time: Double(minute * 60 + 30), pid: Int32(truncatingIfNeeded: pid),
                rssBytes: UInt64((Double(rssSum) / Double(count)).rounded()),
                anonBytes: UInt64((Double(anonSum) / Double(count)).rounded()),
                rssMin: UInt64(row[3] as Int64), rssMax: UInt64(row[4] as Int64),
                anonMin: UInt64(row[6] as Int64), anonMax: UInt64(row[7] as Int64), count: Int(count))
            point.swapBytes = UInt64((Double(swapSum) / Double(count)).rounded())
            (point.swapMin, point.swapMax) = (UInt64(row[9] as Int64), UInt64(row[10] as Int64))
            points.append(point)
        }
        let raw = try Row.fetchCursor(db, sql: """
            SELECT time_ms, pid, rss_bytes, anon_bytes, swap_bytes FROM sample
            WHERE target_id = ? AND time_ms BETWEEN ? AND ? ORDER BY time_ms, pid
            """, arguments: [targetID, sinceMs, untilMs])
        while let row = try raw.next() {
            points.append(HistoryPoint(time: Double(row[0] as Int64) / 1000, pid: Int32(truncatingIfNeeded: row[1] as Int64),
                                       rssBytes: UInt64(row[2] as Int64), anonBytes: UInt64(row[3] as Int64),
                                       swapBytes: UInt64(row[4] as Int64)))
        }
        return points
    }

    private static func events(target: String, sinceMs: Int64, untilMs: Int64, limit: Int, db: Database) throws -> [HistoryEvent] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT time_ms, target, pid, kind, message, details FROM event
            WHERE (target = ? OR target IS NULL) AND time_ms BETWEEN ? AND ?
            ORDER BY time_ms DESC, id DESC LIMIT ?
            """, arguments: [target, sinceMs, untilMs, limit])
        return rows.reversed().map(event)
    }

    /// An event from a row of `time_ms, target, pid, kind, message, details`.
    static func event(_ row: Row) -> HistoryEvent {
        let details = (row[5] as String?).flatMap { text in
            try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))
        }
        return HistoryEvent(time: Double(row[0] as Int64) / 1000, target: row[1], pid: (row[2] as Int64?).map { Int32(truncatingIfNeeded: $0) },
                            kind: HistoryEvent.Kind(rawValue: row[3]), message: row[4], details: details)
    }
}
