import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real `NOTIFY_SOCKET`: an AF_UNIX datagram socket that collects what the daemon sends.
final class NotifyListener: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private var received: [String] = []

    init(directory: String) throws {
        path = directory + "/notify.sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes.prefix(raw.count - 1))
            raw[min(bytes.count, raw.count - 1)] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else { throw TestFailure("bind \(path): errno \(errno)") }
    }

    deinit { close(fd); unlink(path) }

    /// Every datagram received so far (pending ones are read first).
    var messages: [String] {
        drain()
        return received
    }

    /// Reads every datagram already waiting, without blocking.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            guard count > 0 else { return }
            received.append(String(decoding: buffer[0..<count], as: UTF8.self))
        }
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
        var checked = 0
        var seen = 0
        while true {
            for message in received[checked...] {
                for line in message.split(separator: "\n").map(String.init) where predicate(line) {
                    seen += 1
                    if seen == occurrence { return line }
                }
            }
            checked = received.count
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else {
                throw TestFailure("no matching notify message within \(timeout)s; got: \(received.suffix(10))")
            }
            var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pollfd, 1, Int32(remaining * 1000) + 1) > 0 {
                var buffer = [UInt8](repeating: 0, count: 8192)
                let count = recv(fd, &buffer, buffer.count, 0)
                if count > 0 { received.append(String(decoding: buffer[0..<count], as: UTF8.self)) }
            }
        }
    }
}
