/// Which cgroup a process is in, and where that cgroup's memory files are.
public struct CgroupMembership: Sendable, Hashable {
    /// The unified (v2) hierarchy path, from the `0::PATH` line.
    public var unifiedPath: String?
    /// The v1 memory controller's path, from the `N:...memory...:PATH` line.
    public var memoryV1Path: String?
    /// The v1 name=systemd path, used to match units on hybrid hosts.
    public var systemdV1Path: String?

    public init(unifiedPath: String? = nil, memoryV1Path: String? = nil, systemdV1Path: String? = nil) {
        self.unifiedPath = unifiedPath
        self.memoryV1Path = memoryV1Path
        self.systemdV1Path = systemdV1Path
    }

    /// Parses `/proc/PID/cgroup` (`ID:controllers:path` per line).
    public static func parse(_ text: String) -> CgroupMembership {
        var membership = CgroupMembership()
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = String(parts[2])
            if parts[0] == "0" && parts[1].isEmpty {
                membership.unifiedPath = path
            } else if parts[1].split(separator: ",").contains("memory") {
                membership.memoryV1Path = path
            } else if parts[1] == "name=systemd" {
                membership.systemdV1Path = path
            }
        }
        return membership
    }

    /// Paths that name systemd units: the unified path, else the name=systemd one.
    public var unitPaths: [String] { [unifiedPath, systemdV1Path].compactMap { $0 } }
}

/// A cgroup filesystem mount from `/proc/self/mountinfo`.
public struct CgroupMount: Sendable, Equatable {
    public enum Version: Sendable, Equatable { case v1Memory, v2 }
    public var version: Version
    /// Where it is mounted, e.g. `/sys/fs/cgroup/memory`.
    public var mountPoint: String
    /// Which cgroup of the hierarchy the mount shows at its top (usually `/`).
    public var root: String

    public init(version: Version, mountPoint: String, root: String) {
        self.version = version
        self.mountPoint = mountPoint
        self.root = root
    }

    /// The memory cgroup mounts of a mountinfo text: at most one of each version.
    public static func parse(mountinfo text: String) -> [CgroupMount] {
        var mounts: [CgroupMount] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let dash = fields.firstIndex(of: "-"), dash >= 6, fields.count > dash + 3 else { continue }
            let fsType = fields[dash + 1]
            let root = unescape(fields[3])
            let mountPoint = unescape(fields[4])
            if fsType == "cgroup2", !mounts.contains(where: { $0.version == .v2 }) {
                mounts.append(CgroupMount(version: .v2, mountPoint: mountPoint, root: root))
            } else if fsType == "cgroup", fields[dash + 3].split(separator: ",").contains("memory"),
                      !mounts.contains(where: { $0.version == .v1Memory }) {
                mounts.append(CgroupMount(version: .v1Memory, mountPoint: mountPoint, root: root))
            }
        }
        return mounts
    }

    /// The directory of `cgroupPath` under this mount, or nil when the mount does not show it.
    public func directory(for cgroupPath: String) -> String? {
        var relative = cgroupPath
        if root != "/" {
            guard cgroupPath == root || cgroupPath.hasPrefix(root + "/") else { return nil }
            relative = String(cgroupPath.dropFirst(root.count))
        }
        if relative.isEmpty || relative == "/" { return mountPoint }
        return mountPoint + (relative.hasPrefix("/") ? relative : "/" + relative)
    }

    /// mountinfo escapes space, tab, newline and backslash as `\ooo` octal.
    static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        var iterator = Array(field.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "\\"), iterator.count >= 3,
               let value = UInt8(String(decoding: iterator.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                iterator = iterator.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Memory figures of a cgroup, bytes.
public struct CgroupMemory: Sendable, Equatable {
    /// The smallest limit of the cgroup and its ancestors; nil when unlimited.
    public var limitBytes: UInt64?
    /// v2 `memory.high` (throttling threshold), smallest along the ancestors; nil when unset.
    public var highBytes: UInt64?
    public var usageBytes: UInt64?
    /// Anonymous memory charged to the cgroup (`memory.stat`: v2 `anon`, v1 `total_rss`): usage
    /// without the page cache, which the kernel reclaims before it kills anything.
    public var anonBytes: UInt64?

    public init(limitBytes: UInt64? = nil, highBytes: UInt64? = nil, usageBytes: UInt64? = nil, anonBytes: UInt64? = nil) {
        self.limitBytes = limitBytes
        self.highBytes = highBytes
        self.usageBytes = usageBytes
        self.anonBytes = anonBytes
    }

    /// The value of `key` in a `memory.stat` file (`anon 123\nfile 456\n…`).
    public static func parseStat(_ text: String, key: String) -> UInt64? {
        for line in ProcFields(text, lines: true) {
            var fields = ProcFields(line)
            guard fields.next() == Substring(key) else { continue }
            guard let value = fields.next(), fields.next() == nil else { return nil }
            return UInt64(value)
        }
        return nil
    }

    /// A limit file's value: v2 writes `max` for none; v1 writes a huge page-rounded number.
    public static func parseLimit(_ text: String) -> UInt64? {
        guard let bytes = parseUsage(text), bytes < (1 << 62) else { return nil }
        return bytes
    }

    public static func parseUsage(_ text: String) -> UInt64? {
        ProcFields.single(text).flatMap { UInt64($0) }
    }
}
