import CLinux
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension IntegrationSuite {
    /// The analysis runs in a worker process, so that running out of memory — or anything else
    /// that kills it — never takes heapwatchd down; and it is not started when heapwatchd's own
    /// cgroup (the unit's MemoryMax=) lacks the room.
    @Suite
    struct AnalysisWorkerTests {
        static func target(_ tag: String) -> String {
            """
            [[target]]
            name = "app"
            command = "\(tag)"
            capture = "signal"
            window = "1h"
            """
        }

        /// heap-app.js keeping `heapMB` MiB alive, started with the SIGUSR2 flag, and a daemon
        /// watching it (the directory is returned to live as long as the test).
        static func appAndDaemon(heapMB: Int) throws -> (TempDirectory, NodeApp, DaemonUnderTest) {
            let appDirectory = try TempDirectory()
            let app = try NodeApp(script: Paths.testApps + "/heap-app.js", nodeFlags: ["--heapsnapshot-signal=SIGUSR2"],
                                  environment: ["HEAP_MB": String(heapMB)], directory: appDirectory.path)
            return (appDirectory, app, try DaemonUnderTest(targets: Self.target(app.tag)))
        }

        /// Moves heapwatchd into a 192 MiB memory cgroup (as under MemoryMax=192M): room to copy
        /// a ~100 MB snapshot (page cache), not to analyze it (about 1.5× the file). The tests that
        /// call it run only where `TightCgroup.isAvailable`.
        static func squeeze(_ daemon: DaemonUnderTest) throws -> TightCgroup {
            let cgroup = try #require(try TightCgroup(limitBytes: 192 * 1024 * 1024))
            do {
                try cgroup.adopt(daemon.child.pid)
            } catch {
                cgroup.release(daemon.child.pid)
                throw error
            }
            return cgroup
        }

        /// Pids of `heapwatchd --analysis-job …` processes whose parent is `parent`.
        static func workers(of parent: Int32) -> [Int32] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return entries.compactMap(Int32.init).filter { pid in
                guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                      String(decoding: cmdline, as: UTF8.self).contains("--analysis-job"),
                      let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                      let close = stat.lastIndex(of: ")") else { return false }
                let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
                return fields.count > 1 && Int32(fields[1]) == parent
            }
        }

        @Test func aKilledWorkerLeavesTheDaemonWatching() throws {
            // A ~100 MB snapshot: the (debug-built) worker takes seconds over it.
            let (appDirectory, app, daemon) = try Self.appAndDaemon(heapMB: 40)
            defer { withExtendedLifetime(appDirectory) {} }
            try daemon.snapshot("app")
            try daemon.child.stderr.waitForLine(timeout: 30) { $0.contains("analyzing 1 snapshot of app pid \(app.pid)") }
            var worker: Int32 = 0
            try eventually(timeout: 30) {
                worker = Self.workers(of: daemon.child.pid).first ?? 0
                return worker != 0
            }
            // The worker puts itself first in line for the OOM killer, at the lowest priority, as it starts.
            try eventually(timeout: 10) {
                (try? String(contentsOfFile: "/proc/\(worker)/oom_score_adj", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) == "1000"
            }
            #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(worker)) == 19)
            // Asked for meanwhile, the report says the analysis is under way.
            let running = try daemon.ctl(["report", "app"])
            #expect(running.status == 1 && running.stderr.contains("the analysis of pid \(app.pid)'s latest snapshot is running (1 snapshot, started 20"),
                    "\(running.stderr)")

            kill(worker, SIGKILL)
            let failed = try daemon.child.stderr.waitForLine(timeout: 30) { $0.contains("analysis of app pid \(app.pid) failed") }
            #expect(failed.contains("killed (SIGKILL)"), "\(failed)")
            #expect(failed.contains("the snapshots are kept"))
            // Still watching and answering; no report was written, the snapshot is there.
            #expect(daemon.child.isRunning)
            let rows = try #require(try daemon.statusJSON()["targets"] as? [[String: Any]])
            #expect(rows.first?["pid"] as? Int == Int(app.pid))
            let report = try daemon.ctl(["report", "app"])
            #expect(report.status == 1 && report.stderr.contains("no analysis report for 'app' yet: the analysis of pid \(app.pid)'s latest snapshot failed: the worker was killed (SIGKILL)"),
                    "\(report.stdout)\(report.stderr)")
            #expect(try daemon.ctl(["snapshots", "app", "--json"]).stdout.contains("\"path\""))
            #expect(Self.workers(of: daemon.child.pid).isEmpty)
            #expect(app.isAlive)
            #expect(try daemon.stop() == 0)
        }

        /// A worker whose heapwatchd is SIGKILLed outside systemd (no unit cgroup to take it
        /// along) stops instead of running to the end of its analysis. Its parent here is a shell
        /// killed the same way; its snapshot is a FIFO, so without the parent watch it would
        /// wait on it forever.
        @Test func aWorkerStopsWhenTheProcessThatStartedItIsKilled() throws {
            let directory = try TempDirectory()
            let fifo = directory.file("never.heapsnapshot")
            #expect(mkfifo(fifo, 0o600) == 0)
            let job = #"{"snapshots":["\#(fifo)"],"top":5}"#
            let parent = try Child("/bin/sh", ["-c", #""$0" --analysis-job "$1" & echo "$!"; wait"#, Paths.heapwatchd, job],
                                   environment: ["HEAPWATCH_ANALYSIS_WORKER": "1"])
            let worker = try #require(Int32(try parent.stdout.waitForLine(timeout: 10) { Int32($0) != nil }))
            let pidfd = heapwatch_pidfd_open(worker)
            #expect(pidfd >= 0)
            defer {
                // The test failed if the worker is still there: leave nothing behind. Through the
                // pidfd: once the worker has ended (the test passed), its pid may be another process's.
                if pidfd >= 0 {
                    _ = heapwatch_pidfd_send_signal(pidfd, SIGKILL)
                    close(pidfd)
                } else {
                    kill(worker, SIGKILL)
                }
            }
            // The worker has opened the FIFO and now waits for data in the middle of its job: a
            // writer can open it (its open succeeds once a reader is there).
            var writer: Int32 = -1
            try eventually(timeout: 20) {
                writer = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
                return writer >= 0
            }
            defer { close(writer) }
            var entry = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            #expect(poll(&entry, 1, 0) == 0, "the worker ended before its parent did")

            // (Not waiting for the shell's exit: Foundation reports it only once the pipes it shares
            // with the worker close.)
            parent.signal(SIGKILL)
            #expect(poll(&entry, 1, 10_000) == 1, "the worker still runs 10 s after its parent was killed")
            let said = try parent.stderr.waitForLine(timeout: 10) { $0.contains("analysis worker") }
            #expect(said.contains("heapwatchd (pid \(parent.pid)) is gone; stopping"), "\(said)")
        }

        /// A snapshot stored by a run that stopped before analyzing it is analyzed at the next start.
        @Test func aSnapshotLeftUnanalyzedIsAnalyzedAtTheNextStart() throws {
            let (appDirectory, app, daemon) = try Self.appAndDaemon(heapMB: 4)
            defer { withExtendedLifetime(appDirectory) {} }
            let snapshot = try daemon.snapshot("app")
            try daemon.child.stderr.waitForLine(timeout: 60) { $0.contains("app pid \(app.pid): first snapshot analyzed") }
            #expect(try daemon.stop() == 0)
            // As if the run had ended before its analysis did.
            let base = String(snapshot.dropLast(".heapsnapshot".count))
            #expect(unlink(base + ".report") == 0 && unlink(base + ".summary") == 0, "\(snapshot)")

            try daemon.restart()
            try daemon.child.stderr.waitForLine(timeout: 60) { $0.contains("app pid \(app.pid): first snapshot analyzed") }
            #expect(FileManager.default.fileExists(atPath: base + ".report"))
            #expect(FileManager.default.fileExists(atPath: base + ".summary"))
            #expect(try daemon.ctl(["report", "app"]).status == 0)
            #expect(try daemon.stop() == 0)
        }

        /// A summary or report whose snapshot is gone (a worker that finished after retention
        /// removed the file) is removed at start; those of stored snapshots stay.
        @Test func orphanedSummariesAndReportsAreRemovedAtStart() throws {
            let state = try TempDirectory()
            let store = state.file("snapshots/app")
            try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
            for name in ["gone.summary", "gone.report", "kept.json", "kept.summary", "kept.report"] {
                try "{}".write(toFile: store + "/" + name, atomically: false, encoding: .utf8)
            }
            let daemon = try DaemonUnderTest(targets: Self.target("hwtest-nothing-matches"), stateDirectory: state.path)
            try daemon.child.stderr.waitForLine(timeout: 20) { $0.contains("gone.report: its snapshot is gone") }
            let left = try FileManager.default.contentsOfDirectory(atPath: store).sorted()
            #expect(left == ["kept.json", "kept.report", "kept.summary"])
            #expect(try daemon.stop() == 0)
        }

        /// A reload must not take a file being written (a capture's or a worker's `.partial`) for a
        /// leftover of an earlier run.
        @Test func aReloadLeavesFilesBeingWrittenAlone() throws {
            let daemon = try DaemonUnderTest(targets: Self.target("hwtest-nothing-matches"))
            try FileManager.default.createDirectory(atPath: daemon.storeDirectory + "/app", withIntermediateDirectories: true)
            let writing = daemon.storeDirectory + "/app/20261125T000000Z-1.heapsnapshot.partial"
            try "{".write(toFile: writing, atomically: false, encoding: .utf8)
            let reload = try daemon.ctl(["reload"])
            #expect(reload.status == 0, "\(reload.stderr)")
            #expect(FileManager.default.fileExists(atPath: writing))
            #expect(try daemon.stop() == 0)
        }

        /// The first snapshot is analyzed; the second's analysis is skipped (heapwatchd now in a
        /// cgroup too small for it): `report` shows the first report under a note saying why the
        /// latest snapshot has none.
        @Test(.enabled(if: TightCgroup.isAvailable, TightCgroup.unavailable))
        func aSkippedAnalysisIsNotedAboveTheEarlierReport() throws {
            let (appDirectory, app, daemon) = try Self.appAndDaemon(heapMB: 40)
            defer { withExtendedLifetime(appDirectory) {} }
            try daemon.snapshot("app")
            try daemon.child.stderr.waitForLine(timeout: 90) { $0.contains("app pid \(app.pid): first snapshot analyzed") }
            let cgroup = try Self.squeeze(daemon)
            defer { cgroup.release(daemon.child.pid) }
            try daemon.snapshot("app")
            try daemon.child.stderr.waitForLine(timeout: 30) { $0.contains("analysis of app pid \(app.pid) skipped") }

            let report = try daemon.ctl(["report", "app"])
            #expect(report.status == 0, "\(report.stderr)")
            let lines = report.stdout.split(separator: "\n")
            #expect(lines.first?.hasPrefix("note: the analysis of pid \(app.pid)'s latest snapshot was skipped: it needs about") == true,
                    "\(report.stdout)")
            #expect(lines.first?.hasSuffix("; this is the report before it") == true, "\(report.stdout)")
            #expect(lines.dropFirst().first?.hasPrefix("analysis of app pid \(app.pid) (") == true, "\(report.stdout)")
            let json = try daemon.ctl(["report", "app", "--json"])
            let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            #expect((object?["note"] as? String)?.contains("was skipped") == true, "\(json.stdout)")
            #expect(object?["report"] != nil)
            #expect(try daemon.stop() == 0)
        }

        @Test(.enabled(if: TightCgroup.isAvailable, TightCgroup.unavailable))
        func analysisIsSkippedWhenHeapwatchdsCgroupIsTooSmall() throws {
            let (appDirectory, app, daemon) = try Self.appAndDaemon(heapMB: 40)
            defer { withExtendedLifetime(appDirectory) {} }
            let cgroup = try Self.squeeze(daemon)
            defer { cgroup.release(daemon.child.pid) }
            try daemon.snapshot("app")
            let skipped = try daemon.child.stderr.waitForLine(timeout: 30) { $0.contains("analysis of app pid \(app.pid) skipped") }
            #expect(skipped.contains("heapwatchd's cgroup has"), "\(skipped)")
            #expect(skipped.contains("limit 192MiB"), "\(skipped)")
            #expect(skipped.contains("MemoryMax="))
            let report = try daemon.ctl(["report", "app"])
            #expect(report.status == 1 && report.stderr.contains("the analysis of pid \(app.pid)'s latest snapshot was skipped: it needs about") && report.stderr.contains("heapwatchd's cgroup has"),
                    "\(report.stderr)")
            #expect(Self.workers(of: daemon.child.pid).isEmpty)
            #expect(app.isAlive)
            #expect(try daemon.stop() == 0)
        }
    }
}
