import Foundation
import HeapwatchCore
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension IntegrationSuite {
    /// Issue 5: capture from unprepared and busy processes, admission control in a real memory
    /// cgroup, a full disk, and kills mid-capture — the target always survives heapwatch.
    @Suite struct CaptureLifecycleTests {
        static func target(_ tag: String, capture: String, extra: String = "") -> String {
            """
            [[target]]
            name = "app"
            command = "\(tag)"
            capture = "\(capture)"
            window = "1h"
            \(extra)
            """
        }

        /// Whether `pid` listens on TCP `port` (in its network namespace).
        static func listens(_ pid: Int32, port: Int) -> Bool {
            let inodes = ["tcp", "tcp6"].flatMap { file in
                ProcNetTCP.listeners((try? String(contentsOfFile: "/proc/\(pid)/net/\(file)", encoding: .utf8)) ?? "")
                    .filter { $0.port == port }.map(\.inode)
            }
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
            let sockets = Set(fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)") })
            return inodes.contains { sockets.contains("socket:[\($0)]") }
        }

        static func partials(under directory: String) -> [String] {
            (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".partial") }
        }

        @Test func theInspectorCapturesAnUnpreparedProcessAndClosesAgain() throws {
            let appDirectory = try TempDirectory()
            let app = try NodeApp(script: "fixed-app.js", directory: appDirectory.path)
            let daemon = try DaemonUnderTest(targets: Self.target(app.tag, capture: "inspector"))
            #expect(!Self.listens(app.pid, port: 9229))

            let path = try daemon.snapshot("app")
            #expect(path.hasPrefix(daemon.storeDirectory + "/app/"))
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect((json["snapshot"] as? [String: Any])?["node_count"] as? Int ?? 0 > 1000)
            #expect(!Self.listens(app.pid, port: 9229))
            try daemon.child.stderr.waitForLine(timeout: 5) { $0.contains("inspector of app pid \(app.pid) closed") }
            #expect(app.isAlive)
            #expect(try daemon.stop() == 0)
        }

        /// Two processes of one target, one snapshot of one of them: status counts it on that
        /// process's row only, and says beside the other that the target holds one.
        @Test func eachProcessRowCountsItsOwnSnapshots() throws {
            let directory = try TempDirectory()
            let captured = try NodeApp(script: "fixed-app.js", directory: directory.path)
            let beside = try NodeApp(script: "fixed-app.js", directory: directory.path)
            let daemon = try DaemonUnderTest(targets: Self.target("\(captured.tag)|\(beside.tag)", capture: "inspector"))
            let stored = try daemon.ctl(["snapshot", String(captured.pid), "--wait"])
            #expect(stored.status == 0, "\(stored.stderr)")

            let rows = try #require(try daemon.statusJSON()["targets"] as? [[String: Any]])
            let byPID = Dictionary(uniqueKeysWithValues: rows.compactMap { row in (row["pid"] as? Int).map { ($0, row) } })
            #expect(byPID[Int(captured.pid)]?["snapshots"] as? Int == 1, "\(rows)")
            #expect(byPID[Int(beside.pid)]?["snapshots"] as? Int == 0, "\(rows)")
            #expect(byPID[Int(beside.pid)]?["target_snapshots"] as? Int == 1, "\(rows)")
            let human = try daemon.ctl(["status"]).stdout.split(separator: "\n")
            let row = try #require(human.first { $0.hasPrefix("app") && $0.contains(" \(beside.pid) ") }, "\(human)")
            #expect(row.hasSuffix("0 of 1"), "\(row)")
            #expect(try daemon.stop() == 0)
        }

        /// `report` shows one process's report (the newest, or `--pid`'s) and names the target's
        /// other processes that have one: workers of one service each leak on their own.
        @Test func reportShowsOneProcessAndNamesTheOthers() throws {
            let directory = try TempDirectory()
            let first = try NodeApp(script: "fixed-app.js", directory: directory.path)
            let second = try NodeApp(script: "fixed-app.js", directory: directory.path)
            let daemon = try DaemonUnderTest(targets: Self.target("\(first.tag)|\(second.tag)", capture: "inspector"))
            for app in [first, second] {
                #expect(try daemon.ctl(["snapshot", String(app.pid), "--wait"]).status == 0)
                try daemon.child.stderr.waitForLine(timeout: 60) { $0.contains("app pid \(app.pid): first snapshot analyzed") }
            }
            func report(_ options: [String]) throws -> [String: Any] {
                let reply = try daemon.ctl(["report", "app", "--json"] + options)
                #expect(reply.status == 0, "\(reply.stderr)")
                return try #require(try JSONSerialization.jsonObject(with: Data(reply.stdout.utf8)) as? [String: Any])
            }
            // Newest by capture time; two captures within one second are ordered by name.
            let newest = try report([])
            let pids = [Int(first.pid), Int(second.pid)]
            let shown = try #require(newest["pid"] as? Int, "\(newest)")
            #expect(pids.contains(shown) && newest["other_pids"] as? [Int] == pids.filter { $0 != shown }, "\(newest)")
            let chosen = try report(["--pid", String(first.pid)])
            #expect(chosen["pid"] as? Int == Int(first.pid) && chosen["other_pids"] as? [Int] == [Int(second.pid)], "\(chosen)")
            #expect((chosen["path"] as? String)?.hasSuffix("-\(first.pid).report") == true, "\(chosen)")
            let human = try daemon.ctl(["report", "app", "--pid", String(first.pid)]).stdout
            #expect(human.hasPrefix("analysis of app pid \(first.pid) ("), "\(human)")
            #expect(human.contains("reports of other processes of app: pid \(second.pid) (heapwatchctl report app --pid PID)"), "\(human)")
            let none = try daemon.ctl(["report", "app", "--pid", "1"])
            #expect(none.status == 1)
            #expect(none.stderr.contains("no analysis report for 'app' pid 1; there are reports of pid "), "\(none.stderr)")
            #expect(none.stderr.contains("\(first.pid)") && none.stderr.contains("\(second.pid)"), "\(none.stderr)")
            #expect(try daemon.stop() == 0)
        }

        @Test func heapFiguresThroughTheInspectorCloseItAgain() throws {
            let appDirectory = try TempDirectory()
            let app = try NodeApp(script: "fixed-app.js", directory: appDirectory.path)
            let daemon = try DaemonUnderTest(targets: Self.target(app.tag, capture: "none", extra: "heap_source = \"inspector\""),
                                             daemonKeys: "log_level = \"debug\"")
            let line = try daemon.child.stderr.waitForLine(timeout: 20) { $0.contains("heap figures of app pid \(app.pid): heapUsed ") }
            #expect((Int(line.components(separatedBy: "heapUsed ").last?.prefix { $0.isNumber } ?? "") ?? 0) > 0, "\(line)")
            try daemon.child.stderr.waitForLine(timeout: 5) { $0.contains("inspector of app pid \(app.pid) closed") }
            #expect(!Self.listens(app.pid, port: 9229))
            #expect(app.isAlive)
            #expect(try daemon.stop() == 0)
        }

        @Test func aBusyEventLoopDefeatsTheSignalButNotTheInspector() throws {
            let appDirectory = try TempDirectory()
            let app = try NodeApp(script: Paths.testApps + "/heap-app.js", nodeFlags: ["--heapsnapshot-signal=SIGUSR2"],
                                  environment: ["BUSY": "1"], directory: appDirectory.path)
            try app.child.stdout.waitForLine(timeout: 10) { $0 == "busy" }
            let bySignal = try DaemonUnderTest(targets: Self.target(app.tag, capture: "signal"), arguments: ["--capture-timeout", "3"])
            let refused = try bySignal.ctl(["snapshot", "app", "--wait"])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("busy event loop"), "\(bySignal.child.stderr.all.joined(separator: "\n"))")
            #expect(try bySignal.stop() == 0)
            #expect(app.isAlive)

            let byInspector = try DaemonUnderTest(targets: Self.target(app.tag, capture: "inspector"))
            try byInspector.snapshot("app")
            #expect(!Self.listens(app.pid, port: 9229))
            #expect(app.isAlive)
            #expect(try byInspector.stop() == 0)
        }

        /// heap-app.js started with `--heapsnapshot-signal=SIGUSR2` in a directory of its own.
        static func signalledApp(environment: [String: String]) throws -> (appDirectory: TempDirectory, app: NodeApp) {
            let appDirectory = try TempDirectory()
            let app = try NodeApp(script: Paths.testApps + "/heap-app.js", nodeFlags: ["--heapsnapshot-signal=SIGUSR2"],
                                  environment: environment, directory: appDirectory.path)
            return (appDirectory, app)
        }

        /// The heap snapshot files in an app's directory: after heapwatchd collected them, none.
        static func snapshotFiles(in directory: TempDirectory) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".heapsnapshot") }
        }

        /// The method and original path (from its manifest) of target app's one stored snapshot;
        /// throws when there is not exactly one.
        static func onlySnapshot(of daemon: DaemonUnderTest) throws -> (method: String?, originalPath: String?) {
            let listing = try daemon.ctl(["snapshots", "app", "--json"])
            let reply = try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [String: Any]
            let entries = try #require(reply?["snapshots"] as? [[String: Any]], "\(listing.stdout)")
            try #require(entries.count == 1, "\(entries)")
            let manifestPath = try #require(entries[0]["path"] as? String).replacingOccurrences(of: ".heapsnapshot", with: ".json")
            let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath))) as? [String: Any]
            return (entries[0]["method"] as? String, manifest?["original_path"] as? String)
        }

        /// A heap-app whose event loop is busy for `busySeconds`, and a daemon whose SIGUSR2 capture
        /// of it has just timed out after `timeout` s: node owes that snapshot.
        static func timedOutSignalCapture(busySeconds: Int, heapMB: Int = 0, timeout: Int = 1) throws
            -> (appDirectory: TempDirectory, app: NodeApp, daemon: DaemonUnderTest) {
            let (appDirectory, app) = try signalledApp(environment: ["BUSY": "1", "BUSY_SECONDS": "\(busySeconds)", "HEAP_MB": "\(heapMB)"])
            try app.child.stdout.waitForLine(timeout: 20) { $0 == "busy" }
            let daemon = try DaemonUnderTest(targets: target(app.tag, capture: "signal"), arguments: ["--capture-timeout", "\(timeout)"])
            let timedOut = try daemon.ctl(["snapshot", "app", "--wait"])
            #expect(timedOut.status == 1 && timedOut.stderr.contains("if it writes one later, heapwatchd stores it"), "\(timedOut)")
            return (appDirectory, app, daemon)
        }

        @Test func aSnapshotNodeWritesAfterTheTimeoutIsStillStored() throws {
            let (appDirectory, app, daemon) = try Self.timedOutSignalCapture(busySeconds: 6, timeout: 2)
            // The loop frees up, node runs the pending SIGUSR2 handler, and the file is collected.
            let line = try daemon.child.stderr.waitForLine(timeout: 60) { $0.contains("late snapshot of app pid \(app.pid) stored") }
            #expect(line.contains("MESSAGE_ID=52414fcb6b264f24a8f7132100749f3f"))
            let listing = try daemon.ctl(["snapshots", "app", "--json"])
            #expect(listing.stdout.contains("\"method\" : \"signal\""))
            #expect(Self.snapshotFiles(in: appDirectory) == [])
            #expect(app.isAlive)
            #expect(try daemon.stop() == 0)
        }

        /// The app's own snapshot endpoint answers after the capture timeout: the snapshot it then
        /// writes into its cwd is stored, not left there with its secrets, and the process is not
        /// asked for another while it owes one. Before, the file stayed in the app's directory.
        @Test func aSnapshotTheEndpointWritesAfterTheTimeoutIsStoredNotLeft() throws {
            let appDirectory = try TempDirectory()
            let app = try NodeApp(script: Paths.testApps + "/heap-app.js", directory: appDirectory.path)
            let url = "http://127.0.0.1:\(app.port)/heap-snapshot?busy=5"
            let daemon = try DaemonUnderTest(targets: Self.target(app.tag, capture: url), arguments: ["--capture-timeout", "2"])
            let timedOut = try daemon.ctl(["snapshot", "app", "--wait"])
            #expect(timedOut.status == 1 && timedOut.stderr.contains("if the app writes its snapshot later, heapwatchd stores it"),
                    "\(timedOut)")
            let again = try daemon.ctl(["snapshot", "app", "--wait"])
            #expect(again.status == 1 && again.stderr.contains("has not yet written the snapshot an earlier capture asked for"), "\(again)")
            let written = try app.child.stdout.waitForLine(timeout: 30) { $0.hasPrefix("wrote ") }
            try daemon.child.stderr.waitForLine(timeout: 30) { $0.contains("late snapshot of app pid \(app.pid) stored") }
            // The one the endpoint wrote: its manifest names it, as the app sees it.
            let (method, original) = try Self.onlySnapshot(of: daemon)
            #expect(method == "http")
            #expect(original == appDirectory.path + "/" + written.dropFirst("wrote ".count))
            #expect(Self.snapshotFiles(in: appDirectory) == [])
            #expect(app.isAlive)
            #expect(try daemon.stop() == 0)
        }

        /// heapwatchd restarts (an upgrade, a crash) while node still owes a snapshot: the new run
        /// takes up the list the old one kept in `state_dir`, asks nothing more of the process, and
        /// stores the file when node writes it. Before, it was forgotten: left in the app's
        /// directory, and a second SIGUSR2 made node write two.
        @Test func aSnapshotOwedAcrossARestartIsStoredAndNotAskedForTwice() throws {
            let (appDirectory, app, daemon) = try Self.timedOutSignalCapture(busySeconds: 12)
            #expect(try Self.owed(daemon, pid: app.pid) == true)
            let kept = daemon.stateDirectory + "/late-snapshots.json"
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: kept)[.posixPermissions] as? Int)
            #expect(mode == 0o600, "mode \(String(mode, radix: 8))")
            #expect(try daemon.stop() == 0)

            try daemon.restart()
            try daemon.child.stderr.waitForLine(timeout: 10) {
                $0.contains("pid \(app.pid) of app still owes the snapshot an earlier heapwatchd asked for (SIGUSR2)")
            }
            let again = try daemon.ctl(["snapshot", "app", "--wait"])
            #expect(again.status == 1 && again.stderr.contains("has not yet written the snapshot an earlier capture asked for"), "\(again)")
            #expect(try Self.owed(daemon, pid: app.pid) == true)
            let human = try daemon.ctl(["status"]).stdout
            #expect(human.contains("app pid \(app.pid): owes the heap snapshot heapwatch asked for"), "\(human)")
            try daemon.child.stderr.waitForLine(timeout: 60) { $0.contains("late snapshot of app pid \(app.pid) stored") }
            #expect(try Self.owed(daemon, pid: app.pid) == false)
            // The manifest names the file where node wrote it, as the app sees it.
            let (method, original) = try Self.onlySnapshot(of: daemon)
            #expect(method == "signal")
            #expect(original?.hasPrefix(appDirectory.path + "/Heap.") == true, "\(original ?? "no original_path")")
            #expect(Self.snapshotFiles(in: appDirectory) == [])
            #expect(!FileManager.default.fileExists(atPath: kept))
            #expect(app.isAlive)
            #expect(try daemon.stop() == 0)
        }

        /// A heap that takes node longer to write than the capture timeout (here 40 MiB of small
        /// objects, about 10 s, against 1 s): the file is already there at the deadline, and is
        /// collected when node is done instead of being left, full of secrets, in the app's directory.
        @Test func aSnapshotStillBeingWrittenAtTheTimeoutIsStoredWhenDone() throws {
            let (appDirectory, app) = try Self.signalledApp(environment: ["HEAP_MB": "40"])
            let daemon = try DaemonUnderTest(targets: Self.target(app.tag, capture: "signal"), arguments: ["--capture-timeout", "1"])
            let timedOut = try daemon.ctl(["snapshot", "app", "--wait"])
            #expect(timedOut.status == 1 && timedOut.stderr.contains("node is still writing it; heapwatchd stores it when it is done"),
                    "\(timedOut)")
            #expect(timedOut.stderr.contains(appDirectory.path + "/Heap."), "\(timedOut)")
            #expect(try Self.owed(daemon, pid: app.pid) == true)
            try daemon.child.stderr.waitForLine(timeout: 60) { $0.contains("late snapshot of app pid \(app.pid) stored") }
            #expect(Self.snapshotFiles(in: appDirectory) == [])
            #expect(app.isAlive)
            #expect(try daemon.stop() == 0)
        }

        /// heapwatchd is stopped while node writes the snapshot it signalled for: the next run
        /// collects the file, which was left in the app's directory.
        @Test func aSnapshotUnderWayWhenHeapwatchdStopsIsStoredByTheNextRun() throws {
            let (appDirectory, app) = try Self.signalledApp(environment: ["HEAP_MB": "40"])
            let daemon = try DaemonUnderTest(targets: Self.target(app.tag, capture: "signal"))
            let queued = try daemon.ctl(["snapshot", "app"])
            #expect(queued.status == 0, "\(queued)")
            try daemon.child.stderr.waitForLine(timeout: 20) { $0.contains("sent SIGUSR2 to app pid \(app.pid)") }
            try eventually(timeout: 20) { !Self.snapshotFiles(in: appDirectory).isEmpty }
            #expect(try daemon.stop() == 0)
            try daemon.restart()
            try daemon.child.stderr.waitForLine(timeout: 10) {
                $0.contains("pid \(app.pid) of app still owes the snapshot an earlier heapwatchd asked for (SIGUSR2)")
            }
            try daemon.child.stderr.waitForLine(timeout: 60) { $0.contains("late snapshot of app pid \(app.pid) stored") }
            #expect(Self.snapshotFiles(in: appDirectory) == [])
            #expect(app.isAlive)
            #expect(try daemon.stop() == 0)
        }

        /// `status --json`'s `snapshot_owed` for the process `pid`; nil when it has no row.
        static func owed(_ daemon: DaemonUnderTest, pid: Int32) throws -> Bool? {
            let rows = try daemon.statusJSON()["targets"] as? [[String: Any]] ?? []
            return rows.first { $0["pid"] as? Int == Int(pid) }?["snapshot_owed"] as? Bool
        }

        /// Node writes the snapshot while heapwatchd is down, then exits: the new run finds the file
        /// where the old one signalled for it (the app shared its root) and stores it.
        @Test func aSnapshotWrittenWhileHeapwatchdWasDownIsStoredAfterTheProcessExits() throws {
            let (appDirectory, app, daemon) = try Self.timedOutSignalCapture(busySeconds: 3)
            #expect(try daemon.stop() == 0)
            // A complete snapshot ends with the strings array and the object: `]}`.
            func complete() -> Bool {
                guard let name = Self.snapshotFiles(in: appDirectory).first,
                      let data = FileManager.default.contents(atPath: appDirectory.file(name)) else { return false }
                return data.suffix(2) == Data("]}".utf8)
            }
            try eventually(timeout: 30, complete)
            app.child.signal(SIGKILL)
            _ = try app.child.waitForExit(timeout: 10)

            try daemon.restart()
            try daemon.child.stderr.waitForLine(timeout: 20) { $0.contains("late snapshot of app pid \(app.pid) stored") }
            #expect(Self.snapshotFiles(in: appDirectory) == [])
            let listing = try daemon.ctl(["snapshots", "app", "--json"])
            let reply = try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [String: Any]
            #expect((reply?["snapshots"] as? [[String: Any]])?.count == 1, "\(listing.stdout)")
            #expect(try daemon.stop() == 0)
        }

        /// A process that dies while it writes its late snapshot (an OOM kill, say) leaves a cut-off
        /// file full of secrets in its directory, which `/proc/PID/cwd` no longer leads to: the
        /// directory, held open since the signal, still lets heapwatchd remove it.
        @Test func aLateSnapshotCutOffByTheProcessDyingIsRemoved() throws {
            let (appDirectory, app, daemon) = try Self.timedOutSignalCapture(busySeconds: 3, heapMB: 40)
            // Node opens the file, then spends seconds building the snapshot (40 MiB of objects).
            try eventually(timeout: 30) { !Self.snapshotFiles(in: appDirectory).isEmpty }
            app.child.signal(SIGKILL)
            _ = try app.child.waitForExit(timeout: 10)
            let line = try daemon.child.stderr.waitForLine(timeout: 20) { $0.contains("exited while writing its late snapshot") }
            #expect(line.contains(appDirectory.path), "\(line)")
            #expect(Self.snapshotFiles(in: appDirectory) == [])
            #expect(try daemon.stop() == 0)
        }

        @Test(.enabled(if: TightCgroup.isAvailable, TightCgroup.unavailable))
        func admissionControlRefusesInATightMemoryCgroup() throws {
            let appDirectory = try TempDirectory()
            // About 40 MiB of heap: a snapshot may need 10× that, far more than the cgroup's 160 MiB.
            let app = try NodeApp(script: Paths.testApps + "/heap-app.js", nodeFlags: ["--heapsnapshot-signal=SIGUSR2"],
                                  environment: ["HEAP_MB": "30"], directory: appDirectory.path)
            let cgroup = try #require(try TightCgroup(limitBytes: 160 * 1024 * 1024))
            defer { cgroup.release(app.pid) }
            try cgroup.adopt(app.pid)
            let daemon = try DaemonUnderTest(targets: Self.target(app.tag, capture: "signal"))
            let result = try daemon.ctl(["snapshot", "app", "--wait"])
            #expect(result.status == 1)
            #expect(result.stderr.contains("refused: cgroup headroom is"), "\(daemon.child.stderr.all.joined(separator: "\n"))")
            #expect(result.stderr.contains("limit 160MiB"))
            try daemon.child.stderr.waitForLine(timeout: 5) { $0.contains("MESSAGE_ID=57d5e0552dd146908259f03b749d6452") }
            let rows = try #require(try daemon.statusJSON()["targets"] as? [[String: Any]])
            #expect((rows.first?["last_capture"] as? String)?.hasPrefix("refused: cgroup headroom") == true)
            #expect((rows.first?["limit_bytes"] as? Int) == 160 * 1024 * 1024)
            #expect(rows.first?["state"] as? String != "over_limit")
            #expect(app.isAlive)
            #expect(try daemon.stop() == 0)
        }

        @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
        func aFullDiskLeavesNoPartialFileAndTheNextCaptureWorks() throws {
            let appDirectory = try TempDirectory()
            // The app reports a tiny heapUsed so admission lets the capture try a disk too small for it.
            let app = try NodeApp(script: Paths.testApps + "/heap-app.js", environment: ["HEAP_MB": "8", "FAKE_HEAP_USED": "100000"],
                                  directory: appDirectory.path)
            let state = try TempDirectory()
            let mount = try TmpfsMount(at: state.path, size: "2m")
            defer { mount.unmount() }
            let daemon = try DaemonUnderTest(
                targets: Self.target(app.tag, capture: "inspector", extra: "heap_source = \"http://127.0.0.1:\(app.port)/memory\""),
                daemonKeys: "log_level = \"debug\"", stateDirectory: state.path)
            defer { _ = try? daemon.stop() }
            try daemon.child.stderr.waitForLine(timeout: 20) { $0.contains("heapUsed 100000") }

            let full = try daemon.ctl(["snapshot", "app", "--wait"])
            #expect(full.status == 1)
            #expect(full.stderr.contains("No space left on device"), "\(full.stderr)")
            #expect(Self.partials(under: state.path).isEmpty)
            #expect(try daemon.ctl(["snapshots", "app"]).stdout.contains("no snapshots stored"))
            try daemon.child.stderr.waitForLine(timeout: 5) { $0.contains("MESSAGE_ID=1ee42fcaf8d2416cab1602583919623e") }

            try mount.resize("256m")
            try daemon.snapshot("app")
            #expect(app.isAlive)
            #expect(!Self.listens(app.pid, port: 9229))
        }

        @Test func killingTheTargetMidCaptureLeavesNothingBehind() throws {
            let appDirectory = try TempDirectory()
            let app = try NodeApp(script: Paths.testApps + "/heap-app.js", environment: ["HEAP_MB": "120"], directory: appDirectory.path)
            let daemon = try DaemonUnderTest(targets: Self.target(app.tag, capture: "inspector"))
            let capture = try Child(Paths.heapwatchctl, ["snapshot", "app", "--wait", "--socket", daemon.socket])
            try daemon.child.stderr.waitForLine(timeout: 20) { $0.contains("opened the inspector of app pid \(app.pid)") }
            app.child.signal(SIGKILL)
            #expect(try capture.waitForExit(timeout: 60) == 1)
            try daemon.child.stderr.waitForLine(timeout: 10) { $0.contains("capture of app pid \(app.pid) failed") }
            #expect(Self.partials(under: daemon.storeDirectory).isEmpty)
            #expect(try daemon.ctl(["snapshots", "app"]).stdout.contains("no snapshots stored"))
            #expect(daemon.child.isRunning)
            #expect(try daemon.stop() == 0)
        }

        @Test func killingTheDaemonMidCaptureLeavesNothingCountedAndClosesTheInspectorOnRestart() throws {
            let appDirectory = try TempDirectory()
            let app = try NodeApp(script: Paths.testApps + "/heap-app.js", environment: ["HEAP_MB": "120"], directory: appDirectory.path)
            let daemon = try DaemonUnderTest(targets: Self.target(app.tag, capture: "inspector"))
            #expect(try daemon.ctl(["snapshot", "app"]).status == 0)
            try daemon.child.stderr.waitForLine(timeout: 20) { $0.contains("opened the inspector of app pid \(app.pid)") }
            daemon.child.signal(SIGKILL)
            _ = try daemon.child.waitForExit(timeout: 10)
            // SIGUSR1 was sent: the inspector opens and stays open without the daemon.
            try eventually(timeout: 10) { Self.listens(app.pid, port: 9229) }

            try daemon.restart()
            #expect(Self.partials(under: daemon.storeDirectory).isEmpty)
            #expect(try daemon.ctl(["snapshots", "app"]).stdout.contains("no snapshots stored"))
            try daemon.child.stderr.waitForLine(timeout: 10) { $0.contains("left open by an earlier run") }
            #expect(!Self.listens(app.pid, port: 9229))
            #expect(app.isAlive)
            #expect(try daemon.stop() == 0)
        }
    }
}

