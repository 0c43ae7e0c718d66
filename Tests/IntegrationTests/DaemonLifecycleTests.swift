import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif


extension IntegrationSuite {
    /// systemd's notify protocol, reloads and the control socket, against a real heapwatchd.
    @Suite
    struct DaemonLifecycleTests {
        static let idleTarget = """
            [[target]]
            name = "nothing"
            command = "no-such-process-will-ever-match-this"
            """

        @Test func notifiesReadyStatusWatchdogAndStopping() throws {
            let daemon = try DaemonUnderTest(targets: Self.idleTarget, environment: ["WATCHDOG_USEC": "1000000"])
            let status = try daemon.notify.waitFor(timeout: 10) { $0.hasPrefix("STATUS=") }
            #expect(status == "STATUS=watching; no matching process")
            try daemon.notify.waitFor(timeout: 10) { $0 == "WATCHDOG=1" }
            // READY=1 came after the first STATUS (the first sample) — never before.
            let messages = daemon.notify.messages
            let ready = try #require(messages.firstIndex { $0.contains("READY=1") })
            let firstStatus = try #require(messages.firstIndex { $0.hasPrefix("STATUS=") })
            #expect(firstStatus < ready)

            daemon.child.signal(SIGTERM)
            try daemon.notify.waitFor(timeout: 10) { $0 == "STOPPING=1" }
            #expect(try daemon.child.waitForExit(timeout: 20) == 0)
            #expect(!FileManager.default.fileExists(atPath: daemon.socket))
        }

        @Test func aBrokenConfigOnReloadKeepsTheRunningOne() throws {
            let daemon = try DaemonUnderTest(targets: Self.idleTarget)
            try daemon.directory.write("[daemon\ninterval = \"1s\"\n", to: "heapwatch.toml")
            daemon.child.signal(SIGHUP)
            try daemon.notify.waitFor(timeout: 10) { $0 == "RELOADING=1" }
            try daemon.child.stderr.waitForLine(timeout: 10) { $0.contains("reload rejected") && $0.contains("keeping the running config") }
            #expect(daemon.child.isRunning)
            let rows = try #require(try daemon.statusJSON()["targets"] as? [[String: Any]])
            #expect(rows.map { $0["name"] as? String } == ["nothing"])

            let viaCtl = try daemon.ctl(["reload"])
            #expect(viaCtl.status == 1)
            #expect(viaCtl.stderr.contains(daemon.configPath + ":"))

            // A good config then takes effect.
            try daemon.directory.write(DaemonUnderTest.config(
                directory: daemon.directory.path, interval: "1s",
                targets: Self.idleTarget + "\n\n[[target]]\nname = \"second\"\ncommand = \"also-nothing-xyz\"\n"), to: "heapwatch.toml")
            let good = try daemon.ctl(["reload"])
            #expect(good.status == 0, "\(good.stderr)")
            let after = try #require(try daemon.statusJSON()["targets"] as? [[String: Any]])
            #expect(after.compactMap { $0["name"] as? String }.sorted() == ["nothing", "second"])
            #expect(try daemon.stop() == 0)
        }

        @Test func badClientsGetErrorsAndTheDaemonCarriesOn() throws {
            let daemon = try DaemonUnderTest(targets: Self.idleTarget)
            let malformed = try RawControlClient.exchange(socket: daemon.socket, bytes: Array("this is not json\n".utf8))
            #expect(malformed.contains("\"ok\":false") && malformed.contains("not valid JSON"))

            let unknown = try RawControlClient.exchange(socket: daemon.socket, bytes: Array("{\"command\":\"explode\"}\n".utf8))
            #expect(unknown.contains("\"ok\":false") && unknown.contains("unknown command 'explode'"))

            let notAnObject = try RawControlClient.exchange(socket: daemon.socket, bytes: Array("[1,2,3]\n".utf8))
            #expect(notAnObject.contains("expected a JSON object"))

            let oversized = try RawControlClient.exchange(socket: daemon.socket, bytes: [UInt8](repeating: UInt8(ascii: "a"), count: 70 * 1024))
            #expect(oversized.contains("longer than 65536 bytes"))

            let missingTarget = try RawControlClient.exchange(socket: daemon.socket, bytes: Array("{\"command\":\"snapshot\"}\n".utf8))
            #expect(missingTarget.contains("needs 'target' or 'pid'"))

            // Still sampling and answering.
            #expect(daemon.child.isRunning)
            let status = try daemon.ctl(["status"])
            #expect(status.status == 0)
            #expect(status.stdout.contains("nothing"))
            let permissions = try FileManager.default.attributesOfItem(atPath: daemon.socket)[.posixPermissions] as? Int
            #expect(permissions == 0o660)
            #expect(try daemon.stop() == 0)
        }

