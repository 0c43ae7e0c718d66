import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The built executables and the repository's example and test apps.
enum Paths {
    static var packageRoot: String { Tool.packageRoot }
    static var heapwatchd: String { Tool.buildDirectory + "/heapwatchd" }
    static var heapwatchctl: String { Tool.buildDirectory + "/heapwatchctl" }
    static var examples: String { packageRoot + "/examples" }
    static var testApps: String { packageRoot + "/scripts/test-apps" }
}

/// The example Node app, started with a unique tag on its command line so a target matches it alone.
final class NodeApp {
    let child: Child
    let tag: String
    let port: Int

    /// - Parameter nodeFlags: e.g. `["--heapsnapshot-signal=SIGUSR2"]`.
    init(script: String = "leaky-app.js", nodeFlags: [String] = [], environment: [String: String] = [:], directory: String) throws {
        tag = "hwtest-" + UUID().uuidString.prefix(8).lowercased()
        var env = ["PORT": "0", "REQUESTS_PER_SEC": "300"]
        env.merge(environment) { $1 }
        let path = script.hasPrefix("/") ? script : Paths.examples + "/" + script
        child = try Child("/usr/bin/env", ["node"] + nodeFlags + [path, tag], environment: env, directory: directory)
        let line = try child.stdout.waitForLine(timeout: 20) { $0.hasPrefix("listening on ") }
        guard let port = Int(line.split(separator: " ")[2]) else { throw TestFailure("no port in '\(line)'") }
        self.port = port
    }

    /// The node process's pid (`env` execs node, so it is the child's pid).
    var pid: Int32 { child.pid }

    /// Alive and not a zombie.
    var isAlive: Bool {
        guard child.isRunning, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }
}

func heapwatchctl(_ arguments: [String], timeout: Double = 60) throws -> (status: Int32, stdout: String, stderr: String) {
    try Tool.run(Paths.heapwatchctl, arguments, timeout: timeout)
}

/// Waits for a condition of the outside world that announces itself by no event (a port opening),
/// checking every 50 ms up to `timeout` seconds.
func eventually(timeout: Double, _ condition: () -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        guard Date() < deadline else { throw TestFailure("condition not met within \(timeout)s") }
        usleep(50_000)
    }
}
