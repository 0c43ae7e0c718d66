import Foundation
import HeapwatchCore
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension IntegrationSuite {
    /// How a watched process died, said where on-call looks: a real OOM kill in a real memory
    /// cgroup, and a real death of the V8 heap limit.
    @Suite
    struct ProcessEndTests {
        /// heap-app.js moved into a new memory cgroup of `limitMiB` (released by the caller).
        static func appInCgroup(limitMiB: UInt64, nodeFlags: [String] = []) throws -> (TempDirectory, NodeApp, TightCgroup) {
            let appDirectory = try TempDirectory()
            let app = try NodeApp(script: Paths.testApps + "/heap-app.js", nodeFlags: nodeFlags, directory: appDirectory.path)
            let cgroup = try #require(try TightCgroup(limitBytes: limitMiB * 1024 * 1024))
            try cgroup.adopt(app.pid)
            return (appDirectory, app, cgroup)
        }

        /// Grows `app` (once `daemon` has sampled it) until it dies, and returns the daemon's line
        /// saying the OOM killer killed it.
        static func growUntilKilled(_ app: NodeApp, target: String, mb: Int, daemon: DaemonUnderTest) throws -> String {
            // Sampled at least once, so the cgroup's counter was read before the kill.
            _ = try daemon.statusJSON()
            let grow = try Tool.run("/usr/bin/curl", ["-sS", "--max-time", "10", "http://127.0.0.1:\(app.port)/grow?mb=\(mb)"])
            #expect(grow.stdout.contains("growing"), "\(grow)")
            #expect(try app.child.waitForExit(timeout: 60) != 0)
            return try daemon.child.stderr.waitForLine(timeout: 20) { $0.contains("\(target) pid \(app.pid) was killed by the kernel's OOM killer") }
        }

        @Test(.enabled(if: TightCgroup.isAvailable, TightCgroup.unavailable))
        func anOOMKillInItsCgroupIsReportedWithTheEvidence() throws {
            let sinkDirectory = try TempDirectory()
            let events = sinkDirectory.file("events.jsonl")
            let (appDirectory, app, cgroup) = try Self.appInCgroup(limitMiB: 128)
            defer { cgroup.release(app.pid); withExtendedLifetime(appDirectory) {} }
            let daemon = try DaemonUnderTest(targets: DaemonUnderTest.fastTarget("oom", tag: app.tag, extra: """
                capture = "none"

                [[sink]]
                type = "jsonl"
                path = "\(events)"
                events = ["out_of_memory"]
                """), interval: DaemonUnderTest.fastInterval)
            try daemon.child.stderr.waitForLine(timeout: 20) { $0.contains("watching oom pid \(app.pid)") }
            // The kernel kills it at the cgroup's limit; V8's own limit (host-sized) is far above.
            let line = try Self.growUntilKilled(app, target: "oom", mb: 4, daemon: daemon)
            #expect(line.contains("oom_kill of its cgroup 0 → 1"), "\(line)")
            #expect(line.contains("last seen at RSS") && !line.contains("RSS 0B"), "its last live sample, not its zombie's: \(line)")
            #expect(line.contains("no snapshot of it was stored"), "\(line)")
            #expect(line.contains("HEAPWATCH_CAUSE=oom_kill"), "\(line)")
            #expect(line.contains("MESSAGE_ID=d3b8a5c4f1e94a7b9c2e6f0a8b5d1c37"), "\(line)")
            try eventually(timeout: 10) { (try? String(contentsOfFile: events, encoding: .utf8))?.contains("out_of_memory") == true }
            let event = try #require(try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n").first)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
            #expect(object["cause"] as? String == "oom_kill", "\(object)")
            #expect(object["pid"] as? Int == Int(app.pid))
            // `status` says so on the target's row, absent now: the next on-call look finds it.
            let rows = try #require(try daemon.statusJSON()["targets"] as? [[String: Any]])
            let death = try #require(rows.first { $0["name"] as? String == "oom" }?["last_death"] as? [String: Any], "\(rows)")
            #expect(death["pid"] as? Int == Int(app.pid) && death["cause"] as? String == "oom_kill", "\(death)")
            #expect((death["message"] as? String)?.hasPrefix("was killed by the kernel's OOM killer") == true, "\(death)")
            let status = try daemon.ctl(["status"])
            #expect(status.stdout.contains("oom died of memory: pid \(app.pid), "), "\(status.stdout)")
            // The history keeps it, and its chart marks where the process died.
            let history = try daemon.ctl(["history", "oom", "--json"])
            let kinds = ((try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any])?["events"] as? [[String: Any]])?
                .compactMap { $0["kind"] as? String } ?? []
            #expect(kinds.contains("out_of_memory"), "\(history)")
            let chart = try daemon.ctl(["history", "oom"])
            #expect(chart.stdout.contains("X died of memory"), "\(chart.stdout)")
            #expect(try daemon.stop() == 0)

            // A restarted daemon takes it back from the history.
            let restarted = try DaemonUnderTest(targets: DaemonUnderTest.fastTarget("oom", tag: app.tag, extra: "capture = \"none\""),
                                                interval: DaemonUnderTest.fastInterval, stateDirectory: daemon.stateDirectory)
            let after = try #require(try restarted.statusJSON()["targets"] as? [[String: Any]])
            let kept = try #require(after.first { $0["name"] as? String == "oom" }?["last_death"] as? [String: Any], "\(after)")
            #expect(kept["pid"] as? Int == Int(app.pid) && kept["cause"] as? String == "oom_kill", "\(kept)")
            #expect(kept["message"] as? String == death["message"] as? String, "\(kept)")
            #expect(try restarted.stop() == 0)
        }

        /// FIELD-NOTES: in a cgroup the kernel kills node while it writes its own near-limit
        /// snapshot. heapwatchd says so beforehand, then says it was the OOM killer, and leaves no
        /// cut-off file behind.
        @Test(.enabled(if: TightCgroup.isAvailable, TightCgroup.unavailable))
        func nodesOwnSnapshotInATightCgroupIsWarnedOfAndItsDeathExplained() throws {
            let (appDirectory, app, cgroup) = try Self.appInCgroup(limitMiB: 256,
                                                                   nodeFlags: ["--max-old-space-size=100", "--heapsnapshot-near-heap-limit=1"])
            defer { cgroup.release(app.pid) }
            let daemon = try DaemonUnderTest(targets: DaemonUnderTest.fastTarget("tight", tag: app.tag, extra: "capture = \"none\""),
                                             interval: DaemonUnderTest.fastInterval)
            let warning = try daemon.child.stderr.waitForLine(timeout: 20) { $0.contains("tight pid \(app.pid) writes heap snapshots of its own near its heap limit, but") }
            #expect(warning.contains("its heap is at its limit (100MiB)"), "\(warning)")
            #expect(warning.contains("over its cgroup limit 256MiB"), "\(warning)")
            let death = try Self.growUntilKilled(app, target: "tight", mb: 2, daemon: daemon)
            #expect(death.contains("HEAPWATCH_CAUSE=oom_kill"), "\(death)")
            // What node had begun is removed: it holds secrets and will never be finished.
            let removed = try daemon.child.stderr.waitForLine(timeout: 20) { $0.contains("pid \(app.pid) exited while writing its own snapshot near its heap limit") }
            #expect(removed.contains("the incomplete file was removed"), "\(removed)")
            let files = try FileManager.default.contentsOfDirectory(atPath: appDirectory.path)
            #expect(!files.contains { $0.hasPrefix("Heap.") }, "\(files)")
            #expect(try daemon.ctl(["snapshots", "tight"]).stdout.contains("no snapshots stored"))
            #expect(try daemon.stop() == 0)
        }

        @Test func aProcessThatExitsOfItsOwnIsNoAlarm() throws {
            let appDirectory = try TempDirectory()
            let app = try NodeApp(script: Paths.testApps + "/heap-app.js", directory: appDirectory.path)
            let daemon = try DaemonUnderTest(targets: DaemonUnderTest.fastTarget("calm", tag: app.tag, extra: "capture = \"none\""),
                                             interval: DaemonUnderTest.fastInterval)
            try daemon.child.stderr.waitForLine(timeout: 20) { $0.contains("watching calm pid \(app.pid)") }
            _ = try daemon.statusJSON()
            kill(app.pid, SIGTERM)
            _ = try app.child.waitForExit(timeout: 20)
            let line = try daemon.child.stderr.waitForLine(timeout: 20) { $0.contains("calm pid \(app.pid) ") && !$0.contains("watching") }
            #expect(line.contains("calm pid \(app.pid) exited"), "\(line)")
            #expect(!line.contains("HEAPWATCH_CAUSE"), "\(line)")
            #expect(try daemon.stop() == 0)
        }
    }
}
