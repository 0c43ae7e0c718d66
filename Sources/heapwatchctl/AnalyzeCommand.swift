import ArgumentParser
import Foundation
import HeapAnalysis

#if canImport(Glibc)
import Glibc
#endif

/// `heapwatchctl analyze FILE [FILE…]`: offline leak analysis of heap snapshots, no daemon needed.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Find what is leaking in .heapsnapshot files (plain or gzip), offline.",
        discussion: """
            Give two or more snapshots of one process, oldest first, to get findings ranked by \
            retained growth: growing listener lists, live timers, growing collections and classes. \
            With one snapshot, lists the classes and objects retaining the most. \
            An earlier snapshot may be given by the summary heapwatchd keeps beside it \
            (NAME.summary): it is not parsed again. The newest must be a snapshot file.
            """)

    @Argument(help: "Snapshot files of one process, oldest first (or .summary files for all but the newest).")
    var files: [String]

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Option(help: "How many findings, classes and dominators to show.")
    var top = 10

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one .heapsnapshot file") }
        if let last = files.last, last.hasSuffix(".summary") {
            throw ValidationError("the newest snapshot must be a .heapsnapshot file, not a summary (\(last))")
        }
        guard top > 0 else { throw ValidationError("--top must be at least 1") }
    }

    func run() throws {
        let progress = isatty(STDERR_FILENO) == 1 ? ProgressLine(files: files) : nil
        var options = AnalysisOptions(top: top)
        if let progress {
            options.progress = { @Sendable index, read, total in progress.update(index, read, total) }
        }
        let report: LeakReport
        do {
            let sources = try files.map(SnapshotSource.init(path:))
            report = try HeapAnalyzer.analyze(sources, options: options).report
            progress?.finish()
        } catch {
            progress?.finish()
            FileHandle.standardError.write(Data("heapwatchctl analyze: \(error)\n".utf8))
            throw ExitCode.failure
        }
        if json {
            var trimmed = report
            trimmed.findings = Array(report.findings.prefix(top))
            print(String(decoding: try Output.jsonEncoder().encode(trimmed), as: UTF8.self))
        } else {
            print(report.text(top: top), terminator: "")
        }
    }
}

/// "reading 2/3 Heap…heapsnapshot: 45% (312 MB)" on one stderr line, at most every 0.2 s.
private final class ProgressLine: @unchecked Sendable {
    private let files: [String]
    private let lock = NSLock()
    private var lastDraw = 0.0
    private var drawn = false

    init(files: [String]) { self.files = files }

    func update(_ index: Int, _ read: Int, _ total: Int) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date().timeIntervalSince1970
        guard now - lastDraw >= 0.2 else { return }
        lastDraw = now
        drawn = true
        let name = (files[index] as NSString).lastPathComponent
        let megabytes = read / 1_000_000
        let share = total > 0 ? " \(read * 100 / total)%" : ""
        FileHandle.standardError.write(Data("\r\u{1B}[Kreading \(index + 1)/\(files.count) \(name):\(share) (\(megabytes) MB)".utf8))
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
