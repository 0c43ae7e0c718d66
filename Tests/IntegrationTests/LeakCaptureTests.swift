import Foundation
import HeapwatchCore
@testable import HeapwatchDaemon
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif


extension IntegrationSuite {
    /// The spine end to end: a real leaky Node app, a real heapwatchd, real files and sockets.
    @Suite
    struct LeakCaptureTests {
        /// The leaky example app with `--heapsnapshot-signal=SIGUSR2` and a daemon watching it
        /// with `fastTarget` (the directory is returned to live as long as the test).
        static func leakyAppAndDaemon(extra: String = "") throws -> (TempDirectory, NodeApp, DaemonUnderTest) {
            let appDirectory = try TempDirectory()
            let app = try NodeApp(nodeFlags: ["--heapsnapshot-signal=SIGUSR2"], directory: appDirectory.path)
            let daemon = try DaemonUnderTest(targets: DaemonUnderTest.fastTarget("leaky", tag: app.tag, extra: extra),
                                             interval: DaemonUnderTest.fastInterval)
            return (appDirectory, app, daemon)
        }

        @Test func leakIsDetectedAndASnapshotIsStoredPrivately() throws {
            let (appDirectory, app, daemon) = try Self.leakyAppAndDaemon()

            let stored = try daemon.child.stderr.waitForLine(timeout: 120) { $0.contains("snapshot of leaky pid \(app.pid) stored") }
            #expect(stored.contains("MESSAGE_ID=52414fcb6b264f24a8f7132100749f3f"))

            let status = try daemon.statusJSON()
            let rows = try #require(status["targets"] as? [[String: Any]])
            let row = try #require(rows.first { $0["name"] as? String == "leaky" })
            #expect(row["pid"] as? Int == Int(app.pid))
            #expect(row["state"] as? String == "leaking")
            #expect((row["slope_bytes_per_hour"] as? Double ?? 0) > 1024 * 1024)
            #expect(row.keys.contains("limit_bytes"))
            // Without a cgroup limit or rss_max, the forecast is about the host's memory (RSS plus
            // MemAvailable, which this process has not filled); without heap figures it says that
            // V8's default heap limit for this host may come first.
            if row["limit_bytes"] is NSNull {
                #expect(row["eta_limit"] as? String == "host", "\(row)")
                let host = try #require((row["eta_limit_bytes"] as? NSNumber)?.doubleValue, "\(row)")
                let rss = try #require((row["rss_bytes"] as? NSNumber)?.doubleValue)
                #expect(host > rss + 64 * 1_048_576, "\(row)")
                let v8 = V8Defaults.oldSpaceBytes(memoryBytes: try ProcFS().memTotal())
                #expect((row["v8_heap_limit_bytes"] as? NSNumber)?.uint64Value == v8, "\(row)")
                let human = try daemon.ctl(["status"]).stdout
                #expect(human.contains(" host ") && human.contains("leaky pid \(app.pid) fills the host's memory ("), "\(human)")
                #expect(human.contains("its V8 heap limit (\(Units.formatBytes(v8))) may end it sooner (a heap_source would tell)"), "\(human)")
            }

            let listing = try daemon.ctl(["snapshots", "--json"])
            #expect(listing.status == 0)
            let snapshots = try #require((try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [String: Any])?["snapshots"] as? [[String: Any]])
            let entry = try #require(snapshots.first)
            let path = try #require(entry["path"] as? String)
            #expect(entry["target"] as? String == "leaky")
            #expect(entry["method"] as? String == "signal")

            // Stored privately, whole, with a manifest whose checksum matches.
            let info = try FileManager.default.attributesOfItem(atPath: path)
            #expect((info[.posixPermissions] as? Int) == 0o600)
            let directoryInfo = try FileManager.default.attributesOfItem(atPath: daemon.storeDirectory + "/leaky")
            #expect((directoryInfo[.posixPermissions] as? Int) == 0o700)
            let storeInfo = try FileManager.default.attributesOfItem(atPath: daemon.storeDirectory)
            #expect((storeInfo[.posixPermissions] as? Int) == 0o700)
            let manifestPath = String(path.dropLast(".heapsnapshot".count)) + ".json"
            let manifest = try JSONDecoder().decode(SnapshotManifest.self, from: Data(contentsOf: URL(fileURLWithPath: manifestPath)))
            #expect(manifest.pid == app.pid)
            // Retention ages snapshots by the manifest's time.
            let seconds = try #require(SnapshotStore.epochSeconds(manifest.time))
            #expect(SnapshotNaming.iso8601(seconds) == manifest.time)
            #expect(manifest.bytes == (info[.size] as? UInt64))
            let digest = try Tool.run("/usr/bin/sha256sum", [path])
            #expect(digest.stdout.hasPrefix(manifest.sha256 + " "))
            let tail = try Data(contentsOf: URL(fileURLWithPath: path)).suffix(2)
            #expect(Array(tail) == Array("]}".utf8))

            // The original in the app's directory is gone, and the app lives on.
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: appDirectory.path).filter { $0.hasSuffix(".heapsnapshot") }
            #expect(leftovers.isEmpty)
            #expect(app.isAlive)
            #expect(try daemon.stop() == 0)
        }

