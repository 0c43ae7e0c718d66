import Dispatch
import Foundation

/// Options for `HeapAnalyzer.analyze`.
public struct AnalysisOptions: Sendable {
    /// How many classes and dominators the report lists.
    public var top: Int
    /// Threads: snapshots analyzed at once, each costing about its file size in memory; with 2 or
    /// more, the newest snapshot's dominator tree is also built beside its other stages.
    public var maxParallelism: Int
    /// Called from worker threads with (snapshot index, bytes read, file size or 0 if unknown).
    public var progress: (@Sendable (Int, Int, Int) -> Void)?

    public init(top: Int = 20, maxParallelism: Int = 2, progress: (@Sendable (Int, Int, Int) -> Void)? = nil) {
        self.top = top
        self.maxParallelism = maxParallelism
        self.progress = progress
    }
}

/// One snapshot given to `HeapAnalyzer.analyze(_:options:)`: its file, or the summary kept
/// from analyzing it earlier (only for snapshots before the last).
public enum SnapshotSource: Sendable {
    case file(String)
    case summary(SnapshotSummary)

    /// A path given on a command line: a kept summary when it ends in `.summary`, else a snapshot
    /// file. Throws `HeapSnapshotError` naming the file when the summary cannot be read.
    public init(path: String) throws {
        guard path.hasSuffix(".summary") else {
            self = .file(path)
            return
        }
        do {
            self = .summary(try SnapshotSummary(data: Data(contentsOf: URL(fileURLWithPath: path))))
        } catch {
            throw HeapSnapshotError(path: path, reason: .unreadableSummary("\(error)"))
        }
    }
}

/// A report, and the summary of every snapshot (read from a file or given), oldest first: a
/// caller that keeps them need not parse those files again for the next diff.
public struct AnalysisOutcome: Sendable {
    public var report: LeakReport
    public var summaries: [SnapshotSummary]
}

/// Entry point: analyze heap snapshots of one process, oldest first.
public enum HeapAnalyzer {
    /// Reads and analyzes `paths` (one or more snapshots of one process, in the order they were
    /// taken) and returns the ranked leak report. With one path, the report has no findings but
    /// lists the top classes and largest dominators. Throws `HeapSnapshotError` naming the file.
    public static func analyze(paths: [String], options: AnalysisOptions = AnalysisOptions()) throws -> LeakReport {
        try analyze(paths.map(SnapshotSource.file), options: options).report
    }

