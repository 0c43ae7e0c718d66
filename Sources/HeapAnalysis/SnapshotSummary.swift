import Foundation

/// What the diff needs from one snapshot, small enough to keep for many snapshots after the graph
/// is released: class totals, emitter listener counts, timers by callback, collection sizes, and
/// which objects existed. A caller that analyzes each snapshot as it is taken keeps the summary
/// (`encoded()`, a few hundred kilobytes) and passes it instead of the file later, so every
/// snapshot is parsed once (`HeapAnalyzer.analyze(_:options:)`). Node ordinals in it (holders,
/// representatives) only mean something while the snapshot's graph is at hand: the detector reads
/// them from the last snapshot only, which is always analyzed from its file.
public struct SnapshotSummary: Sendable, Codable {
    /// The encoding's version: a summary of another version is not read (the caller re-analyzes
    /// the file).
    public static let formatVersion = 1

    struct ClassStats: Sendable, Codable {
        var count = 0
        var selfBytes = 0
        /// Retained size of the class's instances, counting an instance dominated by another
        /// instance of the same class once (DevTools' class retained size).
        var retainedBytes = 0
    }

    struct ListenerKey: Hashable, Sendable, Codable {
        var emitterId: UInt32
        var event: String
    }

    struct ListenerSample: Sendable, Codable {
        var count: Int
        var retainedBytes: Int
        var emitterClass: String
        /// The listener function or array node (ordinal in this snapshot).
        var holder: Int
        /// One listener closure (ordinal), for its name and location.
        var sampleListener: Int?
    }

    struct TimerSample: Sendable, Codable {
        var count = 0
        var retainedBytes = 0
        var callbackName: String
        var location: String?
        /// The timer closest to a GC root (ordinal).
        var representative: Int
    }

    enum CollectionKind: String, Sendable, Codable { case map = "Map", set = "Set", array = "Array", object = "Object" }

    struct CollectionSample: Sendable, Codable {
        var id: UInt32
        var size: UInt32
        var kind: CollectionKind
        var retainedBytes: Int
        var node: Int
    }

    /// Plain objects and arrays smaller than this are not recorded (there are millions of them).
    static let minimumRecordedSize = 8

    public internal(set) var info: SnapshotInfo
    var classes: [String: ClassStats] = [:]
    var listeners: [ListenerKey: ListenerSample] = [:]
    var timers: [String: TimerSample] = [:]
    /// Sorted by id.
    var collections: [CollectionSample] = []
    /// Which objects existed when the snapshot was taken. V8 gives heap objects odd ids from a
    /// counter that only grows (an object keeps its id for life), so an odd id existed iff it is
    /// at most the largest odd id of the snapshot. Embedder (native) nodes get even ids that do
    /// not follow allocation order: those are listed. Checked on real Node 20 snapshots: the
    /// rule and a full id set agree on every odd id.
    var maxOddId: UInt32 = 0
    /// Sorted.
    var evenIds: [UInt32] = []

    /// - Parameter parallel: use a second thread: the class statistics on one, the objects and ids
    ///   on the other.
    public init(analysis: SnapshotAnalysis, parallel: Bool = false) {
        let (classes, objects) = bothAtOnce(parallel: parallel, {
            Self.classStats(analysis)
        }, {
            SnapshotSummary(objectsOf: analysis)
        })
        self = objects
        self.classes = classes
    }

    /// All but the class statistics: listeners, timers, collections and which objects existed.
    private init(objectsOf analysis: SnapshotAnalysis) {
        let snapshot = analysis.snapshot
        info = SnapshotInfo(path: snapshot.path, nodes: snapshot.nodeCount, edges: snapshot.edgeCount,
                            totalBytes: snapshot.totalSize)
        scanObjects(analysis)
        var evenIds: [UInt32] = []
        var maxOddId: UInt32 = 0
        for id in snapshot.nodeIds {
            if id & 1 == 1 { maxOddId = max(maxOddId, id) } else { evenIds.append(id) }
        }
        evenIds.sort()
        self.maxOddId = maxOddId
        self.evenIds = evenIds
    }

    /// True when the object with this id existed when this snapshot was taken.
    func existed(_ id: UInt32) -> Bool {
        if id & 1 == 1 { return id <= maxOddId }
        let index = evenIds.lowerBound(of: id) { $0 }
        return index < evenIds.count && evenIds[index] == id
    }

    // MARK: - Encoding