        /// Issue 4 in the daemon: each stored snapshot is analyzed once and its summary kept; the
        /// follow-up snapshot is diffed against the kept summary (one file read, not two), and
        /// `heapwatchctl report` says what grows.
        @Test func aLeakEpisodeIsAnalyzedFromKeptSummaries() throws {
            let sinkDirectory = try TempDirectory()
            let events = sinkDirectory.file("events.jsonl")
            let (appDirectory, app, daemon) = try Self.leakyAppAndDaemon(extra: """
                cooldown = "3s"

                [[sink]]
                type = "jsonl"
                path = "\(events)"
                events = ["leak_report"]
                """)
            defer { withExtendedLifetime(appDirectory) {} }
            let prefix = "leaky pid \(app.pid)"
            try daemon.child.stderr.waitForLine(timeout: 120) { $0.contains("\(prefix): first snapshot analyzed") }
            // Before a second snapshot, the report lists what retains the most.
            let single = try daemon.ctl(["report", "leaky", "--json"])
            #expect(single.status == 0, "\(single.stderr)")
            let singleReport = try #require((try JSONSerialization.jsonObject(with: Data(single.stdout.utf8)) as? [String: Any])?["report"] as? [String: Any])
            #expect((singleReport["snapshots"] as? [Any])?.count == 1)
            #expect(!((singleReport["top_classes"] as? [Any]) ?? []).isEmpty)

            let second = try daemon.child.stderr.waitForLine(timeout: 120) { $0.contains("analyzing 2 snapshots of leaky pid \(app.pid)") }
            #expect(second.contains("(1 to read, 1 from kept summaries)"), "\(second)")
            let leaks = try daemon.child.stderr.waitForLine(timeout: 120) { $0.contains("\(prefix) leaks: ") }
            #expect(leaks.contains("MESSAGE_ID=9c1f4e2a7b6d4d1e8a3c5f0b2d7e6a19"), "\(leaks)")

            let reply = try daemon.ctl(["report", "leaky", "--json"])
            #expect(reply.status == 0, "\(reply.stderr)")
            let report = try #require((try JSONSerialization.jsonObject(with: Data(reply.stdout.utf8)) as? [String: Any])?["report"] as? [String: Any])
            #expect((report["snapshots"] as? [Any])?.count == 2)
            let findings = try #require(report["findings"] as? [[String: Any]])
            let top = try #require(findings.first)
            // The app leaks listeners, timers and a cache on every request: one of them is on top.
            #expect(["listeners", "timers", "collection"].contains(top["kind"] as? String ?? ""), "\(top)")
            #expect((top["count"] as? [Int])?.count == 2)

            // `status` shows what grows, in JSON and for people.
            let rows = try #require(try daemon.statusJSON()["targets"] as? [[String: Any]])
            #expect(rows.first { $0["pid"] as? Int == Int(app.pid) }?["finding"] as? String == top["summary"] as? String)
            // Sinks hear of it: a leak_report event with the finding.
            try eventually(timeout: 10) { (try? String(contentsOfFile: events, encoding: .utf8))?.contains("leak_report") == true }
            let reportEvent = try #require(try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n").first
                .flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
            #expect(reportEvent["event"] as? String == "leak_report")
            #expect(reportEvent["finding"] as? String == top["summary"] as? String)
            #expect(reportEvent["pid"] as? Int == Int(app.pid))
            let human = try daemon.ctl(["status"])
            #expect(human.stdout.contains("leaky pid \(app.pid) grows: \(top["summary"] as? String ?? "?")"), "\(human.stdout)")

            // One summary per snapshot, private.
            let files = try FileManager.default.contentsOfDirectory(atPath: daemon.storeDirectory + "/leaky")
            let summaries = files.filter { $0.hasSuffix(".summary") }
            #expect(summaries.count == 2, "\(files)")
            for name in summaries {
                let info = try FileManager.default.attributesOfItem(atPath: daemon.storeDirectory + "/leaky/" + name)
                #expect((info[.posixPermissions] as? Int) == 0o600)
            }
            #expect(app.isAlive)
            #expect(try daemon.stop() == 0)

            // Offline, `heapwatchctl analyze` gives the daemon's findings from the two files, and
            // from the first one's kept summary plus the second file.
            let snapshots = files.filter { $0.hasSuffix(".heapsnapshot") }.sorted().map { daemon.storeDirectory + "/leaky/" + $0 }
            #expect(snapshots.count == 2)
            let kept = String(snapshots[0].dropLast(".heapsnapshot".count)) + ".summary"
            // The connection options an alias puts before any command are no error for `analyze`.
            for (options, inputs) in [(["analyze", "--json"], snapshots),
                                      (["--socket", "/nonexistent/control.sock", "--json", "analyze"], [kept, snapshots[1]])] {
                let offline = try heapwatchctl(options + inputs)
                #expect(offline.status == 0, "\(offline.stderr)")
                let json = try #require(try JSONSerialization.jsonObject(with: Data(offline.stdout.utf8)) as? [String: Any])
                let offlineTop = try #require((json["findings"] as? [[String: Any]])?.first)
                #expect(offlineTop["summary"] as? String == top["summary"] as? String, "\(inputs)")
            }
            let backwards = try heapwatchctl(["analyze", snapshots[0], kept])
            #expect(backwards.status != 0 && backwards.stderr.contains("the newest snapshot must be a .heapsnapshot file"))
            try daemon.directory.write("not json", to: "garbage.summary")
            let garbage = daemon.directory.file("garbage.summary")
            let unreadable = try heapwatchctl(["analyze", garbage, snapshots[1]])
            #expect(unreadable.status != 0 && unreadable.stderr.contains("garbage.summary: not a summary"), "\(unreadable.stderr)")
        }

