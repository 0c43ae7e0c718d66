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
/// time, in a worker process (`AnalysisWorker`: nice 19, first in line for the OOM killer), one
/// snapshot in memory — and keeps its summary (`<base>.summary`, tens of KB) beside it. When the
/// process instance has earlier snapshots, their kept summaries join the newest into a diff, so a
/// leak episode's third snapshot costs one snapshot's analysis, not three. The report is stored
/// beside the newest snapshot (`heapwatchctl report`: with one snapshot, the classes and objects
/// retaining the most; with more, what grows) and its top finding logged. Skipped, with the reason
/// logged, when the host or heapwatchd's cgroup lacks the memory the analysis would need.
public struct AnalysisService: Service {
    let context: DaemonContext
    /// Tells the monitor what grows in a process, for `status`.
    let noteFinding: @Sendable (ProcessIdentity, String) async -> Void
    /// Publishes `leak_report` events (sinks, history).
    let publish: @Sendable (DaemonEvent) -> Void
    let events: AsyncStream<DaemonEvent>
    let procFS: ProcFS
    let cgroups: CgroupReader
    let logger: Logger
    /// The analysis may use at most this share of the host's available memory.
    var hostShare = 0.5
    /// The program run as the worker: this one (`heapwatchd --analysis-job …`).
    var workerExecutable = AnalysisService.ownExecutable()

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            // What an earlier run stored but did not get to analyze (stopped or killed first).
            for pending in await context.store.unanalyzed() {
                guard !Task.isCancelled else { return }
                await analyze(target: pending.target, newest: pending.path)
            }
            for await event in events where event.kind == .snapshotCaptured {
                guard let target = event.target, let path = event.snapshotPath else { continue }
                await analyze(target: target, newest: path)
            }
        }
    }

    private func analyze(target: String, newest: String) async {
        guard let (manifest, paths) = await context.store.snapshots(of: target, upTo: newest) else { return }
        let pid = manifest.pid
        var metadata: Logger.Metadata = [LogField.target: "\(target)", LogField.pid: "\(pid)", LogField.snapshotPath: "\(newest)"]
        // The worker reads each kept summary (and falls back to the file when it cannot).
        let files = paths.dropLast().filter { access(SnapshotStore.summaryPath(of: $0), F_OK) != 0 } + [newest]
        let needed = (try? HeapAnalyzer.estimatedPeakBytes(paths: files, maxParallelism: 1)) ?? 0
        let own = (try? procFS.cgroup(getpid())).map(cgroups.memory(of:)) ?? CgroupMemory()
        /// What `heapwatchctl report` says until this analysis stores its report.
        func note(_ what: String) async {
            await context.noteAnalysis(of: target, pid: pid, "the analysis of pid \(pid)'s latest snapshot \(what)")
        }
        if let why = AnalysisAdmission.refusal(neededBytes: UInt64(needed), memAvailable: try? procFS.memAvailable(),
                                               hostShare: hostShare, cgroup: own) {
            logger.notice("analysis of \(target) pid \(pid) skipped: \(why)", metadata: metadata)
            await note("was skipped: \(why)")
            return
        }
        await note("is running (\(paths.count) snapshot\(paths.count == 1 ? "" : "s"), started \(SnapshotNaming.iso8601(Int64(Date().timeIntervalSince1970))))")
        logger.info("analyzing \(paths.count) snapshot\(paths.count == 1 ? "" : "s") of \(target) pid \(pid) (\(files.count) to read, \(paths.count - files.count) from kept summaries)",
                    metadata: metadata)
        let started = ContinuousClock.now
        let job = AnalysisJob(snapshots: paths, top: 20)
        let exit = await runWorker(job)
        guard exit == .success else {
            let why = exit.description(memoryLimit: own.limitBytes)
            logger.error("analysis of \(target) pid \(pid) failed: \(why); the snapshots are kept", metadata: metadata)
            await note("failed: \(why)")
            return
        }
        let reportPath = job.reportPath
        guard let report = SnapshotStore.report(of: newest) else {
            logger.error("analysis of \(target) pid \(pid): the worker left no readable report at \(reportPath)", metadata: metadata)
            await note("left no readable report at \(reportPath)")
            return
        }
        await context.noteAnalysis(of: target, pid: pid, nil)
        metadata[LogField.reportPath] = "\(reportPath)"
        let took = Units.formatDuration(started.duration(to: .now).inSeconds)
        if paths.count == 1 {
            let top = report.topClasses.first.map { "; most retained: \($0.className), \(Units.formatBytes(UInt64(max(0, $0.retainedBytes))))" } ?? ""
            logger.info("\(target) pid \(pid): first snapshot analyzed in \(took)\(top) (heapwatchctl report \(target) --pid \(pid))", metadata: metadata)
        } else if let top = report.findings.first {
            await noteFinding(ProcessIdentity(pid: pid, startTime: manifest.startTime), top.summary)
            publish(DaemonEvent(kind: .leakReport, target: target, pid: pid, message: "\(target) pid \(pid) leaks: \(top.summary)",
                                snapshotPath: newest, finding: top.summary))
            metadata[LogField.messageID] = "\(MessageID.leakReport)"
            metadata[LogField.finding] = "\(top.summary)"
            logger.warning("\(target) pid \(pid) leaks: \(top.summary) (\(report.findings.count) findings, analysis took \(took); heapwatchctl report \(target) --pid \(pid))",
                           metadata: metadata)
        } else {
            metadata[LogField.messageID] = "\(MessageID.leakReport)"
            logger.notice("\(target) pid \(pid): no growing structure found across \(paths.count) snapshots (analysis took \(took))",
                          metadata: metadata)
        }
    }

    /// How a worker ended: the process's own ending, or why it never started.
    enum WorkerExit: Equatable {
        case ended(ProcessTermination)
        case notStarted(String)

        static let success = WorkerExit.ended(.exited(0))

        func description(memoryLimit: UInt64?) -> String {
            switch self {
            case .ended(.exited(0)): return "done"
            case .ended(.exited(let code)): return "the worker exited with status \(code) (its error is logged above)"
            case .ended(.signalled(SIGKILL)):
                let limit = memoryLimit.map { " (heapwatchd's cgroup limit is \(Units.formatBytes($0)))" } ?? ""
                return "the worker was killed (SIGKILL), most likely by the OOM killer\(limit); heapwatchd itself is unharmed"
            case .ended(.signalled(let number)): return "the worker was killed by signal \(number)"
            case .notStarted(let why): return "cannot start the worker: \(why)"
            }
        }
    }

    /// Runs the job in a worker process (its stdout and stderr are heapwatchd's: its errors reach
    /// the journal) and waits for it; a shutdown kills it.
    func runWorker(_ job: AnalysisJob) async -> WorkerExit {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: workerExecutable)
        do {
            let json = String(decoding: try JSONEncoder().encode(job), as: UTF8.self)
            process.arguments = ["--analysis-job", json]
        } catch {
            return .notStarted("\(error)")
        }
        process.standardInput = FileHandle.nullDevice
        var environment = ProcessInfo.processInfo.environment
        environment[AnalysisWorker.environmentVariable] = "1"
        // The worker does not talk to systemd: only the daemon's pid may notify.
        environment["NOTIFY_SOCKET"] = nil
        environment["WATCHDOG_PID"] = nil
        environment["WATCHDOG_USEC"] = nil
        process.environment = environment
        let finished = ProcessExit(observing: process)
        do {
            try process.run()
        } catch {
            return .notStarted("\(workerExecutable): \(error)")
        }
        return .ended(await withTaskCancellationHandler {
            await finished.wait()
        } onCancel: {
            finished.kill(SIGKILL)
        })
    }

    /// This program's path (`/proc/self/exe`), for starting workers.
    static func ownExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
