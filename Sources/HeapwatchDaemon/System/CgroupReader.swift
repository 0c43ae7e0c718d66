import HeapwatchCore

/// Reads a process's cgroup memory limit and usage under an injectable `/sys/fs/cgroup` layout.
/// v2 (`memory.max`, `memory.high`, `memory.current`) is preferred; v1 (`memory.limit_in_bytes`,
/// `memory.usage_in_bytes`) is read on hosts whose memory controller is still on v1.
public struct CgroupReader: Sendable {
    public var mounts: [CgroupMount]

    public init(mounts: [CgroupMount]) { self.mounts = mounts }

    public func memory(of membership: CgroupMembership) -> CgroupMemory {
        if let v1 = mounts.first(where: { $0.version == .v1Memory }), let path = membership.memoryV1Path,
           let directory = v1.directory(for: path) {
            return read(directory: directory, top: v1.mountPoint, limitFile: "memory.limit_in_bytes",
                        highFile: nil, usageFile: "memory.usage_in_bytes", anonKey: "total_rss")
        }
        if let v2 = mounts.first(where: { $0.version == .v2 }), let path = membership.unifiedPath,
           let directory = v2.directory(for: path) {
            return read(directory: directory, top: v2.mountPoint, limitFile: "memory.max",
                        highFile: "memory.high", usageFile: "memory.current", anonKey: "anon")
        }
        return CgroupMemory()
    }

    /// The limit that applies is the smallest along the path to the top of the hierarchy;
    /// usage is the process's own cgroup's.
    private func read(directory: String, top: String, limitFile: String, highFile: String?, usageFile: String,
                      anonKey: String) -> CgroupMemory {
        var memory = CgroupMemory()
        memory.usageBytes = (try? Sys.readText(directory + "/" + usageFile)).flatMap(CgroupMemory.parseUsage)
        memory.anonBytes = (try? Sys.readText(directory + "/memory.stat")).flatMap { CgroupMemory.parseStat($0, key: anonKey) }
        var current = directory
        while true {
            if let limit = (try? Sys.readText(current + "/" + limitFile)).flatMap(CgroupMemory.parseLimit) {
                memory.limitBytes = min(memory.limitBytes ?? .max, limit)
            }
            if let highFile, let high = (try? Sys.readText(current + "/" + highFile)).flatMap(CgroupMemory.parseLimit) {
                memory.highBytes = min(memory.highBytes ?? .max, high)
            }
            guard current.count > top.count, let slash = current.lastIndex(of: "/") else { break }
            current = String(current[..<slash])
        }
        return memory
    }
}
