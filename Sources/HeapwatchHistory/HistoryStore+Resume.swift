import GRDB

/// One raw sample as it was recorded, with its time: what a restarted daemon replays into the trend.
public struct RecordedTick: Sendable, Equatable {
    /// Unix seconds, UTC.
    public var time: Double
    public var sample: HistorySample

    public init(time: Double, sample: HistorySample) {
        self.time = time
        self.sample = sample
    }
}

extension HistoryStore {
    /// Every raw sample of every target recorded at `since` (Unix seconds) or later, oldest first:
    /// a restarted daemon goes on from the trend of each process instance still running instead of
    /// judging it afresh from its first sample.
    /// The events of `kind` since `since` (Unix seconds) of every target, oldest first: a restarted
    /// daemon takes back its targets' latest deaths of memory from them.
    public func recentEvents(kind: HistoryEvent.Kind, since: Double) async throws(HistoryError) -> [HistoryEvent] {
        let sinceMs = Self.milliseconds(since)
        return try await read("recent events") { db in
            try Row.fetchAll(db, sql: """
                SELECT time_ms, target, pid, kind, message, details FROM event
                WHERE kind = ? AND time_ms >= ? ORDER BY time_ms, id
                """, arguments: [kind.rawValue, sinceMs]).map(Self.event)
        }
    }

    public func recentTicks(since: Double) async throws(HistoryError) -> [RecordedTick] {
        let sinceMs = Self.milliseconds(since)
        return try await read("recent samples") { db in
            var ticks: [RecordedTick] = []
            let rows = try Row.fetchCursor(db, sql: """
                SELECT t.name, s.time_ms, s.pid, s.start_time, s.rss_bytes, s.anon_bytes, s.heap_used_bytes,
                       s.limit_bytes, s.state, s.slope_bytes_per_hour, s.swap_bytes, s.capturing
                FROM sample s JOIN target t ON t.id = s.target_id
                WHERE s.time_ms >= ? ORDER BY s.time_ms, s.target_id, s.pid
                """, arguments: [sinceMs])
            while let row = try rows.next() {
                let flags = HistorySample.captureFlags(row[11] as Int64)
                let heapUsed: Int64? = row[6]
                let limit: Int64? = row[7]
                let sample = HistorySample(
                    target: row[0], pid: Int32(truncatingIfNeeded: row[2] as Int64), startTime: UInt64(max(0, row[3] as Int64)),
                    rssBytes: UInt64(max(0, row[4] as Int64)), anonBytes: UInt64(max(0, row[5] as Int64)),
                    heapUsedBytes: heapUsed.map { UInt64(max(0, $0)) }, limitBytes: limit.map { UInt64(max(0, $0)) },
                    state: row[8], slopeBytesPerHour: row[9], swapBytes: UInt64(max(0, row[10] as Int64)),
                    capturing: flags.capturing, captureEndedUntouched: flags.endedUntouched)
                ticks.append(RecordedTick(time: Double(row[1] as Int64) / 1000, sample: sample))
            }
            return ticks
        }
    }
}
