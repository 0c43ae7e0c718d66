import HeapwatchCore

/// Reads a process's cgroup memory limit and usage under an injectable `/sys/fs/cgroup` layout.
/// v2 (`memory.max`, `memory.high`, `memory.current`) is preferred; v1 (`memory.limit_in_bytes`,
/// `memory.usage_in_bytes`) is read on hosts whose memory controller is still on v1.
public struct CgroupReader: Sendable {
    public var mounts: [CgroupMount]

    public init(mounts: [CgroupMount]) { self.mounts = mounts }

    /// Limits, usage and anonymous memory: what admission control weighs before a capture or an analysis.
    public func memory(of membership: CgroupMembership) -> CgroupMemory {
        guard let files = files(of: membership) else { return CgroupMemory() }
        var memory = limits(files)
        memory.usageBytes = (try? Sys.readText(files.directory + "/" + files.usage)).flatMap(CgroupMemory.parseUsage)
        memory.anonBytes = (try? Sys.readText(files.directory + "/memory.stat")).flatMap { CgroupMemory.parseStat($0, key: files.anonKey) }
        return memory
    }

    /// Only `limitBytes` and `highBytes`: what sampling needs, without reading usage or `memory.stat`
    /// (the costliest file: the kernel sums its statistics to answer).
    public func limits(of membership: CgroupMembership) -> CgroupMemory {
        files(of: membership).map(limits) ?? CgroupMemory()
    }

    /// The OOM kills the kernel counted in the process's own memory cgroup (v1 `memory.oom_control`,
    /// v2 `memory.events`: `oom_kill`); nil when it cannot be read, and for the hierarchy's root,
    /// which not every kernel counts in.
    public func oomKills(of membership: CgroupMembership) -> UInt64? {
        guard let files = files(of: membership), files.directory != files.top else { return nil }
        return (try? Sys.readText(files.directory + "/" + files.events)).flatMap { CgroupMemory.parseStat($0, key: "oom_kill") }
    }

    /// Where a cgroup's memory files are, and their names in its hierarchy's version.
    private struct Files {
        var directory: String
        /// The hierarchy's mount point: limits are read from `directory` up to here.
        var top: String
        var limit: String
        var high: String?
        var usage: String
        /// The `memory.stat` key of anonymous memory.
        var anonKey: String
        /// The file with the `oom_kill` counter.
        var events: String
    }

    private func files(of membership: CgroupMembership) -> Files? {
        if let v1 = mounts.first(where: { $0.version == .v1Memory }), let path = membership.memoryV1Path,
           let directory = v1.directory(for: path) {
            return Files(directory: directory, top: v1.mountPoint, limit: "memory.limit_in_bytes", high: nil,
                         usage: "memory.usage_in_bytes", anonKey: "total_rss", events: "memory.oom_control")
        }
        if let v2 = mounts.first(where: { $0.version == .v2 }), let path = membership.unifiedPath,
           let directory = v2.directory(for: path) {
            return Files(directory: directory, top: v2.mountPoint, limit: "memory.max", high: "memory.high",
                         usage: "memory.current", anonKey: "anon", events: "memory.events")
        }
        return nil
    }

    /// The limit that applies is the smallest along the path to the top of the hierarchy.
    private func limits(_ files: Files) -> CgroupMemory {
        var memory = CgroupMemory()
        var current = files.directory
        while true {
            if let limit = (try? Sys.readText(current + "/" + files.limit)).flatMap(CgroupMemory.parseLimit) {
                memory.limitBytes = min(memory.limitBytes ?? .max, limit)
            }
            if let highFile = files.high, let high = (try? Sys.readText(current + "/" + highFile)).flatMap(CgroupMemory.parseLimit) {
                memory.highBytes = min(memory.highBytes ?? .max, high)
            }
            guard current.count > files.top.count, let slash = current.lastIndex(of: "/") else { break }
            current = String(current[..<slash])
        }
        return memory
    }
}