        @Test func theDailyCapHoldsAcrossARestart() throws {
            let (appDirectory, app, daemon) = try Self.leakyAppAndDaemon(extra: "max_captures_per_day = 1\ncooldown = \"0s\"")
            defer { withExtendedLifetime(appDirectory) {} }
            try daemon.child.stderr.waitForLine(timeout: 120) { $0.contains("snapshot of leaky pid \(app.pid) stored") }
            #expect(try daemon.stop() == 0)

            // The new run goes on with the episode (its next capture is the follow-up, cooldown 0 s);
            // the one automatic capture of the last 24 h still counts.
            try daemon.restart()
            let refused = try daemon.child.stderr.waitForLine(timeout: 120) { $0.contains("capture of leaky pid \(app.pid) refused") }
            #expect(refused.contains("max_captures_per_day = 1"))
            #expect(try daemon.ctl(["snapshots", "leaky", "--json"]).stdout.components(separatedBy: "\"path\"").count == 2)
            #expect(try daemon.stop() == 0)
        }

        /// A restart of heapwatchd does not snapshot the process again within its cooldown (1 h).
        @Test func theCooldownHoldsAcrossARestart() throws {
            let (appDirectory, app, daemon) = try Self.leakyAppAndDaemon()
            defer { withExtendedLifetime(appDirectory) {} }
            try daemon.child.stderr.waitForLine(timeout: 120) { $0.contains("snapshot of leaky pid \(app.pid) stored") }
            #expect(try daemon.stop() == 0)

            try daemon.restart()
            // The new run goes on from the trend the last one recorded: the leak is `leaking` at its
            // first tick, the one that would ask for a capture.
            let resumed = try daemon.child.stderr.waitForLine(timeout: 30) { $0.contains("leaky pid \(app.pid): trend resumed from") }
            #expect(resumed.contains(": leaking"), "\(resumed)")
            // Its status row still names the snapshot the last run stored of it.
            let rows = try #require(try daemon.statusJSON()["targets"] as? [[String: Any]])
            let row = try #require(rows.first { $0["pid"] as? Int == Int(app.pid) })
            let last = try #require(row["last_capture"] as? String, "\(row)")
            #expect(last.hasPrefix("stored \(daemon.storeDirectory)/leaky/") && last.hasSuffix(".heapsnapshot"), "\(last)")
            // A manual capture is refused as busy while an automatic one runs, and queues behind one.
            let manual = try daemon.ctl(["snapshot", "leaky", "--wait"])
            #expect(manual.status == 0, "\(manual.stderr)")
            let listing = try daemon.ctl(["snapshots", "leaky", "--json"])
            let snapshots = try #require((try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [String: Any])?["snapshots"] as? [[String: Any]])
            // It failed once under the full suite's load (["baseline", "manual"]): say what was stored when, and what the daemon did.
            let stored = snapshots.map { "\($0["time"] ?? "?") \($0["reason"] ?? "?") \($0["path"] ?? "?")" }
            let captures = daemon.child.stderr.all.filter { $0.contains("snapshot") || $0.contains("capture") }
            #expect(snapshots.compactMap { $0["reason"] as? String } == ["manual", "baseline"],
                    "\(stored.joined(separator: "\n"))\n\(captures.joined(separator: "\n"))")
            #expect(try daemon.stop() == 0)
        }

        /// A process started with `--heapsnapshot-near-heap-limit=2` writes two snapshots on its
        /// own as its heap nears its limit, then dies of it: heapwatchd moves both into its store
        /// (nothing is left in the app's directory), and its analysis says what grew between them.
        @Test func snapshotsNodeWritesNearItsHeapLimitAreCollected() throws {
            let appDirectory = try TempDirectory()
            let app = try NodeApp(script: Paths.testApps + "/heap-app.js",
                                  nodeFlags: ["--max-old-space-size=40", "--heapsnapshot-near-heap-limit=2"],
                                  directory: appDirectory.path)
            let daemon = try DaemonUnderTest(targets: DaemonUnderTest.fastTarget("own", tag: app.tag, extra: "capture = \"none\""),
                                             interval: DaemonUnderTest.fastInterval)
            try daemon.child.stderr.waitForLine(timeout: 20) { $0.contains("own pid \(app.pid) writes up to 2 heap snapshots of its own") }
            let grow = try Tool.run("/usr/bin/curl", ["-sS", "--max-time", "10", "http://127.0.0.1:\(app.port)/grow?mb=4"])
            #expect(grow.stdout.contains("growing"), "\(grow)")
            for _ in 1...2 {
                try daemon.child.stderr.waitForLine(timeout: 120) { $0.contains("snapshot node wrote near its heap limit of own pid \(app.pid) stored") }
            }
            let report = try daemon.child.stderr.waitForLine(timeout: 120) { $0.contains("own pid \(app.pid) leaks: ") }
            #expect(report.contains("Array 'leaked' of {i, s}"), "\(report)")
            // It dies of its heap limit (SIGABRT), as it would without heapwatchd, and is said to.
            #expect(try app.child.waitForExit(timeout: 60) != 0)
            let death = try daemon.child.stderr.waitForLine(timeout: 20) { $0.contains("own pid \(app.pid) died, most likely of its V8 heap limit") }
            #expect(death.contains("node had begun 2 snapshots near its heap limit"), "\(death)")
            #expect(death.contains("HEAPWATCH_CAUSE=heap_limit"), "\(death)")
            #expect(death.contains("heapwatchctl report own --pid \(app.pid)"), "\(death)")

            let files = try FileManager.default.contentsOfDirectory(atPath: appDirectory.path)
            #expect(!files.contains { $0.hasPrefix("Heap.") }, "\(files)")
            let listing = try daemon.ctl(["snapshots", "own", "--json"])
            let snapshots = try #require((try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [String: Any])?["snapshots"] as? [[String: Any]])
            #expect(snapshots.compactMap { $0["reason"] as? String } == ["heap_limit", "heap_limit"], "\(snapshots)")
            for snapshot in snapshots {
                let path = try #require(snapshot["path"] as? String)
                let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
                #expect(mode == 0o600, "\(path)")
                #expect(snapshot["method"] as? String == "near_heap_limit")
            }
            #expect(try daemon.stop() == 0)
        }

        @Test func snapshotsNodeWroteBeforeHeapwatchdWatchedAreTakenUp() throws {
            let appDirectory = try TempDirectory()
            let app = try NodeApp(script: Paths.testApps + "/heap-app.js",
                                  nodeFlags: ["--max-old-space-size=40", "--heapsnapshot-near-heap-limit=2"],
                                  directory: appDirectory.path)
            // A file of an earlier process that had the same pid: older than this one.
            let earlier = appDirectory.path + "/Heap.20260101.000000.\(app.pid).0.001.heapsnapshot"
            #expect(FileManager.default.createFile(atPath: earlier, contents: Data("{\"strings\":[]}".utf8)))
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: earlier)
            let grow = try Tool.run("/usr/bin/curl", ["-sS", "--max-time", "10", "http://127.0.0.1:\(app.port)/grow?mb=4&until=snapshot"])
            #expect(grow.stdout.contains("growing"), "\(grow)")
            let stopped = try app.child.stdout.waitForLine(timeout: 60) { $0.hasPrefix("stopped growing after ") }
            let own = String(stopped.dropFirst("stopped growing after ".count))

            let daemon = try DaemonUnderTest(targets: DaemonUnderTest.fastTarget("own", tag: app.tag, extra: "capture = \"none\""),
                                             interval: DaemonUnderTest.fastInterval)
            let found = try daemon.child.stderr.waitForLine(timeout: 30) { $0.contains("own pid \(app.pid) wrote a heap snapshot of its own") }
            #expect(found.contains("before heapwatchd watched it"), "\(found)")
            try daemon.child.stderr.waitForLine(timeout: 60) { $0.contains("snapshot node wrote near its heap limit of own pid \(app.pid) stored") }

            let files = try FileManager.default.contentsOfDirectory(atPath: appDirectory.path)
            #expect(!files.contains(own), "\(files)")
            #expect(files.contains((earlier as NSString).lastPathComponent), "the earlier process's file is not this one's: \(files)")
            let listing = try daemon.ctl(["snapshots", "own", "--json"])
            let snapshots = try #require((try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [String: Any])?["snapshots"] as? [[String: Any]])
            #expect(snapshots.compactMap { $0["reason"] as? String } == ["heap_limit"], "\(snapshots)")
            #expect(app.isAlive)
            #expect(try daemon.stop() == 0)
        }

        @Test func aProcessWithoutTheSignalFlagIsNeverSignalled() throws {
            let appDirectory = try TempDirectory()
            // A leak without `--heapsnapshot-signal`: the automatic capture is refused too.
            let app = try NodeApp(directory: appDirectory.path)
            let daemon = try DaemonUnderTest(targets: DaemonUnderTest.fastTarget("noflag", tag: app.tag, growthMax: "1KiB/h"),
                                             interval: DaemonUnderTest.fastInterval)
            let automatic = try daemon.child.stderr.waitForLine(timeout: 120) { $0.contains("capture of noflag pid \(app.pid) refused") }
            #expect(automatic.contains("--heapsnapshot-signal=SIGUSR2"), "\(automatic)")
            #expect(app.isAlive)

            let forced = try daemon.ctl(["snapshot", "noflag", "--wait"])
            #expect(forced.status == 1)
            #expect(forced.stderr.contains("refused"))
            #expect(forced.stderr.contains("--heapsnapshot-signal=SIGUSR2"))

            let byPID = try daemon.ctl(["snapshot", String(app.pid), "--wait", "--json"])
            #expect(byPID.status == 1)
            #expect(byPID.stdout.contains("\"refused\":true"))

            #expect(app.isAlive)
            let listing = try daemon.ctl(["snapshots", "noflag"])
            #expect(listing.stdout.contains("no snapshots stored"))
            #expect(try daemon.stop() == 0)
            #expect(app.isAlive)
        }
    }
}
