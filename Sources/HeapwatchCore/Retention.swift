/// A snapshot in the store, as retention sees it.
public struct StoredSnapshot: Sendable, Equatable {
    public var target: String
    public var path: String
    /// Bytes on disk, the manifest included.
    public var bytes: UInt64
    /// Capture time, Unix seconds.
    public var time: Int64

    public init(target: String, path: String, bytes: UInt64, time: Int64) {
        self.target = target
        self.path = path
        self.bytes = bytes
        self.time = time
    }

    /// Taken before `other`: by time, then, within one second, by the name's attempt (`SnapshotNaming.precedes`).
    public func isOlder(than other: StoredSnapshot) -> Bool {
        SnapshotNaming.precedes(time, path, other.time, other.path)
    }
}

/// Which snapshots to delete so that each target keeps at most `keepPerTarget` and all together
/// stay under `maxBytes`. Oldest go first. `protected` paths (the one just captured) are never chosen,
/// even when they alone exceed the budget: deleting fresh evidence would defeat the capture.
public enum Retention {
    /// - Parameters: `maxAge` seconds and `now` Unix seconds: older snapshots go too.
    public static func victims(_ snapshots: [StoredSnapshot], keepPerTarget: Int, maxBytes: UInt64, maxAge: Double? = nil,
                               now: Int64 = 0, protected: Set<String> = []) -> [StoredSnapshot] {
        var doomed: [StoredSnapshot] = []
        var kept: [StoredSnapshot] = []
        var snapshots = snapshots
        if let maxAge {
            let (old, young) = snapshots.reduce(into: ([StoredSnapshot](), [StoredSnapshot]())) { parts, snapshot in
                if Double(now - snapshot.time) > maxAge && !protected.contains(snapshot.path) { parts.0.append(snapshot) } else { parts.1.append(snapshot) }
            }
            doomed += old
            snapshots = young
        }
        let byTarget = Dictionary(grouping: snapshots, by: \.target)
        for (_, group) in byTarget {
            let newestFirst = group.sorted { $1.isOlder(than: $0) }
            var keptHere = 0
            for snapshot in newestFirst {
                if keptHere < keepPerTarget || protected.contains(snapshot.path) {
                    kept.append(snapshot)
                    keptHere += 1
                } else {
                    doomed.append(snapshot)
                }
            }
        }
        var total = kept.reduce(UInt64(0)) { $0 + $1.bytes }
        for snapshot in kept.sorted(by: { $0.isOlder(than: $1) }) where total > maxBytes {
            guard !protected.contains(snapshot.path) else { continue }
            doomed.append(snapshot)
            total -= snapshot.bytes
        }
        return doomed.sorted { $0.isOlder(than: $1) }
    }
}