    /// The summary as compact JSON, with `formatVersion`: the same summary gives the same bytes
    /// (keys sorted, listeners in key order), whichever order its tables were filled in.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try encoder.encode(Stored(version: Self.formatVersion, summary: self))
    }

    /// Reads `encoded()` output; throws when the data is not a summary of this version.
    public init(data: Data) throws {
        let stored = try JSONDecoder().decode(Stored.self, from: data)
        guard stored.version == Self.formatVersion else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription:
                "summary format \(stored.version), this build reads \(Self.formatVersion)"))
        }
        self = stored.summary
    }

    private struct Stored: Codable {
        var version: Int
        var summary: SnapshotSummary
    }

    private struct ListenerEntry: Codable {
        var key: ListenerKey
        var sample: ListenerSample
    }

    enum CodingKeys: String, CodingKey {
        case info, classes, listeners, timers, collections, maxOddId, evenIds
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        info = try container.decode(SnapshotInfo.self, forKey: .info)
        classes = try container.decode([String: ClassStats].self, forKey: .classes)
        let entries = try container.decode([ListenerEntry].self, forKey: .listeners)
        listeners = Dictionary(entries.map { ($0.key, $0.sample) }, uniquingKeysWith: { first, _ in first })
        timers = try container.decode([String: TimerSample].self, forKey: .timers)
        collections = try container.decode([CollectionSample].self, forKey: .collections)
        maxOddId = try container.decode(UInt32.self, forKey: .maxOddId)
        evenIds = try container.decode([UInt32].self, forKey: .evenIds)
        guard collections.indices.dropFirst().allSatisfy({ collections[$0 - 1].id <= collections[$0].id }),
              evenIds.indices.dropFirst().allSatisfy({ evenIds[$0 - 1] <= evenIds[$0] }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "ids out of order"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(info, forKey: .info)
        try container.encode(classes, forKey: .classes)
        // In key order, so the same summary gives the same bytes.
        let entries = listeners.map { ListenerEntry(key: $0.key, sample: $0.value) }
            .sorted { ($0.key.emitterId, $0.key.event) < ($1.key.emitterId, $1.key.event) }
        try container.encode(entries, forKey: .listeners)
        try container.encode(timers, forKey: .timers)
        try container.encode(collections, forKey: .collections)
        try container.encode(maxOddId, forKey: .maxOddId)
        try container.encode(evenIds, forKey: .evenIds)
    }

    /// Count, self and retained bytes per class over reachable nodes, in one pre-order walk of the
    /// dominator tree (an instance inside another instance of its class is not counted twice).
    static func classStats(_ analysis: SnapshotAnalysis) -> [String: ClassStats] {
        let snapshot = analysis.snapshot
        let tree = analysis.dominators
        let classCount = analysis.classes.names.count
        var stats = [ClassStats](repeating: ClassStats(), count: classCount)
        var byPreorder = [UInt32](prefaulted: 0, count: tree.reachableCount)
        for node in 0..<snapshot.nodeCount where tree.isReachable(node) {
            byPreorder[Int(tree.preorder[node])] = UInt32(node)
        }
        var active = [Int32](repeating: 0, count: classCount)
        var openEnds: [UInt32] = []
        var openClasses: [UInt32] = []
        for position in 0..<byPreorder.count {
            let node = Int(byPreorder[position])
            while let end = openEnds.last, end <= UInt32(position) {
                openEnds.removeLast()
                active[Int(openClasses.removeLast())] -= 1
            }
            let classId = analysis.classes.classOf[node]
            let index = Int(classId)
            // Synthetic nodes (the root, "(GC roots)", root categories) are views, not objects:
            // they would "retain" most of the heap.
            if snapshot.nodeTypes[node] == snapshot.types.synthetic { continue }
            stats[index].count += 1
            stats[index].selfBytes += snapshot.selfSize(ofNode: node)
            if active[index] == 0 { stats[index].retainedBytes += tree.retained[node] }
            active[index] += 1
            openEnds.append(UInt32(position) + tree.subtreeSize[node])
            openClasses.append(classId)
        }
        var result: [String: ClassStats] = [:]
        for (index, name) in analysis.classes.names.enumerated() where stats[index].count > 0 {
            result[name] = stats[index]
        }
        return result
    }

    /// One pass over the objects: emitters' listeners, timers, collections.
    private mutating func scanObjects(_ analysis: SnapshotAnalysis) {
        let snapshot = analysis.snapshot
        let types = snapshot.types
        let names = analysis.names
        // Timers by their callback's function (shared function info), with one callback each.
        var timersByFunction: [Int: (callback: Int, timers: [Int])] = [:]
        for node in 0..<snapshot.nodeCount
        where snapshot.nodeTypes[node] == types.object && analysis.dominators.isReachable(node) {
            let name = snapshot.nodeNames[node]
            if name == names.map || name == names.set {
                if let size = mapEntryCount(analysis, node) {
                    recordCollection(analysis, node, size: size, kind: name == names.map ? .map : .set)
                }
            } else if name == names.array {
                var size = 0
                for edge in snapshot.edges(ofNode: node) where snapshot.edgeTypes[edge] == types.elementEdge {
                    size += 1
                }
                if size >= Self.minimumRecordedSize { recordCollection(analysis, node, size: size, kind: .array) }
            } else if name == names.object {
                var size = 0
                for edge in snapshot.edges(ofNode: node)
                where snapshot.edgeTypes[edge] == types.propertyEdge && snapshot.edgeNames[edge] != names.proto {
                    size += 1
                }
                if size >= Self.minimumRecordedSize { recordCollection(analysis, node, size: size, kind: .object) }
            } else if name == names.timeout, let callback = analysis.property(names.onTimeout, of: node),
                      snapshot.nodeTypes[callback] == types.closure {
                let function = analysis.sharedFunctionInfo(ofClosure: callback) ?? callback
                timersByFunction[function, default: (callback, [])].timers.append(node)
            }
            if let events = analysis.property(names.events, of: node) {
                recordListeners(analysis, emitter: node, events: events)
            }
        }
        recordTimers(analysis, timersByFunction.values.sorted { $0.timers[0] < $1.timers[0] })
        collections.sort { $0.id < $1.id }
    }

    /// Timers grouped by callback name and location, from groups by callback function: the name
    /// and location are looked up once per function, not once per timer (a leak has millions).
    private mutating func recordTimers(_ analysis: SnapshotAnalysis, _ groups: [(callback: Int, timers: [Int])]) {
        var nodesByKey: [String: [Int]] = [:]
        for (callback, nodes) in groups {
            let location = analysis.location(ofClosure: callback)
            let callbackName = analysis.functionName(callback)
            let key = callbackName + "@" + (location ?? "")
            var sample = timers[key] ?? TimerSample(callbackName: callbackName, location: location, representative: nodes[0])
            sample.count += nodes.count
            for node in nodes where analysis.distances.isNearer(node, than: sample.representative) {
                sample.representative = node
            }
            timers[key] = sample
            nodesByKey[key, default: []] += nodes
        }
        for (key, nodes) in nodesByKey { timers[key]?.retainedBytes = analysis.retainedSize(ofAll: nodes) }
    }

    private mutating func recordCollection(_ analysis: SnapshotAnalysis, _ node: Int, size: Int, kind: CollectionKind) {
        collections.append(CollectionSample(
            id: analysis.snapshot.nodeIds[node], size: UInt32(clamping: size), kind: kind,
            retainedBytes: analysis.dominators.retained[node], node: node))
    }

    /// Entries of a Map or Set: the live slots of its `table` (V8's OrderedHashMap). A Map entry
    /// holds key and value in adjacent slots, so adjacent slots count once; deleted entries
    /// (the hole, an oddball) do not count.
    func mapEntryCount(_ analysis: SnapshotAnalysis, _ node: Int) -> Int? {
        let snapshot = analysis.snapshot
        guard let tableEdge = analysis.edge(of: node, type: snapshot.types.internalEdge, name: analysis.names.table)
        else { return nil }
        let table = snapshot.target(ofEdge: tableEdge)
        var entries = 0
        var previousSlot = -2
        for edge in snapshot.edges(ofNode: table) {
            let type = snapshot.edgeTypes[edge]
            let slot: Int
            if type == snapshot.types.elementEdge || type == snapshot.types.hiddenEdge {
                slot = Int(snapshot.edgeNames[edge])
            } else if type == snapshot.types.internalEdge, let number = snapshot.strings.integer(at: Int(snapshot.edgeNames[edge])) {
                slot = number
            } else {
                continue
            }
            if analysis.isOddball(snapshot.target(ofEdge: edge)) { continue }
            if slot != previousSlot + 1 { entries += 1 }
            previousSlot = slot
        }
        return entries
    }

    /// `emitter._events[name]`: one function, or an array of them.
    private mutating func recordListeners(_ analysis: SnapshotAnalysis, emitter: Int, events: Int) {
        let snapshot = analysis.snapshot
        let types = snapshot.types
        guard snapshot.nodeTypes[events] == types.object else { return }
        for edge in snapshot.edges(ofNode: events)
        where snapshot.edgeTypes[edge] == types.propertyEdge && snapshot.edgeNames[edge] != analysis.names.proto {
            let value = snapshot.target(ofEdge: edge)
            var count = 0
            var sample: Int?
            if snapshot.nodeTypes[value] == types.closure {
                count = 1
                sample = value
            } else if snapshot.nodeTypes[value] == types.object && snapshot.nodeNames[value] == analysis.names.array {
                for element in snapshot.edges(ofNode: value) where snapshot.edgeTypes[element] == types.elementEdge {
                    let listener = snapshot.target(ofEdge: element)
                    guard snapshot.nodeTypes[listener] == types.closure else { continue }
                    count += 1
                    if sample == nil { sample = listener }
                }
            }
            guard count > 0 else { continue }
            let key = ListenerKey(emitterId: snapshot.nodeIds[emitter], event: snapshot.name(ofEdge: edge))
            listeners[key] = ListenerSample(
                count: count, retainedBytes: analysis.dominators.retained[value],
                emitterClass: analysis.classes.className(ofNode: emitter), holder: value, sampleListener: sample)
        }
    }

    func collection(withId id: UInt32) -> CollectionSample? {
        let index = collections.lowerBound(of: id) { $0.id }
        return index < collections.count && collections[index].id == id ? collections[index] : nil
    }
}
