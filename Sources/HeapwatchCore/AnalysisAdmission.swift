/// Whether heapwatchd may analyze snapshots now: the analysis worker needs about
/// `HeapAnalyzer.peakBytesPerJSONByte` × the JSON it reads. It runs in heapwatchd's own cgroup
/// (the unit's `MemoryMax=`), so both the host and that cgroup must have the room; when they do
/// not, the analysis is skipped with this reason and the snapshots stay for `heapwatchctl analyze`
/// on a bigger machine.
public enum AnalysisAdmission {
    /// Returns nil when the analysis may run, else the reason it may not.
    /// - Parameters:
    ///   - neededBytes: the analysis's estimated peak memory.
    ///   - memAvailable: the host's MemAvailable, when known.
    ///   - hostShare: the share of MemAvailable an analysis may take.
    ///   - cgroup: heapwatchd's own cgroup; its headroom is the limit minus anonymous memory
    ///     (page cache is reclaimed first), keeping `cgroupReserve` for the daemon itself.
    public static func refusal(neededBytes: UInt64, memAvailable: UInt64?, hostShare: Double,
                               cgroup: CgroupMemory, cgroupReserve: UInt64 = 64 << 20) -> String? {
        let needed = Units.formatBytes(neededBytes)
        if let memAvailable, Double(neededBytes) > Double(memAvailable) * hostShare {
            return "it needs about \(needed), the host has \(Units.formatBytes(memAvailable)) available "
                + "(an analysis may take \(Int(hostShare * 100)) % of it)"
        }
        if let limit = cgroup.limitBytes {
            let used = (cgroup.anonBytes ?? cgroup.usageBytes ?? 0) + cgroupReserve
            let headroom = limit > used ? limit - used : 0
            if neededBytes > headroom {
                return "it needs about \(needed), heapwatchd's cgroup has \(Units.formatBytes(headroom)) to spare "
                    + "(limit \(Units.formatBytes(limit)); raise MemoryMax= of heapwatch.service, "
                    + "or run heapwatchctl analyze on the snapshot files elsewhere)"
            }
        }
        return nil
    }
}
