import HeapwatchCore
#if canImport(Glibc)
import Glibc
#endif

/// Reads `/proc` under an injectable root, so tests can point it at a fixture tree.
public struct ProcFS: Sendable {
    public var root: String

    public init(root: String = "/proc") { self.root = root }

    /// Bytes per page, the unit of `statm`.
    static let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))

    /// Clock ticks a second, the unit of `ProcessIdentity.startTime`.
    static let clockTicks = Double(sysconf(Int32(_SC_CLK_TCK)))

    public func path(_ pid: Int32, _ file: String) -> String { "\(root)/\(pid)/\(file)" }

    /// Seconds since boot (`uptime`), the clock start times count on.
    public func uptime() throws(SystemError) -> Double {
        let text = try Sys.readText("\(root)/uptime")
        guard let first = text.split(separator: " ").first, let seconds = Double(first) else {
            throw SystemError("parse", path: "\(root)/uptime", errno: EINVAL)
        }
        return seconds
    }

    /// Seconds `identity` has been running, to the clock tick.
    public func age(of identity: ProcessIdentity) throws(SystemError) -> Double {
        try uptime() - Double(identity.startTime) / Self.clockTicks
    }

    /// Pids of all processes now.
    public func pids() throws(SystemError) -> [Int32] {
        try Sys.listDirectory(root).compactMap { Int32($0) }
    }

    public func stat(_ pid: Int32) throws(SystemError) -> ProcStat {
        let text = try Sys.readText(path(pid, "stat"))
        guard let stat = ProcStat.parse(text) else { throw SystemError("parse", path: path(pid, "stat"), errno: EINVAL) }
        return stat
    }

    public func arguments(_ pid: Int32) throws(SystemError) -> [String] {
        NulList.parse(try Sys.readFile(path(pid, "cmdline")))
    }

    public func environment(_ pid: Int32) throws(SystemError) -> [String] {
        NulList.parse(try Sys.readFile(path(pid, "environ")))
    }

    public func cgroup(_ pid: Int32) throws(SystemError) -> CgroupMembership {
        CgroupMembership.parse(try Sys.readText(path(pid, "cgroup")))
    }

    /// Basename of the executable: `/proc/PID/exe`, or `argv[0]` when the link is not readable.
    public func executableName(_ pid: Int32, arguments: [String]) -> String {
        if let target = try? Sys.readLink(path(pid, "exe")) {
            let name = target.hasSuffix(" (deleted)") ? String(target.dropLast(10)) : target
            return String(name.split(separator: "/").last ?? Substring(name))
        }
        let first = arguments.first?.split(separator: " ").first.map(String.init) ?? ""
        return String(first.split(separator: "/").last ?? "")
    }

    /// Paths the process's open fds point at.
    public func openFileTargets(_ pid: Int32) throws(SystemError) -> Set<String> {
        let fdDirectory = path(pid, "fd")
        var targets = Set<String>()
        for name in try Sys.listDirectory(fdDirectory) {
            if let target = try? Sys.readLink(fdDirectory + "/" + name) { targets.insert(target) }
        }
        return targets
    }

    /// Every OOM kill on the host since boot (`oom_kill` in `vmstat`, Linux 4.13 on).
    public func hostOOMKills() -> UInt64? {
        (try? Sys.readText("\(root)/vmstat")).flatMap { CgroupMemory.parseStat($0, key: "oom_kill") }
    }

    public func memTotal() throws(SystemError) -> UInt64 { try meminfo("MemTotal", MemInfo.parseTotal) }

    public func memAvailable() throws(SystemError) -> UInt64 { try hostMemory().available }

    /// `MemAvailable` and `SwapTotal` (0 when the kernel has no swap) from one read, for a tick.
    public func hostMemory() throws(SystemError) -> (available: UInt64, swapTotal: UInt64) {
        let file = root + "/meminfo"
        let text = try Sys.readText(file)
        guard let available = MemInfo.parseAvailable(text) else { throw SystemError("parse MemAvailable in", path: file, errno: EINVAL) }
        return (available, MemInfo.parseSwapTotal(text) ?? 0)
    }

    private func meminfo(_ field: String, _ parse: (String) -> UInt64?) throws(SystemError) -> UInt64 {
        let file = root + "/meminfo"
        guard let bytes = parse(try Sys.readText(file)) else { throw SystemError("parse \(field) in", path: file, errno: EINVAL) }
        return bytes
    }

    /// This process's resident memory, bytes (`/proc/self/statm`: the cheapest file that has it).
    public func ownResidentBytes() -> UInt64? {
        (try? Sys.readText(root + "/self/statm")).flatMap { ProcStatm.parse($0, pageSize: Self.pageSize) }?.residentBytes
    }

    public func cgroupMounts() throws(SystemError) -> [CgroupMount] {
        CgroupMount.parse(mountinfo: try Sys.readText(root + "/self/mountinfo"))
    }
}

/// An open fd on `/proc/PID`: reads through it fail with `ESRCH` once that process has exited,
/// even if the pid has been reused, at no cost per read.
public final class ProcessDirectory: @unchecked Sendable {
    /// Immutable after init; closed in deinit.
    public let fd: Int32
    public let identity: ProcessIdentity

    public init(procFS: ProcFS, identity: ProcessIdentity) throws(SystemError) {
        let fd = try Sys.openDirectory("\(procFS.root)/\(identity.pid)")
        // The directory may already belong to a newer process with the same pid: check through the fd.
        let text: String
        do {
            text = try Sys.readText("stat", relativeTo: fd)
        } catch {
            close(fd)
            throw error
        }
        guard let stat = ProcStat.parse(text), stat.startTime == identity.startTime else {
            close(fd)
            throw SystemError("open", path: "\(procFS.root)/\(identity.pid) (start time changed)", errno: ESRCH)
        }
        self.fd = fd
        self.identity = identity
    }

    deinit { close(fd) }

    public func status() throws(SystemError) -> ProcStatus {
        let text = try Sys.readText("status", relativeTo: fd)
        guard let status = ProcStatus.parse(text) else { throw SystemError("parse", path: "/proc/\(identity.pid)/status", errno: EINVAL) }
        return status
    }

    public func cgroup() throws(SystemError) -> CgroupMembership {
        CgroupMembership.parse(try Sys.readText("cgroup", relativeTo: fd))
    }

    public func statm() throws(SystemError) -> ProcStatm {
        let text = try Sys.readText("statm", relativeTo: fd)
        guard let statm = ProcStatm.parse(text, pageSize: ProcFS.pageSize) else {
            throw SystemError("parse", path: "/proc/\(identity.pid)/statm", errno: EINVAL)
        }
        return statm
    }
}
