import HeapwatchTrend

/// The traces recorded at 1 s from real Node programs, judged with `RecordedTrace.policy`.
enum RecordedTraces {
    /// Which recordings leak; the others must never be `leaking`.
    static let leaking: Set<String> = ["node-leaky-app"]

    static func load(_ files: [(name: String, text: String)]) -> [BenchCase] {
        files.sorted { $0.name < $1.name }.compactMap { file in
            let name = file.name.replacingSuffix(".csv")
            let samples = RecordedTrace.samples(csv: file.text)
            guard samples.count > 10 else { return nil }
            return BenchCase(
                name: "recorded \(name)", group: "recorded (1 s, window 2m, growth_max 60M/h)",
                samples: samples,
                limits: .none,
                policy: RecordedTrace.policy,
                leakStart: leaking.contains(name) ? 0 : nil,
                leakRate: 0,
                crashTime: nil,
                thresholdBytes: 200 * SyntheticTrace.mib,
                mustLeak: leaking.contains(name)
            )
        }
    }
}

extension String {
    func replacingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
