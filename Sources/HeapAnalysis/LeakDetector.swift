/// Joins the summaries of snapshots of one process (by node id, by emitter and event, by timer
/// callback, by class) and turns sustained growth into findings.
struct LeakDetector {
    let summaries: [SnapshotSummary]
    /// The last snapshot, still with its graph, for paths and locations.
    let last: SnapshotAnalysis

    /// The summary of `last`; the findings are what it holds that grew.
    private var newest: SnapshotSummary { summaries[summaries.count - 1] }

    /// Smallest growth (first → last) that makes a finding, per kind of count.
    static let minimumListenerGrowth = 10
    static let minimumTimerGrowth = 10
    static let minimumCollectionGrowth = 10
    static let minimumClassGrowth = 50
    /// A class must also grow by this share of its first count: a few dozen more compiled
    /// functions among 15,000 is the JIT at work, not a leak.
    static let minimumClassGrowthShare = 0.02

    /// Growing across the snapshots: strictly at every step when there are 3 or more (a bounded
    /// cache that fills up then stays flat is not a leak), by at least `minimum` overall.
    static func isGrowing(_ counts: [Int], minimum: Int, minimumShare: Double = 0) -> Bool {
        guard counts.count >= 2, let first = counts.first, let last = counts.last, last - first >= minimum,
              Double(last - first) >= Double(first) * minimumShare
        else { return false }
        if counts.count >= 3 {
            for step in 1..<counts.count where counts[step] <= counts[step - 1] { return false }
        }
        return true
    }

    func findings() -> [LeakFinding] {
        guard summaries.count >= 2 else { return [] }
        var structural = listenerFindings() + timerFindings()
        structural += collectionFindings(excluding: listenerHolderIds())
        let growth = classFindings()
        func ranked(_ list: [LeakFinding]) -> [LeakFinding] {
            list.sorted { ($0.retainedGrowth, $0.count.last ?? 0) > ($1.retainedGrowth, $1.count.last ?? 0) }
        }
        return ranked(structural) + ranked(growth)
    }

    private func listenerHolderIds() -> Set<UInt32> {
        var ids = Set<UInt32>()
        for sample in newest.listeners.values {
            ids.insert(last.snapshot.nodeIds[sample.holder])
        }
        return ids
    }

    private func listenerFindings() -> [LeakFinding] {
        var result: [LeakFinding] = []
        for (key, sample) in newest.listeners {
            let counts = summaries.map { $0.listeners[key]?.count ?? 0 }
            guard Self.isGrowing(counts, minimum: Self.minimumListenerGrowth) else { continue }
            let retained = summaries.map { $0.listeners[key]?.retainedBytes ?? 0 }
            var summary = "\(sample.emitterClass) '\(key.event)' listeners: \(Format.series(counts))"
            var location: String?
            if let listener = sample.sampleListener {
                location = last.location(ofClosure: listener)
                summary += " (listener \(last.functionName(listener))"
                summary += location.map { " at \(Format.shortLocation($0)))" } ?? ")"
            }
            result.append(LeakFinding(
                kind: .listeners, summary: summary, className: sample.emitterClass, count: counts,
                retainedBytes: retained, path: last.retainerPath(to: sample.holder), location: location))
        }
        return result
    }

    private func timerFindings() -> [LeakFinding] {
        var result: [LeakFinding] = []
        for (key, sample) in newest.timers {
            let counts = summaries.map { $0.timers[key]?.count ?? 0 }
            guard Self.isGrowing(counts, minimum: Self.minimumTimerGrowth) else { continue }
            let retained = summaries.map { $0.timers[key]?.retainedBytes ?? 0 }
            var summary = "Timers with callback \(sample.callbackName)"
            if let location = sample.location { summary += " (\(Format.shortLocation(location)))" }
            summary += ": \(Format.series(counts)) live, never cleared"
            if let held = heldClass(byTimer: sample.representative) { summary += "; each holds a \(held)" }
            result.append(LeakFinding(
                kind: .timers, summary: summary, className: "Timeout", count: counts, retainedBytes: retained,
                path: last.retainerPath(to: sample.representative), location: sample.location))
        }
        return result
    }

