import CLinux
import Foundation
import HeapAnalysis
import HeapwatchCore
import Logging
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// Says what is leaking: when a process instance has two or more stored snapshots, analyzes
/// them — one analysis at a time, on a thread of its own at the lowest CPU priority, one snapshot
/// at a time in memory — stores the report beside the newest snapshot, and logs the top finding.
/// Skipped, with the reason logged, when the host lacks the memory the analysis would need.
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
        let paths = store.snapshots(of: target, pid: pid, startTime: manifest.startTime)
        guard paths.count >= 2 else { return }
        var metadata: Logger.Metadata = [LogField.target: "\(target)", LogField.pid: "\(pid)", LogField.snapshotPath: "\(newest)"]
        let needed = (try? HeapAnalyzer.estimatedPeakBytes(paths: paths, maxParallelism: 1)) ?? 0
        if let available = try? procFS.memAvailable(), Double(needed) > Double(available) * memoryShare {
            let why = "it needs about \(Units.formatBytes(UInt64(needed))), the host has \(Units.formatBytes(available)) available"
            logger.notice("analysis of \(target) pid \(pid) skipped: \(why)", metadata: metadata)
            return
        }
        logger.info("analyzing \(paths.count) snapshots of \(target) pid \(pid)", metadata: metadata)
        let started = ContinuousClock.now
        let result = await Self.runAtLowPriority { try HeapAnalyzer.analyze(paths: paths, options: AnalysisOptions(top: 20, maxParallelism: 1)) }
        switch result {
        case .failure(let error):
            logger.error("analysis of \(target) pid \(pid) failed: \(error)", metadata: metadata)
        case .success(let report):
            let reportPath = SnapshotStore.reportPath(of: newest)
            do {
                try FileCopier.writeJSON(report, to: reportPath)
            } catch {
                logger.error("cannot store the analysis of \(target) pid \(pid) at \(reportPath): \(error)", metadata: metadata)
                return
            }
            metadata[LogField.messageID] = "\(MessageID.leakReport)"
            metadata[LogField.reportPath] = "\(reportPath)"
            let took = started.duration(to: .now)
            if let top = report.findings.first {
                metadata[LogField.finding] = "\(top.summary)"
                logger.warning("\(target) pid \(pid) leaks: \(top.summary) (\(report.findings.count) findings, analysis took \(took); heapwatchctl report \(target))",
                               metadata: metadata)
            } else {
                logger.notice("\(target) pid \(pid): no growing structure found across \(paths.count) snapshots (analysis took \(took))",
                              metadata: metadata)
            }
        }
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
