import HeapwatchTrend

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// heapwatch-bench-detect [--window SECONDS] [--growth-max MIB] [--case TEXT] [--capture-step MIB] [--seeds N] [--seed K] [TRACES_DIR]
// heapwatch-bench-detect --resume-cost
// Runs the detector and two naive baselines over the synthetic corpus and the recorded traces
// (default Benchmarks/traces), prints one row per case and a summary of the targets.
// Exit status 1 when a target is missed.

// --case TEXT: prints the state changes of the matching cases instead, and every 10 minutes the
// forecast against the true time to the crash.
var arguments = Array(CommandLine.arguments.dropFirst())

/// Removes `--NAME VALUE` from `arguments` and returns VALUE read by `parse`; nil when the option
/// is absent. A value that does not read stops the run with an error naming the option, instead of
/// a benchmark quietly run on the default.
@MainActor func option<T>(_ name: String, _ parse: (String) -> T?) -> T? {
    guard let i = arguments.firstIndex(of: name) else { return nil }
    guard i + 1 < arguments.count, let value = parse(arguments[i + 1]) else {
        let got = i + 1 < arguments.count ? "'\(arguments[i + 1])'" : "none"
        let message = "heapwatch-bench-detect: \(name) needs a value, got \(got)\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        exit(2)
    }
    arguments.removeSubrange(i...(i + 1))
    return value
}
let traceFilter = option("--case") { $0 }
// --window SECONDS: judge the synthetic corpus with another window (default: TrendPolicy's).
let windowOverride = option("--window") { Double($0) }
// --growth-max MIB: judge the synthetic corpus with another growth_max, MiB/h (default: TrendPolicy's).
let growthMaxOverride = option("--growth-max") { Double($0).map { $0 * SyntheticTrace.mib } }
// --capture-step MIB: each capture the planner asks for leaves MIB resident (as a real snapshot
// does); compares the synthetic corpus without it, with it and the tracker told (heapwatchd), and
// with it untold.
let captureStep = option("--capture-step") { Double($0).map { $0 * SyntheticTrace.mib } }
// --seeds N: the synthetic corpus with N seeds per case, and the targets over all of them.
let seeds = option("--seeds") { Int($0) }
// --seed K: the corpus with every seed moved by 1000 × K, as the k-th run of --seeds (with --case,
// to look at one run).
let seedRun = option("--seed") { UInt64($0) } ?? 0
// --resume-cost: only what replaying 2 h of recorded samples costs a restarted heapwatchd per process.
if let i = arguments.firstIndex(of: "--resume-cost") {
    arguments.remove(at: i)
    ResumeCost.run()
    exit(0)
}
let tracesDirectory = arguments.first ?? "Benchmarks/traces"

func readTraces(_ directory: String) -> [(name: String, text: String)] {
    guard let dir = opendir(directory) else { return [] }
    defer { closedir(dir) }
    var files: [(String, String)] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        guard name.hasSuffix(".csv"), let file = fopen("\(directory)/\(name)", "r") else { continue }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        fclose(file)
        files.append((name, String(decoding: bytes, as: UTF8.self)))
    }
    return files
}

var policy = TrendPolicy()
if let windowOverride { policy.window = windowOverride }
if let growthMaxOverride { policy.growthMax = growthMaxOverride }
let cases = Corpus.synthetic(policy: policy, seedOffset: seedRun * 1000) + RecordedTraces.load(readTraces(tracesDirectory))

if let seeds, seeds > 0 {
    SeedsReport.print(policy: policy, seeds: seeds)
    exit(0)
}

if let captureStep, traceFilter == nil {
    CaptureStepReport.print(cases: cases.filter { !$0.group.hasPrefix("recorded") }, stepBytes: captureStep)
    exit(0)
}

if let traceFilter {
    for c in cases where c.name.contains(traceFilter) {
        print("== \(c.name)" + (c.seed > 0 ? " (seed \(c.seed))" : "") + (captureStep.map { ", each capture leaving \(Int($0 / SyntheticTrace.mib)) MiB (told)" } ?? ""))
        var last: TrendState?
        let start = c.samples.first?.time ?? 0
        let effect = CaptureEffect(stepBytes: captureStep ?? 0, tellTracker: true)
        let result = Evaluation.run(c, captures: effect) { s, a, left in
            let elapsed = s.time - start
            if Int(elapsed) % 600 == 0, let eta = a.etaSeconds, let left {
                print("\(Report.pad(Report.duration(s.time), 8))   eta \(Report.duration(eta)) (\(Report.range(a))), true \(Report.duration(left)) (\(Report.percent((eta - left) / left)))")
            }
            if a.state != last {
                let mib = SyntheticTrace.mib
                func f(_ x: Double?) -> String { x.map { String(Int(($0 / mib).rounded())) } ?? "-" }
                print("\(Report.pad(Report.duration(s.time), 8)) \(Report.pad(a.state.rawValue, 11)) slope \(f(a.slopeBytesPerHour)) [\(f(a.slopeLowerBytesPerHour)), \(f(a.slopeUpperBytesPerHour))] recent \(f(a.recentSlopeBytesPerHour)) conf \(Int(a.confidence * 1000))‰ floor \(f(a.floorBytes)) eta \(a.etaSeconds.map(Report.duration) ?? "-") (\(Report.range(a)))")
                last = a.state
            }
        }
        print("captures: " + result.captures.joined(separator: ", "))
    }
    exit(0)
}