    /// The first user-class object in the timer callback's closure context (`Session`), if any.
    private func heldClass(byTimer timer: Int) -> String? {
        let snapshot = last.snapshot
        guard let callback = last.property(last.names.onTimeout, of: timer) else { return nil }
        for edge in snapshot.edges(ofNode: callback) where snapshot.name(ofEdge: edge) == "context" {
            let context = snapshot.target(ofEdge: edge)
            for slot in snapshot.edges(ofNode: context) {
                let type = snapshot.edgeTypes[slot]
                guard type == snapshot.types.contextEdge || type == snapshot.types.hiddenEdge else { continue }
                let value = snapshot.target(ofEdge: slot)
                guard snapshot.nodeTypes[value] == snapshot.types.object else { continue }
                let name = last.classes.className(ofNode: value)
                if !name.hasPrefix("system /") && !name.hasPrefix("(") { return name }
            }
        }
        return nil
    }

    private func collectionFindings(excluding excluded: Set<UInt32>) -> [LeakFinding] {
        var growing: [(sample: SnapshotSummary.CollectionSample, counts: [Int], retained: [Int])] = []
        for sample in newest.collections where !excluded.contains(sample.id) {
            let samples = summaries.map { $0.collection(withId: sample.id) }
            let counts = samples.map { Int($0?.size ?? 0) }
            guard Self.isGrowing(counts, minimum: Self.minimumCollectionGrowth) else { continue }
            growing.append((sample, counts, samples.map { $0?.retainedBytes ?? 0 }))
        }
        let names = holderNames(of: growing.map(\.sample.node))
        return growing.map { sample, counts, retained in
            let className = last.classes.className(ofNode: sample.node)
            let unit = sample.kind == .array ? "elements" : sample.kind == .object ? "keys" : "entries"
            var subject = sample.kind.rawValue
            if let name = names[sample.node] { subject += " \(name)" }
            if let content = contentClass(of: sample) { subject += " of \(content)" }
            return LeakFinding(
                kind: .collection, summary: "\(subject): \(Format.series(counts)) \(unit)",
                className: className, count: counts, retainedBytes: retained,
                path: last.retainerPath(to: sample.node), location: nil)
        }
    }

    /// The names collections are held by (variable or property), quoted: from the shortest path
    /// when it ends in one, else from any property or variable edge to them (one pass over edges).
    private func holderNames(of nodes: [Int]) -> [Int: String] {
        var names: [Int: String] = [:]
        var missing = Set<Int>()
        for node in nodes {
            if let name = holderName(of: node) { names[node] = name } else { missing.insert(node) }
        }
        guard !missing.isEmpty else { return names }
        let snapshot = last.snapshot
        for source in 0..<snapshot.nodeCount where !missing.isEmpty {
            for edge in snapshot.edges(ofNode: source) {
                let target = snapshot.target(ofEdge: edge)
                guard missing.contains(target), let name = userName(ofEdge: edge, from: source) else { continue }
                names[target] = name
                missing.remove(target)
            }
        }
        return names
    }

    /// The edge's name, quoted, if a programmer wrote it: a property or a closure variable; for a
    /// block's variable, the names it may have (`'leak' or 'rate'`, see `blockVariableNames`).
    private func userName(ofEdge edge: Int, from source: Int) -> String? {
        let snapshot = last.snapshot
        let type = snapshot.edgeTypes[edge]
        if type == snapshot.types.hiddenEdge {
            let variables = last.blockVariableNames(ofEdge: edge, from: source)
            guard !variables.isEmpty, variables.count <= SnapshotAnalysis.maxVariableCandidates else { return nil }
            return variables.map { "'\($0)'" }.joined(separator: " or ")
        }
        guard type == snapshot.types.propertyEdge || type == snapshot.types.contextEdge else { return nil }
        let name = snapshot.name(ofEdge: edge)
        return name.isEmpty || name.allSatisfy(\.isNumber) ? nil : "'\(name)'"
    }

