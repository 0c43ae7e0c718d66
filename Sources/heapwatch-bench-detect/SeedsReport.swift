import Dispatch
import HeapwatchTrend
import Synchronization

/// `--seeds N`: the synthetic corpus run N times, each with every seed moved by 1000 × k (other
/// noise, sawtooth phases and bursts), so a figure of the default run can be told from the luck of
/// one seed. Per case: how often the leak was found and how fast, the ETA at the first `leaking`
/// over the seeds, and false alerts on the non-leaks.
enum SeedsReport {
    static func print(policy: TrendPolicy, seeds: Int) {
        let runs = Mutex([[(BenchCase, CaseResult)]](repeating: [], count: seeds))
        DispatchQueue.concurrentPerform(iterations: seeds) { k in
            let cases = Corpus.synthetic(policy: policy, seedOffset: UInt64(k) * 1000)
            // The samples are dropped once run: 20 corpora of them would take gigabytes.
            let results = cases.map { c in (c.withoutSamples, Evaluation.run(c)) }
            runs.withLock { $0[k] = results }
        }
        let all = runs.withLock { $0 }
        guard let first = all.first else { return }
        Swift.print("heapwatch-bench-detect --seeds \(seeds): the synthetic corpus with \(seeds) seeds per case (window \(Int(policy.window / 60))m, growth_max \(Int(policy.growthMax / SyntheticTrace.mib))MiB/h)")
        Swift.print("found = seeds where the leak was found; latency = median / worst; ETA err = median at the first `leaking`; "
            + "first ±20 % = seeds within ±20 % at the first `leaking`; ETA ok = mean / worst share of `leaking` ticks within ±20 %\n")
        var group = ""
        var firstWithin = 0, firstCount = 0
        var shares: [Double] = []
        var worst30 = 0.0
        var flagged30 = 0.0
        var falseOnTargets = 0
        for (index, entry) in first.enumerated() {
            let key = entry.0
            let results = all.map { $0[index].1 }
            if key.group != group {
                group = key.group
                Swift.print("\n== \(group)")
                Swift.print(Report.pad("case", 34) + (key.isLeak
                    ? Report.pad("found", 7) + Report.pad("latency", 16) + Report.pad("alerts", 8) + Report.pad("ETA err", 9)
                        + Report.pad("first ±20 %", 13) + "ETA ok"
                    : Report.pad("false leaking", 15) + Report.pad("seeds with one", 16) + "grow!"))
            }
            let name = Report.pad(key.name + (key.stress ? "ˢ" : ""), 34)
            if key.isLeak {
                let latencies = results.compactMap { key.mustLeak ? $0.heapwatch.latency : $0.growingLatency }.sorted()
                let errors = results.compactMap(\.etaErrorAtDetection).sorted()
                let within = errors.filter { abs($0) <= 0.2 }.count
                let ok = results.compactMap(\.etaWithin20)
                let counted = key.mustLeak && !key.stress && key.crashTime != nil
                if counted {
                    firstWithin += within
                    firstCount += errors.count
                    shares += ok
                    if key.isThirtyMiBTarget {
                        worst30 = max(worst30, latencies.count < seeds ? .infinity : latencies.last ?? .infinity)
                        let flagged = results.compactMap(\.growingLatency)
                        flagged30 = max(flagged30, flagged.count < seeds ? .infinity : flagged.max() ?? .infinity)
                    }
                }
                let latency = latencies.isEmpty ? "-"
                    : "\(Report.duration(latencies[latencies.count / 2])) / \(Report.duration(latencies.last!))"
                let alerts = results.map(\.leakAlerts).max() ?? 0
                Swift.print(name + Report.pad("\(latencies.count)/\(seeds)", 7) + Report.pad(latency, 16) + Report.pad("≤\(alerts)", 8)
                    + Report.pad(errors.isEmpty ? "-" : Report.percent(errors[errors.count / 2]), 9)
                    + Report.pad(errors.isEmpty ? "-" : "\(within)/\(errors.count)", 13)
                    + (ok.isEmpty ? "-" : "\(Report.share(ok.reduce(0, +) / Double(ok.count))) / \(Report.share(ok.min()))"))
            } else {
                let falses = results.map(\.heapwatch.falseAlerts)
                if !key.stress { falseOnTargets += falses.reduce(0, +) }
                Swift.print(name + Report.pad("\(falses.reduce(0, +))", 15) + Report.pad("\(falses.filter { $0 > 0 }.count)/\(seeds)", 16)
                    + "\(results.map(\.falseGrowing).reduce(0, +))")
            }
        }
        Swift.print("\nTargets over \(seeds) seeds (not stress cases)")
        Report.thirtyMiBTarget(worstLeaking: worst30, worstFlagged: flagged30, scope: "").forEach { Swift.print($0) }
        Swift.print("  zero false `leaking` on non-leak traces: \(falseOnTargets) — \(falseOnTargets == 0 ? "met" : "MISSED")")
        let mean = shares.isEmpty ? 0 : shares.reduce(0, +) / Double(shares.count)
        Swift.print("  ETA within ±20 % at the first `leaking`: \(firstWithin)/\(firstCount) runs; over all `leaking` ticks \(Report.share(mean)) on average, "
            + "worst \(Report.share(shares.min()))")
    }
}

extension BenchCase {
    /// The case without its samples, for reports kept after the run.
    var withoutSamples: BenchCase {
        var c = self
        c.samples = []
        return c
    }
}
