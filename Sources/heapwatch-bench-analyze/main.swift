// Benchmark driver for scripts/bench-analyze.sh: times one phase of the analysis and prints
// one line `phase=… seconds=… bytes=… nodes=… edges=…`.
//
//   heapwatch-bench-analyze parse FILE         parse only
//   heapwatch-bench-analyze analyze FILE       parse + dominators, retained sizes, summary (full)
//   heapwatch-bench-analyze diff FILE FILE...  the full multi-snapshot report
import Foundation
import HeapAnalysis

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: heapwatch-bench-analyze parse|analyze|diff FILE...\n".utf8))
    exit(2)
}
let phase = arguments[0]
let files = Array(arguments.dropFirst())
let clock = ContinuousClock()

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
        let report = try HeapAnalyzer.analyze(paths: [files[0]], options: AnalysisOptions(top: 10, maxParallelism: 1))
        let elapsed = seconds(clock.now - start)
        let info = report.snapshots[0]
        print("phase=analyze seconds=\(elapsed) nodes=\(info.nodes) edges=\(info.edges) top_class=\"\(report.topClasses.first?.className ?? "")\"")
    case "diff":
        let parallelism = Int(ProcessInfo.processInfo.environment["HEAPWATCH_BENCH_PARALLELISM"] ?? "") ?? 2
        let report = try HeapAnalyzer.analyze(paths: files, options: AnalysisOptions(maxParallelism: parallelism))
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