    /// The name the collection is held by (variable or property), from its shortest path.
    private func holderName(of node: Int) -> String? {
        let nodes = last.distances.path(to: node)
        guard nodes.count >= 2 else { return nil }
        let snapshot = last.snapshot
        let holder = nodes[nodes.count - 2]
        for edge in snapshot.edges(ofNode: holder) where snapshot.target(ofEdge: edge) == node {
            if let name = userName(ofEdge: edge, from: holder) { return name }
        }
        return nil
    }

    /// The most common class among a collection's values (for Map/Set, through its table).
    private func contentClass(of sample: SnapshotSummary.CollectionSample) -> String? {
        let snapshot = last.snapshot
        var holder = sample.node
        if sample.kind == .map || sample.kind == .set,
           let table = last.edge(of: holder, type: snapshot.types.internalEdge, name: last.names.table) {
            holder = snapshot.target(ofEdge: table)
        }
        var tally: [UInt32: Int] = [:]
        for edge in snapshot.edges(ofNode: holder).prefix(10_000) {
            let type = snapshot.edgeTypes[edge]
            guard type != snapshot.types.weakEdge, snapshot.edgeNames[edge] != last.names.proto else { continue }
            let target = snapshot.target(ofEdge: edge)
            guard !last.isOddball(target), snapshot.nodeTypes[target] != snapshot.types.objectShape else { continue }
            tally[last.classes.classOf[target], default: 0] += 1
        }
        guard let best = tally.max(by: { $0.value < $1.value }) else { return nil }
        return last.classes.names[Int(best.key)]
    }

    private func classFindings() -> [LeakFinding] {
        let newAlive = newObjectsByClass()
        var result: [LeakFinding] = []
        for (name, stats) in newest.classes {
            let counts = summaries.map { $0.classes[name]?.count ?? 0 }
            guard Self.isGrowing(counts, minimum: Self.minimumClassGrowth, minimumShare: Self.minimumClassGrowthShare)
            else { continue }
            let retained = summaries.map { $0.classes[name]?.retainedBytes ?? 0 }
            var summary = "\(name) objects: \(Format.series(counts))"
            summary += ", retaining \(Format.bytes(retained.first ?? 0)) → \(Format.bytes(stats.retainedBytes))"
            var path: [String] = []
            if let fresh = newAlive[name] {
                summary += "; \(Format.count(fresh.count)) created after the first snapshot are still alive"
                path = last.retainerPath(to: fresh.nearest)
            }
            result.append(LeakFinding(
                kind: .classGrowth, summary: summary, className: name, count: counts, retainedBytes: retained,
                path: path, location: nil))
        }
        return result
    }

    /// Objects of the last snapshot that did not exist in the first and (with 3 or more
    /// snapshots) already existed in the second: memlab's leak-candidate intersection.
    private func newObjectsByClass() -> [String: (count: Int, nearest: Int)] {
        let baseline = summaries[0]
        let target = summaries.count >= 3 ? summaries[1] : nil
        let snapshot = last.snapshot
        let classCount = last.classes.names.count
        var count = [Int](repeating: 0, count: classCount)
        var nearest = [Int](repeating: 0, count: classCount)
        for node in 0..<snapshot.nodeCount where last.dominators.isReachable(node) {
            let id = snapshot.nodeIds[node]
            guard !baseline.existed(id) else { continue }
            if let target, !target.existed(id) { continue }
            let classId = Int(last.classes.classOf[node])
            if count[classId] == 0 || last.distances.isNearer(node, than: nearest[classId]) { nearest[classId] = node }
            count[classId] += 1
        }
        var result: [String: (count: Int, nearest: Int)] = [:]
        for classId in 0..<classCount where count[classId] > 0 {
            result[last.classes.names[classId]] = (count[classId], nearest[classId])
        }
        return result
    }
}
