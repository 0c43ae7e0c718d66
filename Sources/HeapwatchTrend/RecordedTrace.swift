/// The traces recorded at 1 s from real Node programs (`scripts/record-trace.sh`,
/// `Benchmarks/traces/*.csv`), for tests and the `heapwatch-bench-detect` harness, which must
/// read and judge them alike.
public enum RecordedTrace {
    /// The traces last about 5 minutes, so they are judged with a 2-minute window and growth_max
    /// scaled to it (like the daemon's integration test).
    public static let policy = TrendPolicy(window: 120, growthMax: 60 * SyntheticTrace.mib)

    /// Samples of a CSV `time_s,rss_bytes,anon_bytes`; lines that are not three numbers (the
    /// header) are skipped.
    public static func samples(csv: String) -> [TrendSample] {
        csv.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(separator: ",").compactMap { Double($0.filter { !$0.isWhitespace }) }
            guard fields.count == 3 else { return nil }
            return TrendSample(time: fields[0], anonBytes: fields[2], rssBytes: fields[1])
        }
    }
}
