import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A real `NOTIFY_SOCKET`: an AF_UNIX datagram socket that, like systemd, reads everything the
/// daemon sends as it arrives (on a thread of its own), so the daemon never waits on it.
final class NotifyListener: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private let condition = NSCondition()
    private var received: [String] = []
    private var closing = false
    private var reader: Thread?

    init(directory: String) throws {
        path = directory + "/notify.sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        let result = withUnixAddress(path) { bind(fd, $0, $1) }
        guard result == 0 else { throw TestFailure("bind \(path): errno \(errno)") }
        let thread = Thread { [self] in readLoop() }
        reader = thread
        thread.start()
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Stops the reader thread (it wakes within 100 ms).
    func stop() {
        condition.lock()
        closing = true
        condition.unlock()
    }

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            condition.lock()
            let done = closing
            condition.unlock()
            if done { return }
            var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pollfd, 1, 100) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            guard count > 0 else { continue }
            condition.lock()
            received.append(String(decoding: buffer[0..<count], as: UTF8.self))
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Every datagram received so far.
    var messages: [String] {
        condition.lock()
        defer { condition.unlock() }
        return received
    }

    /// Waits (up to `timeout` seconds) for a datagram with a line for which `predicate` holds; returns that line.
    @discardableResult
    func waitFor(timeout: Double, _ predicate: (String) -> Bool) throws -> String {
        try waitFor(occurrence: 1, timeout: timeout, predicate)
    }

    /// Waits for the `occurrence`-th line (counting from the first datagram) for which `predicate` holds.
    @discardableResult
    func waitFor(occurrence: Int, timeout: Double, _ predicate: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            var seen = 0
            for message in received {
                for line in message.split(separator: "\n").map(String.init) where predicate(line) {
                    seen += 1
                    if seen == occurrence { return line }
                }
            }
            if !condition.wait(until: deadline) {
                throw TestFailure("no matching notify message within \(timeout)s; got: \(received.suffix(10))")
            }
        }
    }
}

/// Calls `body` with `path` as a `sockaddr_un` (for bind and connect).
func withUnixAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        let bytes = Array(path.utf8)
        raw.copyBytes(from: bytes.prefix(raw.count - 1))
        raw[min(bytes.count, raw.count - 1)] = 0
    }
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
}
