/// Listening TCP sockets from `/proc/PID/net/tcp` and `tcp6` (the process's network namespace).
public enum ProcNetTCP {
    public struct Listener: Sendable, Equatable {
        /// Local address as the kernel writes it: 8 hex digits (IPv4, little-endian) or 32 (IPv6).
        public var addressHex: String
        public var port: Int
        public var inode: UInt64

        /// 127.0.0.0/8 or ::1.
        public var isLoopback: Bool {
            if addressHex.count == 8 { return addressHex.hasSuffix("7F") }
            return addressHex == "00000000000000000000000001000000"
        }

        /// 0.0.0.0 or ::.
        public var isWildcard: Bool { addressHex.allSatisfy { $0 == "0" } }
    }

    /// Sockets in state LISTEN (`0A`).
    public static func listeners(_ text: String) -> [Listener] {
        var result: [Listener] = []
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count >= 10, fields[3] == "0A" else { continue }
            let local = fields[1].split(separator: ":")
            guard local.count == 2, let port = Int(local[1], radix: 16), let inode = UInt64(fields[9]) else { continue }
            result.append(Listener(addressHex: String(local[0]), port: port, inode: inode))
        }
        return result
    }
}