print("heapwatch-bench-detect: window \(Int(policy.window / 60))m, growth_max \(Int(policy.growthMax / SyntheticTrace.mib))MiB/h, 5 s ticks (synthetic)")
print("latency = time from leak start to first alert; false = alerts on a non-leak or before the leak starts")
print("ETA err = (forecast − true time to crash)/true at the first `leaking`; ETA ok = share of `leaking` ticks within ±20 %\n")

let header = [
    Report.pad("case", 34), Report.pad("heapwatch", 10), Report.pad("false", 6), Report.pad("alerts", 7), Report.pad("chg/h", 6), Report.pad("grow!", 6),
    Report.pad("final", 11), Report.pad("ETA err", 8), Report.pad("ETA ok", 7), Report.pad("snapshots", 9),
    "| ", Report.pad("PM2", 8), Report.pad("false", 6), "| ", Report.pad("memwatch", 9), "false",
].joined()
var group = ""
var problems: [String] = []
var limitations: [String] = []
var latencies30: [Double] = []
/// The same leaks' first `growing` or `leaking`: flagged, with a baseline snapshot and a forecast.
var flagged30: [Double] = []
var etaAtDetection: [Double] = []
var etaTicksWithin: [Double] = []
var rangeHolds: [(name: String, share: Double)] = []
var falseOnTargets = 0
var falseOnStress = 0
var leakAlerts: [(name: String, count: Int)] = []
var changeRates: [(name: String, perHour: Double)] = []
var stops: [String] = []
/// Leaks that crash within their first window: the first capture before the crash, as a share
/// of the process's life (nil: none before it).
var diesYoung: [Double?] = []
for c in cases {
    if c.group != group {
        group = c.group
        print("\n== \(group)")
        print(header)
    }
    let r = Evaluation.run(c)
    let latency = c.mustLeak ? r.heapwatch.latency : r.growingLatency
    let detected = c.isLeak ? (latency.map(Report.duration) ?? "missed") : "-"
    let note = (c.isLeak && !c.mustLeak && c.leakRate <= c.policy.growthMax ? "ᵍ" : "") + (c.stress ? "ˢ" : "")
    if c.isLeak, latency == nil {
        let line = "\(c.name): not detected"
        if c.stress || !c.mustLeak { limitations.append(line) } else { problems.append(line) }
    }
    if r.heapwatch.falseAlerts > 0 {
        if c.stress {
            falseOnStress += r.heapwatch.falseAlerts
            limitations.append("\(c.name): \(r.heapwatch.falseAlerts) false leaking")
        } else {
            falseOnTargets += r.heapwatch.falseAlerts
            problems.append("\(c.name): \(r.heapwatch.falseAlerts) false leaking")
        }
    }
    if c.isThirtyMiBTarget {
        if let l = r.heapwatch.latency { latencies30.append(l) } else { latencies30.append(.infinity) }
        flagged30.append(r.growingLatency ?? .infinity)
    }
    if c.mustLeak, !c.stress { leakAlerts.append((c.name, r.leakAlerts)) }
    if c.group == Corpus.diesInFirstWindow, let crash = c.crashTime {
        let life = crash - (c.samples.first?.time ?? 0)
        diesYoung.append(r.firstCaptureAt.flatMap { $0 < life ? $0 / life : nil })
    }
    // Per hour of trace: a trace of minutes would weigh a change sixfold.
    if !c.stress, !c.group.hasPrefix("recorded"), c.group != Corpus.diesInFirstWindow {
        changeRates.append((c.name, r.changesPerHour))
    }
    if let stop = c.leakStop {
        let cleared = r.clearedAfterStop.map { "left `leaking` \(Report.duration($0)) after the stop" } ?? "still `leaking` at the end"
        stops.append("\(c.name): \(cleared), \(Report.duration(c.samples.last!.time - stop)) later; final \(r.finalState.rawValue)")
    }
    if c.mustLeak, !c.stress, c.crashTime != nil {
        if let e = r.etaErrorAtDetection { etaAtDetection.append(abs(e)) }
        if let w = r.etaWithin20 { etaTicksWithin.append(w) }
        if let h = r.rangeHoldsTruth { rangeHolds.append((c.name, h)) }
    }
    let row = [
        Report.pad(c.name + note, 34),
        Report.pad(detected, 10),
        Report.pad("\(r.heapwatch.falseAlerts)", 6),
        Report.pad(c.isLeak ? "\(r.leakAlerts)" : "-", 7),
        Report.pad(Report.fixed(r.changesPerHour, 1), 6),
        Report.pad(c.isLeak ? "-" : "\(r.falseGrowing)", 6),
        Report.pad(r.finalState.rawValue, 11),
        Report.pad(Report.percent(r.etaErrorAtDetection), 8),
        Report.pad(r.etaWithin20.map { "\(Int(($0 * 100).rounded()))%" } ?? "-", 7),
        Report.pad("\(r.captures.count)", 9),
        "| ", Report.pad(Report.detection(r.threshold, isLeak: c.isLeak), 8), Report.pad("\(r.threshold.falseAlerts)", 6),
        "| ", Report.pad(Report.detection(r.memwatch, isLeak: c.isLeak), 9), "\(r.memwatch.falseAlerts)",
    ].joined()
    print(row)
}
print("""

ᵍ leak at or under growth_max: detection = first `growing`
ˢ stress case, beyond what the data can tell (a sawtooth as slow as a third of the window, a wander, a leak that changes pace later): reported, not held to the targets
alerts = entries into `leaking` on a leak: each is a `leak detected` warning and sink event
chg/h = state changes per hour after the first window (each a journald line and a sink event)
grow! = entries into `growing` on a non-leak (each costs a baseline snapshot); snapshots = captures the planner asked for
""")
print("Targets")
let worst30 = latencies30.max() ?? .infinity
if worst30 > 1200 { problems.append("30 MiB/h leak detected after \(worst30.isFinite ? Report.duration(worst30) : "never")") }
Report.thirtyMiBTarget(worstLeaking: worst30, worstFlagged: flagged30.max() ?? .infinity,
                       scope: " over \(latencies30.count) cases").forEach { print($0) }