        /// No daemon behind the path, or a file that is not its socket: the reason in the system's
        /// words, the path, and what to check.
        @Test func heapwatchctlSaysWhenTheDaemonIsUnreachable() throws {
            let directory = try TempDirectory()
            try directory.write("", to: "not-a-socket")
            for (path, reason) in [(directory.file("missing.sock"), "No such file or directory"),
                                   (directory.file("not-a-socket"), "Connection refused")] {
                let status = try heapwatchctl(["status", "--socket", path])
                #expect(status.status == 2)  // documented: heapwatchd unreachable
                #expect(status.stderr == "heapwatchctl: cannot reach heapwatchd at \(path): \(reason) (is heapwatchd running? is --socket right?)\n",
                        "\(status.stderr)")
            }
        }

        @Test func checkConfigPrintsOkOrTheProblems() throws {
            let directory = try TempDirectory()
            try directory.write("[daemon]\ninterval = \"2s\"\n", to: "good.toml")
            let good = try Tool.run(Paths.heapwatchd, ["--check-config", "--config", directory.file("good.toml")])
            #expect(good.status == 0)
            #expect(good.stdout == "ok\n")

            try directory.write("[daemon]\ninterval = \"2s\"\n[[target]\n", to: "bad.toml")
            let bad = try Tool.run(Paths.heapwatchd, ["--check-config", "--config", directory.file("bad.toml")])
            #expect(bad.status == 1)
            let lines = bad.stderr.split(separator: "\n").map(String.init)
            #expect(!lines.isEmpty)
            #expect(lines.allSatisfy { $0.hasPrefix(directory.file("bad.toml") + ":") })
            #expect(!lines.joined().contains("Fatal error"))
        }
    }

    /// Peer credentials, with a real second user: `nobody` runs heapwatchctl through setpriv.
    @Suite
    struct ControlAccessTests {
        @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
                       "needs root and setpriv to act as another user"))
        func theSocketsGroupMayReadButNotCapture() throws {
            let daemon = try DaemonUnderTest(targets: DaemonLifecycleTests.idleTarget)
            // Let `nobody` through the directory and into the socket's group.
            chmod(daemon.directory.path, 0o711)
            #expect(chown(daemon.socket, 0, 65534) == 0)
            let asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", Paths.heapwatchctl]
            let status = try Tool.run("/usr/bin/setpriv", asNobody + ["status", "--socket", daemon.socket])
            #expect(status.status == 0, "\(status.stderr)")
            let capture = try Tool.run("/usr/bin/setpriv", asNobody + ["snapshot", "nothing", "--socket", daemon.socket])
            #expect(capture.status == 1)
            #expect(capture.stderr.contains("permission denied"))
            let reload = try Tool.run("/usr/bin/setpriv", asNobody + ["reload", "--socket", daemon.socket])
            #expect(reload.stderr.contains("permission denied"))

            // Outside the socket's group, the socket's mode keeps `nobody` out altogether.
            #expect(chown(daemon.socket, 0, 0) == 0)
            let outsider = try Tool.run("/usr/bin/setpriv", asNobody + ["status", "--socket", daemon.socket])
            #expect(outsider.status == 2)
            #expect(try daemon.stop() == 0)
        }
    }
}