    /// Analyzes snapshots of one process, oldest first, each from its file or from the summary
    /// kept when it was analyzed before. The last one must be a file: findings need its graph
    /// (paths, locations). Files before the last are only summarized (no retainer paths).
    public static func analyze(_ sources: [SnapshotSource], options: AnalysisOptions = AnalysisOptions()) throws -> AnalysisOutcome {
        guard let lastSource = sources.last else {
            return AnalysisOutcome(report: LeakReport(snapshots: [], findings: [], topClasses: [], largestDominators: []),
                                   summaries: [])
        }
        guard case .file = lastSource else {
            throw HeapSnapshotError(path: "", reason: .malformed("the newest snapshot must be given as a file, not a summary"))
        }
        let lastIndex = sources.count - 1
        let results = ResultSlots(count: sources.count)
        var toRead: [(index: Int, path: String)] = []
        for (index, source) in sources.enumerated() {
            switch source {
            case .file(let path): toRead.append((index, path))
            case .summary(let summary): results.store(index, summary: summary, analysis: nil)
            }
        }
        // Newest first: it is the largest and the one kept in memory for paths.
        let queue = Array(toRead.reversed())
        let workers = max(1, min(options.maxParallelism, queue.count))
        let next = ResultSlots.Counter()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let position = next.take(below: queue.count), !results.failed {
                let (index, path) = queue[position]
                do {
                    let progress = options.progress.map { report in { @Sendable (read: Int, total: Int) in report(index, read, total) } }
                    // The newest is the largest: it gets a second thread when one is allowed.
                    let parallel = index == lastIndex && options.maxParallelism >= 2
                    let analysis = try SnapshotAnalysis(contentsOf: path, paths: index == lastIndex,
                                                        parallel: parallel, progress: progress)
                    results.store(index, summary: SnapshotSummary(analysis: analysis, parallel: parallel),
                                  analysis: index == lastIndex ? analysis : nil)
                } catch {
                    results.fail(error)
                }
            }
        }
        if let error = results.firstError { throw error }
        let summaries = results.summaries.map { $0! }
        guard let last = results.lastAnalysis else { throw CancellationError() }
        let findings = LeakDetector(summaries: summaries, last: last).findings()
        let report = LeakReport(
            snapshots: summaries.map(\.info), findings: findings,
            topClasses: topClasses(summaries[lastIndex], limit: options.top),
            largestDominators: largestDominators(last, limit: options.top))
        return AnalysisOutcome(report: report, summaries: summaries)
    }

    static func topClasses(_ summary: SnapshotSummary, limit: Int) -> [ClassRetention] {
        summary.classes
            .map { ClassRetention(className: $0.key, count: $0.value.count, selfBytes: $0.value.selfBytes,
                                  retainedBytes: $0.value.retainedBytes) }
            .sorted { ($0.retainedBytes, $0.className) > ($1.retainedBytes, $1.className) }
            .prefix(limit).map { $0 }
    }

    /// Objects (not synthetic roots or internals) with the largest retained sizes. An object
    /// that is most (90 %+) of a listed dominator's retained size is left out: a Map and its
    /// table are one entry, not two.
    static func largestDominators(_ analysis: SnapshotAnalysis, limit: Int) -> [DominatorEntry] {
        let snapshot = analysis.snapshot
        let types = snapshot.types
        let candidateLimit = limit * 4
        var best: [(retained: Int, node: Int)] = []
        for node in 1..<max(1, snapshot.nodeCount) {
            let type = snapshot.nodeTypes[node]
            guard type == types.object || type == types.closure || type == types.array || type == types.native
                || types.isString(type) else { continue }
            let retained = analysis.dominators.retained[node]
            if best.count < candidateLimit || retained > best[best.count - 1].retained {
                var position = best.count
                while position > 0 && best[position - 1].retained < retained { position -= 1 }
                best.insert((retained, node), at: position)
                if best.count > candidateLimit { best.removeLast() }
            }
        }
        var picked: [(retained: Int, node: Int)] = []
        for candidate in best where picked.count < limit {
            let repeatsOne = picked.contains {
                analysis.dominators.dominates($0.node, candidate.node) && candidate.retained * 10 >= $0.retained * 9
            }
            if !repeatsOne { picked.append(candidate) }
        }
        return picked.map {
            DominatorEntry(className: analysis.displayName($0.node), id: snapshot.nodeIds[$0.node],
                           retainedBytes: $0.retained, path: analysis.retainerPath(to: $0.node))
        }
    }
}

/// Results from the worker threads, behind a lock.
private final class ResultSlots: @unchecked Sendable {
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func take(below limit: Int) -> Int? {
            lock.lock()
            defer { lock.unlock() }
            guard value < limit else { return nil }
            value += 1
            return value - 1
        }
    }

    private let lock = NSLock()
    private(set) var summaries: [SnapshotSummary?]
    private(set) var lastAnalysis: SnapshotAnalysis?
    private(set) var firstError: Error?

    init(count: Int) { summaries = Array(repeating: nil, count: count) }

    var failed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return firstError != nil
    }

    func store(_ index: Int, summary: SnapshotSummary, analysis: SnapshotAnalysis?) {
        lock.lock()
        defer { lock.unlock() }
        summaries[index] = summary
        if let analysis { lastAnalysis = analysis }
    }

    func fail(_ error: Error) {
        lock.lock()
        defer { lock.unlock() }
        if firstError == nil { firstError = error }
    }
}

