/// The result of analyzing one or more snapshots of one process, ready to store as JSON
/// (snake_case keys) and to print later (`LeakReport.text(top:)`).
public struct LeakReport: Codable, Sendable, Equatable {
    public var snapshots: [SnapshotInfo]
    /// Ranked: structural leaks (listeners, timers, collections) first, then class growth; each
    /// group by retained growth between the first and the last snapshot.
    public var findings: [LeakFinding]
    /// Classes of the last snapshot by retained size.
    public var topClasses: [ClassRetention]
    /// Objects of the last snapshot retaining the most.
    public var largestDominators: [DominatorEntry]

    public init(snapshots: [SnapshotInfo], findings: [LeakFinding], topClasses: [ClassRetention],
                largestDominators: [DominatorEntry]) {
        self.snapshots = snapshots
        self.findings = findings
        self.topClasses = topClasses
        self.largestDominators = largestDominators
    }

    enum CodingKeys: String, CodingKey {
        case snapshots, findings
        case topClasses = "top_classes"
        case largestDominators = "largest_dominators"
    }
}

public struct SnapshotInfo: Codable, Sendable, Equatable {
    public var path: String
    public var nodes: Int
    public var edges: Int
    /// Sum of all nodes' self sizes, in bytes.
    public var totalBytes: Int

    public init(path: String, nodes: Int, edges: Int, totalBytes: Int) {
        self.path = path
        self.nodes = nodes
        self.edges = edges
        self.totalBytes = totalBytes
    }

    enum CodingKeys: String, CodingKey {
        case path, nodes, edges
        case totalBytes = "total_bytes"
    }
}

public enum LeakKind: String, Codable, Sendable, Equatable {
    /// An emitter's listener list for one event keeps growing.
    case listeners
    /// Live timers with one callback keep growing (intervals never cleared).
    case timers
    /// One Map, Set, array or plain object keeps growing.
    case collection
    /// Instances of one class keep growing.
    case classGrowth = "class_growth"
}

public struct LeakFinding: Codable, Sendable, Equatable {
    public var kind: LeakKind
    /// One line a person understands: "EventEmitter 'tick' listeners: 55 → 2,055 → 4,055".
    public var summary: String
    public var className: String
    /// The growing count (listeners, timers, entries, instances), one value per snapshot.
    public var count: [Int]
    /// Bytes retained by what is counted, one value per snapshot.
    public var retainedBytes: [Int]
    /// Shortest retainer path in the last snapshot, from a GC root to the leaking object.
    public var path: [String]
    /// `script:line:column` of the function involved (listener, timer callback), when known.
    public var location: String?

    public init(kind: LeakKind, summary: String, className: String, count: [Int], retainedBytes: [Int],
                path: [String], location: String?) {
        self.kind = kind
        self.summary = summary
        self.className = className
        self.count = count
        self.retainedBytes = retainedBytes
        self.path = path
        self.location = location
    }

    /// Retained bytes gained between the first and the last snapshot.
    public var retainedGrowth: Int { (retainedBytes.last ?? 0) - (retainedBytes.first ?? 0) }

    enum CodingKeys: String, CodingKey {
        case kind, summary, count, path, location
        case className = "class"
        case retainedBytes = "retained_bytes"
    }

    /// Writes every key, `"location": null` included, so readers see one fixed shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(summary, forKey: .summary)
        try container.encode(className, forKey: .className)
        try container.encode(count, forKey: .count)
        try container.encode(retainedBytes, forKey: .retainedBytes)
        try container.encode(path, forKey: .path)
        try container.encode(location, forKey: .location)
    }
}

public struct ClassRetention: Codable, Sendable, Equatable {
    public var className: String
    public var count: Int
    public var selfBytes: Int
    public var retainedBytes: Int

    enum CodingKeys: String, CodingKey {
        case count
        case className = "class"
        case selfBytes = "self_bytes"
        case retainedBytes = "retained_bytes"
    }
}

public struct DominatorEntry: Codable, Sendable, Equatable {
    public var className: String
    /// V8 node id (stable across snapshots of one process; `@id` in DevTools).
    public var id: UInt32
    public var retainedBytes: Int
    public var path: [String]

    enum CodingKeys: String, CodingKey {
        case id, path
        case className = "class"
        case retainedBytes = "retained_bytes"
    }
}
