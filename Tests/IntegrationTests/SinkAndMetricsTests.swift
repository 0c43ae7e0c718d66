import Foundation
import HeapwatchCore
import HeapwatchDaemon
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension IntegrationSuite {
    /// Issue 6: events leave the daemon through a real local webhook receiver, an exec hook and a
    /// JSON-lines file; `/metrics` is scraped over HTTP and checked by promtool.
    @Suite struct SinkAndMetricsTests {
        @Test func aLeakReachesTheWebhookTheHookAndTheFile() throws {
            let appDirectory = try TempDirectory()
            let app = try NodeApp(nodeFlags: ["--heapsnapshot-signal=SIGUSR2"], directory: appDirectory.path)
            let receiver = try Child("/usr/bin/env", ["node", Paths.testApps + "/webhook-receiver.js"], environment: ["FAIL_FIRST": "1"])
            let portLine = try receiver.stdout.waitForLine(timeout: 20) { $0.hasPrefix("listening on ") }
            let port = try #require(Int(portLine.split(separator: " ")[2]))
            let hooks = try TempDirectory()
            // Written aside and renamed: the test sees the whole file or none.
            try hooks.write("#!/bin/sh\nenv | grep '^HEAPWATCH_' | sort > \"\(hooks.path)/$HEAPWATCH_EVENT.tmp\"\n"
                + "mv \"\(hooks.path)/$HEAPWATCH_EVENT.tmp\" \"\(hooks.path)/$HEAPWATCH_EVENT.env\"\n", to: "hook.sh")
            chmod(hooks.file("hook.sh"), 0o755)

            let daemon = try DaemonUnderTest(targets: DaemonUnderTest.fastTarget("leaky", tag: app.tag) + """

                [[sink]]
                name = "receiver"
                type = "webhook"
                url = "http://127.0.0.1:\(port)/hook"
                retries = 2
                events = ["leak_detected", "snapshot_captured"]

                [[sink]]
                type = "exec"
                command = ["\(hooks.file("hook.sh"))"]

                [[sink]]
                type = "jsonl"
                path = "\(hooks.file("events.jsonl"))"
                """, interval: DaemonUnderTest.fastInterval)

            // The receiver refuses the first delivery; the retry gets through.
            try receiver.stdout.waitForLine(timeout: 120) { $0.hasPrefix("refused POST /hook") }
            let leak = try receiver.stdout.waitForLine(timeout: 30) { $0.contains("\"event\":\"leak_detected\"") }
            #expect(leak.hasPrefix("POST /hook application/json {"))
            #expect(leak.contains("\"target\":\"leaky\""))
            #expect(leak.contains("\"pid\":\(app.pid)"))
            #expect(leak.contains("\"text\":\"heapwatch: "))
            let captured = try receiver.stdout.waitForLine(timeout: 60) { $0.contains("\"event\":\"snapshot_captured\"") }
            #expect(captured.contains("\"snapshot\":\"\(daemon.storeDirectory)/leaky/"))
            // The webhook asked for two kinds only.
            #expect(!receiver.stdout.all.contains { $0.contains("\"event\":\"state_change\"") })

            try eventually(timeout: 10) { FileManager.default.fileExists(atPath: hooks.file("snapshot_captured.env")) }
            let environment = try String(contentsOfFile: hooks.file("snapshot_captured.env"), encoding: .utf8)
            #expect(environment.contains("HEAPWATCH_EVENT=snapshot_captured"))
            #expect(environment.contains("HEAPWATCH_TARGET=leaky"))
            #expect(environment.contains("HEAPWATCH_PID=\(app.pid)"))
            #expect(environment.contains("HEAPWATCH_SNAPSHOT=\(daemon.storeDirectory)/leaky/"))

            // The JSON-lines sink runs in its own loop: it may write after the hook has run.
            try eventually(timeout: 10) {
                (try? String(contentsOfFile: hooks.file("events.jsonl"), encoding: .utf8))?.contains("\"event\":\"snapshot_captured\"") == true
            }
            let lines = try String(contentsOfFile: hooks.file("events.jsonl"), encoding: .utf8).split(separator: "\n")
            let kinds = lines.compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["event"] as? String
            }
            #expect(kinds.contains("leak_detected"))
            #expect(kinds.contains("snapshot_captured"))
            let mode = try FileManager.default.attributesOfItem(atPath: hooks.file("events.jsonl"))[.posixPermissions] as? Int
            #expect(mode == 0o600)
            #expect(try daemon.stop() == 0)
        }

        /// A daemon watching an idle app with `/metrics` on a free port, and one scrape of it. Kept
        /// whole so the app and its directory live as long as the test.
        struct MetricsScrape {
            let appDirectory: TempDirectory
            let app: NodeApp
            let port: Int
            let daemon: DaemonUnderTest
            let text: String

            init() throws {
                appDirectory = try TempDirectory()
                app = try NodeApp(script: "fixed-app.js", directory: appDirectory.path)
                port = try freeLoopbackPort()
                daemon = try DaemonUnderTest(targets: """
                    [[target]]
                    name = "app"
                    command = "\(app.tag)"
                    capture = "none"

                    [metrics]
                    listen = "127.0.0.1:\(port)"
                    """)
                try daemon.notify.waitFor(occurrence: 2, timeout: 10) { $0.hasPrefix("STATUS=") }
                let scrape = try Tool.run("/usr/bin/curl", ["-sS", "--max-time", "10", "http://127.0.0.1:\(port)/metrics"])
                guard scrape.status == 0 else { throw TestFailure("GET /metrics: \(scrape.stderr)") }
                text = scrape.stdout
            }
        }

        @Test func metricsAreServed() throws {
            let scrape = try MetricsScrape()
            let (text, pid) = (scrape.text, scrape.app.pid)
            #expect(text.contains("heapwatch_rss_bytes{target=\"app\",pid=\"\(pid)\"}"))
            #expect(text.contains("heapwatch_anon_bytes{target=\"app\",pid=\"\(pid)\"}"))
            // The real VmSwap: this host has no swap, so 0 (a line per process all the same).
            #expect(text.contains("heapwatch_swap_bytes{target=\"app\",pid=\"\(pid)\"} 0"))
            #expect(text.contains("heapwatch_state{target=\"app\",pid=\"\(pid)\",state=\"warming_up\"} 1"))
            #expect(text.contains("heapwatch_sample_duration_seconds_bucket"))
            #expect(text.contains("heapwatch_daemon_rss_bytes"))
            // Counters are there at 0 before their first event, so `increase()` sees that one.
            #expect(text.contains("heapwatch_capture_refusals_total{target=\"app\"} 0"), "\(text)")
            #expect(text.contains("heapwatch_out_of_memory_deaths_total{target=\"app\",cause=\"oom_kill\"} 0"), "\(text)")
            let missing = try Tool.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(scrape.port)/nope"])
            #expect(missing.stdout == "404")
            #expect(try scrape.daemon.stop() == 0)
        }

        @Test func deathsOfMemoryAreCountedByCause() {
            let metrics = HeapwatchMetrics()
            metrics.update(rows: [TargetStatus(name: "api", state: "ok", snapshots: 0)], tickDuration: .milliseconds(1), daemonRSSBytes: nil)
            metrics.record(DaemonEvent(kind: .outOfMemory, target: "api", pid: 42, message: "killed", cause: "oom_kill"))
            let text = String(decoding: metrics.render(), as: UTF8.self)
            #expect(text.contains("heapwatch_out_of_memory_deaths_total{target=\"api\",cause=\"oom_kill\"} 1"), "\(text)")
            #expect(text.contains("heapwatch_out_of_memory_deaths_total{target=\"api\",cause=\"heap_limit\"} 0"), "\(text)")
        }

        @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool"),
                       "promtool is not installed (apt-get install prometheus)"))
        func metricsAndAlertRulesPassPromtool() throws {
            let scrape = try MetricsScrape()
            #expect(scrape.text.contains("heapwatch_rss_bytes{target=\"app\",pid=\"\(scrape.app.pid)\"}"))
            let file = try TempDirectory()
            try file.write(scrape.text, to: "metrics.txt")
            let check = try Tool.run("/bin/sh", ["-c", "/usr/bin/promtool check metrics < \(file.file("metrics.txt"))"])
            #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
            let rules = try Tool.run("/usr/bin/promtool", ["check", "rules", Paths.packageRoot + "/config/heapwatch-alerts.yml"])
            #expect(rules.status == 0, "\(rules.stdout)\(rules.stderr)")
            #expect(try scrape.daemon.stop() == 0)
        }
    }
}
