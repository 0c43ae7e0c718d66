import CLinux
import Foundation
import HeapAnalysis
import HeapwatchCore
import Logging
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// Says what is leaking: analyzes every stored snapshot once, as it arrives — one analysis at a
/// time, on a thread of its own at the lowest CPU priority, one snapshot in memory — and keeps its
/// summary (`<base>.summary`, a few hundred KB at most) beside it. When the process instance has
/// earlier snapshots, their kept summaries join the newest into a diff, so a leak episode's
/// third snapshot costs one snapshot's analysis, not three. The report is stored beside the
/// newest snapshot (`heapwatchctl report`: with one snapshot, the classes and objects retaining
/// the most; with more, what grows) and its top finding logged. Skipped, with the reason logged,
/// when the host lacks the memory the analysis would need.
public struct AnalysisService: Service {
    let context: DaemonContext
    let events: AsyncStream<DaemonEvent>
    let procFS: ProcFS
    let logger: Logger
    /// The analysis may use at most this share of the host's available memory.
    var memoryShare = 0.5

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            for await event in events where event.kind == .snapshotCaptured {
                guard let target = event.target, let pid = event.pid, let path = event.snapshotPath else { continue }
                await analyze(target: target, pid: pid, newest: path)
            }
        }
    }

    private func analyze(target: String, pid: Int32, newest: String) async {
        let store = await context.store
        guard let manifest = SnapshotStore.manifest(at: newest) else { return }
        var paths = store.snapshots(of: target, pid: pid, startTime: manifest.startTime)
        // Only what was taken up to this snapshot (a later one gets its own turn).
        if let position = paths.firstIndex(of: newest) { paths = Array(paths[...position]) }
        guard paths.last == newest else { return }
        var metadata: Logger.Metadata = [LogField.target: "\(target)", LogField.pid: "\(pid)", LogField.snapshotPath: "\(newest)"]
        let sources = paths.dropLast().map { path in
            Self.keptSummary(of: path).map(SnapshotSource.summary) ?? .file(path)
        } + [.file(newest)]
        let files = sources.compactMap { source -> String? in
            if case .file(let path) = source { return path }
            return nil
        }
        let needed = (try? HeapAnalyzer.estimatedPeakBytes(paths: files, maxParallelism: 1)) ?? 0
        if let available = try? procFS.memAvailable(), Double(needed) > Double(available) * memoryShare {
            let why = "it needs about \(Units.formatBytes(UInt64(needed))), the host has \(Units.formatBytes(available)) available"
            logger.notice("analysis of \(target) pid \(pid) skipped: \(why)", metadata: metadata)
            return
        }
        let kept = sources.count - files.count
        logger.info("analyzing \(paths.count) snapshot\(paths.count == 1 ? "" : "s") of \(target) pid \(pid) (\(files.count) to read, \(kept) from kept summaries)",
                    metadata: metadata)
        let started = ContinuousClock.now
        let result = await Self.runAtLowPriority { try HeapAnalyzer.analyze(sources, options: AnalysisOptions(top: 20, maxParallelism: 1)) }
        let outcome: AnalysisOutcome
        switch result {
        case .failure(let error):
            logger.error("analysis of \(target) pid \(pid) failed: \(error)", metadata: metadata)
            return
        case .success(let value):
            outcome = value
        }
        for (source, summary) in zip(sources, outcome.summaries) {
            guard case .file(let path) = source else { continue }
            let summaryPath = SnapshotStore.summaryPath(of: path)
            do {
                try FileCopier.writeAtomically(Array(try summary.encoded()), to: summaryPath)
            } catch {
                // Not fatal: the next diff reads the file again.
                logger.warning("cannot keep the summary of \(path) at \(summaryPath): \(error)", metadata: metadata)
            }
        }
        let report = outcome.report
        let reportPath = SnapshotStore.reportPath(of: newest)
        do {
            try FileCopier.writeJSON(report, to: reportPath)
        } catch {
            logger.error("cannot store the analysis of \(target) pid \(pid) at \(reportPath): \(error)", metadata: metadata)
            return
        }
        metadata[LogField.reportPath] = "\(reportPath)"
        let took = started.duration(to: .now)
        if paths.count == 1 {
            let top = report.topClasses.first.map { "; most retained: \($0.className), \(Units.formatBytes(UInt64(max(0, $0.retainedBytes))))" } ?? ""
            logger.info("\(target) pid \(pid): first snapshot analyzed in \(took)\(top) (heapwatchctl report \(target))", metadata: metadata)
        } else if let top = report.findings.first {
            metadata[LogField.messageID] = "\(MessageID.leakReport)"
            metadata[LogField.finding] = "\(top.summary)"
            logger.warning("\(target) pid \(pid) leaks: \(top.summary) (\(report.findings.count) findings, analysis took \(took); heapwatchctl report \(target))",
                           metadata: metadata)
        } else {
            metadata[LogField.messageID] = "\(MessageID.leakReport)"
            logger.notice("\(target) pid \(pid): no growing structure found across \(paths.count) snapshots (analysis took \(took))",
                          metadata: metadata)
        }
    }

    /// The summary kept when `path` was analyzed, if it is there and readable by this build.
    static func keptSummary(of path: String) -> SnapshotSummary? {
        guard let data = FileManager.default.contents(atPath: SnapshotStore.summaryPath(of: path)) else { return nil }
        return try? SnapshotSummary(data: data)
    }

    /// Runs blocking work on its own thread with the lowest scheduling priority (nice 19), so the
    /// analysis never competes with sampling or with the host's own work.
    static func runAtLowPriority<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async -> Result<T, any Error> {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(heapwatch_gettid()), 19)
                continuation.resume(returning: Result { try work() })
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