/// A child memory cgroup with a small limit, under this process's own (v1 here; v2 where that is the memory hierarchy).
final class TightCgroup {
    /// Whether one can be made here: a probe cgroup is made and removed once.
    static let isAvailable: Bool = {
        guard let probe = try? TightCgroup(limitBytes: 1 << 30) else { return false }
        rmdir(probe.path)
        return true
    }()
    static let unavailable: Comment = "no writable memory cgroup here (needs root and cgroup v1 memory or v2 with the memory controller)"

    let path: String
    let parent: String

    init?(limitBytes: UInt64) throws {
        guard getuid() == 0 else { return nil }
        let membership = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        let v1 = membership.split(separator: "\n").first { $0.split(separator: ":")[1].split(separator: ",").contains("memory") }
        let name = "heapwatch-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        if let v1, FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory") {
            parent = "/sys/fs/cgroup/memory" + String(v1.split(separator: ":", maxSplits: 2)[2])
            path = parent + "/" + name
            guard mkdir(path, 0o755) == 0 else { return nil }
            do {
                try "\(limitBytes)\n".write(toFile: path + "/memory.limit_in_bytes", atomically: false, encoding: .utf8)
            } catch {
                rmdir(path)
                throw error
            }
        } else if FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers") {
            let own = membership.split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) } ?? "/"
            parent = "/sys/fs/cgroup" + (own == "/" ? "" : own)
            path = parent + "/" + name
            guard mkdir(path, 0o755) == 0 else { return nil }
            guard (try? "\(limitBytes)\n".write(toFile: path + "/memory.max", atomically: false, encoding: .utf8)) != nil else {
                rmdir(path)
                return nil
            }
        } else {
            return nil
        }
    }

    func adopt(_ pid: Int32) throws {
        try "\(pid)\n".write(toFile: path + "/cgroup.procs", atomically: false, encoding: .utf8)
    }

    /// Moves the process back out and removes the cgroup.
    func release(_ pid: Int32) {
        try? "\(pid)\n".write(toFile: parent + "/cgroup.procs", atomically: false, encoding: .utf8)
        rmdir(path)
    }
}

/// A small tmpfs for disk-full tests, unmounted (lazily) when done.
final class TmpfsMount {
    let path: String

    init(at path: String, size: String) throws {
        self.path = path
        let result = try Tool.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size),mode=0700", "tmpfs", path])
        guard result.status == 0 else { throw TestFailure("mount tmpfs: \(result.stderr)") }
    }

    func resize(_ size: String) throws {
        let result = try Tool.run("/bin/mount", ["-o", "remount,size=\(size)", path])
        guard result.status == 0 else { throw TestFailure("remount tmpfs: \(result.stderr)") }
    }

    func unmount() {
        _ = try? Tool.run("/bin/umount", ["-l", path])
    }
}
