/// How long and how much history is kept. The defaults bound the file for any interval: raw
/// samples at most `maxRawRowsPerTarget` per target (about 70 bytes each on disk), rollups one row
/// per process per minute, events at most `maxEvents`.
public struct HistoryRetention: Sendable, Equatable {
    /// Raw samples, seconds (default 24 h).
    public var rawSeconds: Double
    /// 1-minute rollups, seconds (default 30 days).
    public var rollupSeconds: Double
    /// Events, seconds (default 30 days).
    public var eventSeconds: Double
    /// Newest raw rows kept per target, whatever their age: a 1 s interval or many processes per
    /// target then keep less than 24 h of raw samples, and the rollups still cover the rest.
    public var maxRawRowsPerTarget: Int
    /// Newest events kept, all targets together: a flapping state cannot fill the disk.
    public var maxEvents: Int
    /// Rollup rows kept per target: 30 days of minutes for up to 4 processes at once.
    public var maxRollupRowsPerTarget: Int

    public init(rawSeconds: Double = 86_400, rollupSeconds: Double = 30 * 86_400, eventSeconds: Double = 30 * 86_400,
                maxRawRowsPerTarget: Int = 100_000, maxEvents: Int = 100_000, maxRollupRowsPerTarget: Int = 4 * 30 * 1440) {
        self.rawSeconds = rawSeconds
        self.rollupSeconds = rollupSeconds
        self.eventSeconds = eventSeconds
        self.maxRawRowsPerTarget = max(1, maxRawRowsPerTarget)
        self.maxEvents = max(1, maxEvents)
        self.maxRollupRowsPerTarget = max(1, maxRollupRowsPerTarget)
    }

    public static let standard = HistoryRetention()
}
