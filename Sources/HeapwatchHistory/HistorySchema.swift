import GRDB

/// Tables. Times are Unix milliseconds (INTEGER: 6 bytes on disk where a REAL takes 8); targets are
/// named once in `target` and referred to by id. Samples and rollups are `WITHOUT ROWID` tables
/// clustered on (target, time): a target's range query is one b-tree walk and needs no second index.
enum HistorySchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE target (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE
                );
                CREATE TABLE sample (
                    target_id INTEGER NOT NULL,
                    time_ms INTEGER NOT NULL,
                    pid INTEGER NOT NULL,
                    start_time INTEGER NOT NULL,
                    rss_bytes INTEGER NOT NULL,
                    anon_bytes INTEGER NOT NULL,
                    heap_used_bytes INTEGER,
                    limit_bytes INTEGER,
                    state TEXT NOT NULL,
                    slope_bytes_per_hour REAL,
                    PRIMARY KEY (target_id, time_ms, pid)
                ) WITHOUT ROWID;
                CREATE TABLE rollup (
                    target_id INTEGER NOT NULL,
                    minute INTEGER NOT NULL,
                    pid INTEGER NOT NULL,
                    count INTEGER NOT NULL,
                    rss_min INTEGER NOT NULL,
                    rss_max INTEGER NOT NULL,
                    rss_sum INTEGER NOT NULL,
                    anon_min INTEGER NOT NULL,
                    anon_max INTEGER NOT NULL,
                    anon_sum INTEGER NOT NULL,
                    PRIMARY KEY (target_id, minute, pid)
                ) WITHOUT ROWID;
                CREATE TABLE event (
                    id INTEGER PRIMARY KEY,
                    time_ms INTEGER NOT NULL,
                    target TEXT,
                    pid INTEGER,
                    kind TEXT NOT NULL,
                    message TEXT NOT NULL,
                    details TEXT
                );
                CREATE INDEX event_by_time ON event(time_ms);
                CREATE INDEX event_by_target ON event(target, time_ms);
                """)
        }
        // Rollups are built from the raw samples when pruning, not one upsert per sample as it is
        // recorded: `rolled_until_ms` marks where a target's raw samples stop being in the rollups.
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
                ALTER TABLE target ADD COLUMN rolled_until_ms INTEGER NOT NULL DEFAULT 0;
                -- v1 folded every sample into its rollup as it was recorded.
                UPDATE target SET rolled_until_ms = COALESCE((SELECT max(time_ms) + 1 FROM sample WHERE target_id = target.id), 0);
                """)
        }
        // Swap: a leak on a host with swap grows in `VmSwap` while `RssAnon` stays put.
        migrator.registerMigration("v3") { db in
            try db.execute(sql: """
                ALTER TABLE sample ADD COLUMN swap_bytes INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE rollup ADD COLUMN swap_min INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE rollup ADD COLUMN swap_max INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE rollup ADD COLUMN swap_sum INTEGER NOT NULL DEFAULT 0;
                """)
        }
        // Captures: a restarted daemon replays the recent samples into the trend, and must leave
        // out those taken while a capture ran, as the trend did live. Bit 0: a capture ran or began
        // since the last sample; bit 1: one ended without reaching the process (HistorySample).
        migrator.registerMigration("v4") { db in
            try db.execute(sql: "ALTER TABLE sample ADD COLUMN capturing INTEGER NOT NULL DEFAULT 0")
        }
        return migrator
    }
}