print("  zero false `leaking` on non-leak traces: \(falseOnTargets) — \(falseOnTargets == 0 ? "met" : "MISSED") (stress cases: \(falseOnStress))")
if !etaAtDetection.isEmpty {
    let atDetection = etaAtDetection.filter { $0 <= 0.2 }.count
    let sorted = etaTicksWithin.sorted()
    let meanTicks = etaTicksWithin.reduce(0, +) / Double(max(1, etaTicksWithin.count))
    print("  ETA within ±20 % once leaking: at the first `leaking` \(atDetection)/\(etaAtDetection.count) cases; over all `leaking` ticks \(Int((meanTicks * 100).rounded()))% on average, worst case \(Int(((sorted.first ?? 0) * 100).rounded()))%")
}
if let worst = rangeHolds.min(by: { $0.share < $1.share }) {
    let mean = rangeHolds.map(\.share).reduce(0, +) / Double(rangeHolds.count)
    print("  forecast range (status: earliest to latest) holds the true time left (not an issue target): \(Int((mean * 100).rounded()))% of `leaking` ticks on average, worst \(Int((worst.share * 100).rounded()))% (\(worst.name))")
}
if let worst = leakAlerts.max(by: { $0.count < $1.count }) {
    let once = leakAlerts.filter { $0.count == 1 }.count
    print("  one `leak detected` per leak (not an issue target): \(once)/\(leakAlerts.count) cases; most: \(worst.count) (\(worst.name))")
}
if let worst = changeRates.max(by: { $0.perHour < $1.perHour }) {
    let mean = changeRates.map(\.perHour).reduce(0, +) / Double(changeRates.count)
    print("  state changes (not an issue target): \(Report.fixed(mean, 2)) per hour on average, most \(Report.fixed(worst.perHour, 1)) (\(worst.name))")
}
if !diesYoung.isEmpty {
    let captured = diesYoung.compactMap { $0 }
    let shares = captured.map { "\(Int(($0 * 100).rounded()))%" }.joined(separator: ", ")
    print("  leaks that crash within their first window (not an issue target): a snapshot before the crash in \(captured.count)/\(diesYoung.count) cases, at \(shares.isEmpty ? "-" : shares) of the process's life")
}
if !stops.isEmpty {
    print("\nLeaks that stop:")
    for s in stops { print("  \(s)") }
}
if !limitations.isEmpty {
    print("\nLimitations (not targets):")
    for l in limitations { print("  \(l)") }
}
if !problems.isEmpty {
    print("\nMissed:")
    for p in problems { print("  \(p)") }
    exit(1)
}
