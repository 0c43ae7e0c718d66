// Benchmark driver for scripts/bench-analyze.sh: times one phase of the analysis and prints
// one line `phase=… seconds=… bytes=… nodes=… edges=…`.
//
//   heapwatch-bench-analyze parse FILE         parse only
//   heapwatch-bench-analyze analyze FILE       parse + dominators, retained sizes, summary (full;
//                                               HEAPWATCH_BENCH_PARALLELISM=2: on 2 threads)
//   heapwatch-bench-analyze diff FILE FILE...  the full multi-snapshot report; a FILE ending in
//                                               .summary is a summary kept by `summarize`
//   heapwatch-bench-analyze summarize FILE OUT  analyze one snapshot, keep its summary in OUT
//   heapwatch-bench-analyze profile FILE       seconds per stage of the full analysis
//   heapwatch-bench-analyze dominators FILE    the dominator tree 7 times on one parse: the first
//                                               (fresh memory, as in a diff), min and median
import Foundation
import HeapAnalysis

let arguments = Array(CommandLine.arguments.dropFirst())
let phase = arguments.first ?? ""
let files = Array(arguments.dropFirst())
guard !files.isEmpty, phase != "summarize" || files.count == 2 else {
    FileHandle.standardError.write(Data(
        "usage: heapwatch-bench-analyze parse|analyze|profile|dominators FILE | diff FILE... | summarize FILE OUT\n".utf8))
    exit(2)
}
let clock = ContinuousClock()

/// HEAPWATCH_BENCH_PARALLELISM, or `fallback`.
func parallelism(default fallback: Int) -> Int {
    Int(ProcessInfo.processInfo.environment["HEAPWATCH_BENCH_PARALLELISM"] ?? "") ?? fallback
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

do {
    let start = clock.now
    switch phase {
    case "parse":
        let snapshot = try HeapSnapshot(contentsOf: files[0])
        let elapsed = seconds(clock.now - start)
        print("phase=parse seconds=\(elapsed) bytes=\(snapshot.jsonSize) nodes=\(snapshot.nodeCount) edges=\(snapshot.edgeCount)")
    case "analyze":
        let report = try HeapAnalyzer.analyze(paths: [files[0]], options: AnalysisOptions(top: 10, maxParallelism: parallelism(default: 1)))
        let elapsed = seconds(clock.now - start)
        let info = report.snapshots[0]
        print("phase=analyze seconds=\(elapsed) nodes=\(info.nodes) edges=\(info.edges) top_class=\"\(report.topClasses.first?.className ?? "")\"")
    case "profile":
        func cpuNow() -> Double {
            var time = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
            return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
        }
        var mark = clock.now
        var cpuMark = cpuNow()
        func lap(_ stage: String) {
            let now = clock.now, cpu = cpuNow()
            print("stage=\"\(stage)\" seconds=\(seconds(now - mark)) cpu=\(cpu - cpuMark)")
            mark = now
            cpuMark = cpu
        }
        let snapshot = try HeapSnapshot(contentsOf: files[0])
        lap("parse")
        _ = DominatorTree(snapshot: snapshot)
        lap("dominators")
        _ = Distances(snapshot: snapshot)
        lap("distances")
        _ = ClassIndex(snapshot: snapshot)
        lap("class index")
        let analysis = SnapshotAnalysis(snapshot: snapshot)
        lap("all of SnapshotAnalysis")
        let summary = SnapshotSummary(analysis: analysis)
        lap("summary")
        let parallelAnalysis = SnapshotAnalysis(snapshot: snapshot, parallel: true)
        lap("all of SnapshotAnalysis, 2 threads")
        _ = SnapshotSummary(analysis: parallelAnalysis, parallel: true)
        lap("summary, 2 threads")
        let encoded = try summary.encoded()
        lap("summary encoded (\(encoded.count) bytes)")
        _ = try SnapshotSummary(data: encoded)
        lap("summary decoded")
    case "dominators":
        let snapshot = try HeapSnapshot(contentsOf: files[0])
        var times: [Double] = []
        for _ in 0..<7 {
            let mark = clock.now
            _ = DominatorTree(snapshot: snapshot)
            times.append(seconds(clock.now - mark))
        }
        let first = times[0]
        times.sort()
        print("phase=dominators first=\(first) min=\(times[0]) median=\(times[3]) nodes=\(snapshot.nodeCount) edges=\(snapshot.edgeCount)")
    case "summarize":
        let outcome = try HeapAnalyzer.analyze([.file(files[0])], options: AnalysisOptions(maxParallelism: 1))
        let data = try outcome.summaries[0].encoded()
        try data.write(to: URL(fileURLWithPath: files[1]))
        let elapsed = seconds(clock.now - start)
        print("phase=summarize seconds=\(elapsed) summary_bytes=\(data.count)")
    case "diff":
        let sources = try files.map(SnapshotSource.init(path:))
        let report = try HeapAnalyzer.analyze(sources, options: AnalysisOptions(maxParallelism: parallelism(default: 2))).report
        let elapsed = seconds(clock.now - start)
        let top = report.findings.first?.summary ?? "none"
        print("phase=diff seconds=\(elapsed) snapshots=\(files.count) findings=\(report.findings.count) top=\"\(top)\"")
    default:
        FileHandle.standardError.write(Data("unknown phase \(phase)\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("heapwatch-bench-analyze: \(error)\n".utf8))
    exit(1)
}
