import HeapwatchTrend

/// `--capture-step`: the corpus run three ways — captures leave nothing; they leave the step and
/// the tracker is told (heapwatchd); they leave it and it is not (the trend reads it as growth).
enum CaptureStepReport {
    static func print(cases: [BenchCase], stepBytes: Double) {
        let mib = SyntheticTrace.mib
        Swift.print("heapwatch-bench-detect --capture-step \(Int(stepBytes / mib)): each capture leaves \(Int(stepBytes / mib)) MiB resident")
        Swift.print("per case: alerts (entries into `leaking`) / share of `leaking` ticks with the ETA within ±20 % / false `leaking` + `growing` entries on a non-leak")
        Swift.print("the true time left counts the memory the captures left\n")
        let ways: [(String, CaptureEffect)] = [
            ("no step", CaptureEffect()),
            ("step, told", CaptureEffect(stepBytes: stepBytes, tellTracker: true)),
            ("step, untold", CaptureEffect(stepBytes: stepBytes, tellTracker: false)),
        ]
        Swift.print(Report.pad("case", 34) + ways.map { Report.pad($0.0, 22) }.joined())
        var totals = [(alerts: Int, etaOk: [Double], falseLeaking: Int, falseGrowing: Int)](repeating: (0, [], 0, 0), count: ways.count)
        let leaks = cases.filter { !$0.stress && $0.mustLeak && $0.crashTime != nil }.count
        for c in cases where !c.stress {
            var cells: [String] = []
            for (index, way) in ways.enumerated() {
                let r = Evaluation.run(c, captures: way.1)
                if c.isLeak {
                    let ok = r.etaWithin20.map(Report.percent) ?? "-"
                    cells.append("\(r.leakAlerts) alert\(r.leakAlerts == 1 ? "" : "s") / \(ok)")
                    if c.mustLeak, c.crashTime != nil {
                        totals[index].alerts += r.leakAlerts
                        if let w = r.etaWithin20 { totals[index].etaOk.append(w) }
                    }
                } else {
                    let entries = r.heapwatch.falseAlerts + r.falseGrowing
                    cells.append("\(entries) false (\(r.heapwatch.falseAlerts) leaking)")
                    totals[index].falseLeaking += r.heapwatch.falseAlerts
                    totals[index].falseGrowing += r.falseGrowing
                }
            }
            Swift.print(Report.pad(c.name, 34) + cells.map { Report.pad($0, 22) }.joined())
        }
        Swift.print("\nTargets held (not stress cases)")
        for (index, way) in ways.enumerated() {
            let t = totals[index]
            let mean = t.etaOk.isEmpty ? 0 : t.etaOk.reduce(0, +) / Double(t.etaOk.count)
            Swift.print("  \(Report.pad(way.0, 13)) \(t.alerts) alerts on \(leaks) leaks; ETA within ±20 % on \(Report.percent(mean)) of `leaking` ticks on average; "
                + "on non-leaks \(t.falseLeaking) false `leaking`, \(t.falseGrowing) `growing` entries")
        }
    }
}
