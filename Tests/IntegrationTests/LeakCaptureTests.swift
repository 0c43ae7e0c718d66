import Foundation
import HeapwatchCore
import Testing
#if canImport(Glibc)
import Glibc
#endif


extension IntegrationSuite {
    /// The spine end to end: a real leaky Node app, a real heapwatchd, real files and sockets.
    @Suite
    struct LeakCaptureTests {
        @Test func leakIsDetectedAndASnapshotIsStoredPrivately() throws {
            let appDirectory = try TempDirectory()
            let app = try NodeApp(nodeFlags: ["--heapsnapshot-signal=SIGUSR2"], directory: appDirectory.path)
            let daemon = try DaemonUnderTest(targets: DaemonUnderTest.fastTarget("leaky", tag: app.tag), interval: DaemonUnderTest.fastInterval)

            let stored = try daemon.child.stderr.waitForLine(timeout: 120) { $0.contains("snapshot of leaky pid \(app.pid) stored") }
            #expect(stored.contains("MESSAGE_ID=52414fcb6b264f24a8f7132100749f3f"))

            let status = try daemon.statusJSON()
            let rows = try #require(status["targets"] as? [[String: Any]])
            let row = try #require(rows.first { $0["name"] as? String == "leaky" })
            #expect(row["pid"] as? Int == Int(app.pid))
            #expect(row["state"] as? String == "leaking")
            #expect((row["slope_bytes_per_hour"] as? Double ?? 0) > 1024 * 1024)
            #expect(row.keys.contains("limit_bytes"))

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
            #expect(manifest.bytes == (info[.size] as? UInt64))
            let digest = try run("/usr/bin/sha256sum", [path])
            #expect(digest.stdout.hasPrefix(manifest.sha256 + " "))
            let tail = try Data(contentsOf: URL(fileURLWithPath: path)).suffix(2)
            #expect(Array(tail) == Array("]}".utf8))

            // The original in the app's directory is gone, and the app lives on.
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: appDirectory.path).filter { $0.hasSuffix(".heapsnapshot") }
            #expect(leftovers.isEmpty)
            #expect(app.isAlive)
            #expect(try daemon.stop() == 0)
        }

        @Test func theDailyCapHoldsAcrossARestart() throws {
            let appDirectory = try TempDirectory()
            let app = try NodeApp(nodeFlags: ["--heapsnapshot-signal=SIGUSR2"], directory: appDirectory.path)
            let daemon = try DaemonUnderTest(
                targets: DaemonUnderTest.fastTarget("leaky", tag: app.tag, extra: "max_captures_per_day = 1\ncooldown = \"0s\""),
                interval: DaemonUnderTest.fastInterval)
            try daemon.child.stderr.waitForLine(timeout: 120) { $0.contains("snapshot of leaky pid \(app.pid) stored") }
            #expect(try daemon.stop() == 0)

            // A new run starts a new episode; the one automatic capture of the last 24 h still counts.
            try daemon.restart()
            let refused = try daemon.child.stderr.waitForLine(timeout: 120) { $0.contains("capture of leaky pid \(app.pid) refused") }
            #expect(refused.contains("max_captures_per_day = 1"))
            #expect(try daemon.ctl(["snapshots", "leaky", "--json"]).stdout.components(separatedBy: "\"path\"").count == 2)
            #expect(try daemon.stop() == 0)
        }

        @Test func aProcessWithoutTheSignalFlagIsNeverSignalled() throws {
            let appDirectory = try TempDirectory()
            let app = try NodeApp(script: "fixed-app.js", directory: appDirectory.path)
            let daemon = try DaemonUnderTest(targets: DaemonUnderTest.fastTarget("noflag", tag: app.tag, growthMax: "1KiB/h"),
                                             interval: DaemonUnderTest.fastInterval)

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
