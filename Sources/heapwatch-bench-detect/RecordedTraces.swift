import HeapwatchTrend

/// Traces recorded at 1 s from real Node programs (`scripts/record-trace.sh`), as CSV
/// `time_s,rss_bytes,anon_bytes`. They last 5 minutes, so they are judged with a short window
/// (like the daemon's integration test) and growth_max scaled to it.
enum RecordedTraces {
    static let policy = TrendPolicy(window: 120, growthMax: 60 * SyntheticTrace.mib)
    /// Which recordings leak; the others must never be `leaking`.
    static let leaking: Set<String> = ["node-leaky-app"]

    static func load(_ files: [(name: String, text: String)]) -> [BenchCase] {
        files.sorted { $0.name < $1.name }.compactMap { file in
            let name = file.name.replacingSuffix(".csv")
            let samples = parse(file.text)
            guard samples.count > 10 else { return nil }
            return BenchCase(
                name: "recorded \(name)", group: "recorded (1 s, window 2m, growth_max 60M/h)",
                samples: samples,
                limits: .none,
                policy: policy,
                leakStart: leaking.contains(name) ? 0 : nil,
                leakRate: 0,
                crashTime: nil,
                thresholdBytes: 200 * SyntheticTrace.mib,
                mustLeak: leaking.contains(name)
            )
        }
    }

    static func parse(_ text: String) -> [TrendSample] {
        text.split(whereSeparator: \.isNewline).dropFirst().compactMap { line in
            let fields = line.split(separator: ",").compactMap { Double($0) }
            guard fields.count >= 3 else { return nil }
            return TrendSample(time: fields[0], anonBytes: fields[2], rssBytes: fields[1])
        }
    }
}

extension String {
    func replacingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
