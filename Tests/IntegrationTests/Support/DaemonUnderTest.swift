import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A real heapwatchd process on a temporary config, state directory and control socket, with a
/// real NOTIFY_SOCKET listener. `init` returns once the daemon has sent READY=1.
final class DaemonUnderTest {
    let directory: TempDirectory
    let notify: NotifyListener
    private(set) var child: Child
    private let launch: (arguments: [String], environment: [String: String])
    var socket: String { directory.file("control.sock") }
    var configPath: String { directory.file("heapwatch.toml") }
    let stateDirectory: String
    var storeDirectory: String { stateDirectory + "/snapshots" }

    /// - Parameters:
    ///   - targets: the `[[target]]` tables of the config.
    ///   - daemonKeys: more `[daemon]` lines; `stateDirectory`: where state goes (default: inside the temp dir).
    init(targets: String, interval: String = "1s", daemonKeys: String = "", stateDirectory: String? = nil,
         environment: [String: String] = [:], arguments: [String] = []) throws {
        directory = try TempDirectory()
        self.stateDirectory = stateDirectory ?? directory.file("state")
        let notify = try NotifyListener(directory: directory.path)
        self.notify = notify
        // Until init returns, deinit does not run: stop the listener's thread on every failure.
        do {
            try directory.write(Self.config(directory: directory.path, interval: interval, targets: targets,
                                            daemonKeys: daemonKeys, stateDirectory: self.stateDirectory), to: "heapwatch.toml")
            var env = ["NOTIFY_SOCKET": notify.path]
            env.merge(environment) { $1 }
            launch = (["--config", directory.file("heapwatch.toml")] + arguments, env)
            child = try Child(Paths.heapwatchd, launch.arguments, environment: launch.environment)
        } catch {
            notify.stop()
            throw error
        }
        try notify.waitFor(timeout: 30) { $0 == "READY=1" }
    }

    static func config(directory: String, interval: String, targets: String, daemonKeys: String = "", stateDirectory: String? = nil) -> String {
        """
        [daemon]
        interval = "\(interval)"
        socket = "\(directory)/control.sock"
        state_dir = "\(stateDirectory ?? directory + "/state")"
        \(daemonKeys)

        \(targets)
        """
    }

    /// A `[[target]]` that can reach `leaking` within about 30 s: used with `fastInterval`, the
    /// 30 s window holds the 36 samples the detector needs.
    static func fastTarget(_ name: String, tag: String, growthMax: String = "1MiB/h", extra: String = "") -> String {
        """
        [[target]]
        name = "\(name)"
        command = "\(tag)"
        window = "30s"
        growth_max = "\(growthMax)"
        \(extra)
        """
    }

    static let fastInterval = "500ms"

    /// Starts the daemon again on the same config and state (after it stopped or was killed);
    /// returns once it is ready again.
    func restart() throws {
        let readyBefore = notify.messages.filter { $0.split(separator: "\n").contains("READY=1") }.count
        child = try Child(Paths.heapwatchd, launch.arguments, environment: launch.environment)
        try notify.waitFor(occurrence: readyBefore + 1, timeout: 30) { $0 == "READY=1" }
    }

    func ctl(_ arguments: [String], timeout: Double = 120) throws -> (status: Int32, stdout: String, stderr: String) {
        try heapwatchctl(arguments + ["--socket", socket], timeout: timeout)
    }

    /// `heapwatchctl snapshot TARGET --wait` that must succeed: the stored snapshot's path.
    @discardableResult
    func snapshot(_ target: String) throws -> String {
        let result = try ctl(["snapshot", target, "--wait"])
        guard result.status == 0 else { throw TestFailure("snapshot \(target) failed (\(result.status)): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func statusJSON() throws -> [String: Any] {
        let result = try ctl(["status", "--json"])
        guard result.status == 0, let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("status failed (\(result.status)): \(result.stdout) \(result.stderr)")
        }
        return object
    }

    deinit { notify.stop() }

    /// SIGTERM, then the exit status.
    func stop(timeout: Double = 20) throws -> Int32 {
        child.signal(SIGTERM)
        return try child.waitForExit(timeout: timeout)
    }
}

/// A raw control-socket client, for sending what heapwatchctl never would.
enum RawControlClient {
    /// Connects, sends `bytes`, and returns what the daemon answers until it closes (or `timeout`).
    static func exchange(socket path: String, bytes: [UInt8], timeout: Double = 10) throws -> String {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        defer { close(fd) }
        // Bounded sends too: a daemon that stops reading must not block the test.
        var sendTimeout = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnixAddress(path) { connect(fd, $0, $1) }
        guard connected == 0 else { throw TestFailure("connect \(path): errno \(errno)") }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { break }  // the daemon may close on an over-long line before it is all sent
            offset += written
        }
        var reply: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw TestFailure("no close from the daemon within \(timeout)s; got \(String(decoding: reply, as: UTF8.self))") }
            var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pollfd, 1, Int32(remaining * 1000) + 1) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            reply.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: reply, as: UTF8.self)
    }
}
