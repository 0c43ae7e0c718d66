import CLinux
import Foundation
import HeapAnalysis
#if canImport(Glibc)
import Glibc
#endif

/// One analysis, handed to a worker process: `heapwatchd --analysis-job JSON`. The worker is a
/// process of its own so that the analysis — up to 1.5× a snapshot in memory — can never take
/// heapwatchd down: it runs at nice 19 with `oom_score_adj` 1000, so when the unit's
/// `MemoryMax=` (or the host) runs out, the OOM killer takes the worker, and the daemon logs it
/// and goes on watching.
public struct AnalysisJob: Codable, Sendable, Equatable {
    /// Stored snapshot files of one process instance, oldest first. The newest is read from its
    /// file; each earlier one from its kept summary (`SnapshotStore.summaryPath`) when that is readable.
    public var snapshots: [String]
    public var top: Int

    /// Where the report goes: beside the newest snapshot.
    public var reportPath: String { SnapshotStore.reportPath(of: snapshots.last ?? "") }
}

public enum AnalysisWorker {
    /// Set in a worker's environment: see `heapwatch_analysis_worker_setup` (CLinux).
    public static let environmentVariable = "HEAPWATCH_ANALYSIS_WORKER"

    /// The worker's `main`: runs the job, keeps the summary of every file it read, stores the
    /// report, and returns the exit status (0, or 1 with the reason on stderr).
    public static func run(jobJSON: String) -> Int32 {
        // Nice 19 and oom_score_adj 1000 were set before main, for every thread (the call here
        // also makes the compiler emit that constructor); without the environment variable this
        // is not a worker heapwatchd started, and it sets them now, for this thread at least.
        if heapwatch_analysis_worker_setup() == 0 {
            setenv(AnalysisWorker.environmentVariable, "1", 1)
            _ = heapwatch_analysis_worker_setup()
        }
        endWithParent()
        do {
            let job = try JSONDecoder().decode(AnalysisJob.self, from: Data(jobJSON.utf8))
            try perform(job)
            return 0
        } catch {
            FileHandle.standardError.write(Data("heapwatchd analysis worker (pid \(getpid())): \(error)\n".utf8))
            return 1
        }
    }

    /// Ends the worker as soon as the process that started it is gone. Under systemd a killed
    /// heapwatchd takes its unit's cgroup and so the worker with it; started any other way, a
    /// SIGKILLed heapwatchd would leave the worker running to the end of its analysis, holding
    /// up to 1.5× a snapshot of memory for a report nobody serves (the next start analyzes the
    /// snapshot again). `PR_SET_PDEATHSIG` cannot say this: it fires when the parent's *thread*
    /// that spawned the worker exits, and heapwatchd's pool threads come and go. A pidfd of the
    /// parent process becomes readable when that process ends; a thread waits for it.
    static func endWithParent() {
        let parent = getppid()
        guard parent > 1 else { return }  // already orphaned, or a child of init: nothing to follow
        let pidfd = heapwatch_pidfd_open(parent)
        guard pidfd >= 0 else {
            FileHandle.standardError.write(Data("heapwatchd analysis worker (pid \(getpid())): cannot follow its parent \(parent) (pidfd_open: \(String(cString: strerror(errno)))); it runs to the end of its job\n".utf8))
            return
        }
        // The parent may have ended between getppid and pidfd_open, and its pid been reused.
        if getppid() != parent { parentGone(parent) }
        let watcher = Thread {
            var entry = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            while true {
                let ready = poll(&entry, 1, -1)
                if ready > 0 && entry.revents & Int16(POLLIN) != 0 { parentGone(parent) }
                // Interrupted: wait again. Any other outcome says nothing about the parent.
                if ready > 0 || errno != EINTR { return }
            }
        }
        watcher.name = "parent watch"
        watcher.start()
    }

    private static func parentGone(_ parent: pid_t) -> Never {
        FileHandle.standardError.write(Data("heapwatchd analysis worker (pid \(getpid())): heapwatchd (pid \(parent)) is gone; stopping (a later heapwatchd analyzes the snapshot again)\n".utf8))
        _exit(3)
    }

    static func perform(_ job: AnalysisJob) throws {
        guard let newest = job.snapshots.last else { return }
        let sources: [SnapshotSource] = job.snapshots.dropLast().map { path in
            // A summary that cannot be read (missing, damaged, older format) costs a file read.
            SnapshotStore.keptSummary(of: path).map(SnapshotSource.summary) ?? .file(path)
        } + [.file(newest)]
        let outcome = try HeapAnalyzer.analyze(sources, options: AnalysisOptions(top: job.top, maxParallelism: 1))
        for (source, summary) in zip(sources, outcome.summaries) {
            guard case .file(let path) = source else { continue }
            let summaryPath = SnapshotStore.summaryPath(of: path)
            do {
                try FileCopier.writeAtomically(Array(try summary.encoded()), to: summaryPath)
            } catch {
                // Not fatal: the next analysis reads the file again.
                FileHandle.standardError.write(Data("heapwatchd analysis worker: cannot keep the summary of \(path) at \(summaryPath): \(error)\n".utf8))
            }
        }
        try FileCopier.writeJSON(outcome.report, to: job.reportPath)
    }
}
