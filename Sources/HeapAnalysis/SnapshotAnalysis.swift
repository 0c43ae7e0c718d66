/// One snapshot with everything the leak detector needs: dominators and retained sizes,
/// distances and shortest paths, class names, closure locations.
public struct SnapshotAnalysis: Sendable {
    public let snapshot: HeapSnapshot
    public let dominators: DominatorTree
    public let distances: Distances
    public let classes: ClassIndex
    /// String indexes of the property names and class names the detector looks for.
    let names: WellKnownStrings

    /// - Parameters:
    ///   - paths: compute distances from the roots (retainer paths); a snapshot that is only
    ///     summarized for a diff, not the last one, does not need them.
    ///   - parallel: use a second thread: the dominator tree on one, distances and class names on
    ///     the other (they only read the snapshot). Costs about 12 bytes per node more at the peak
    ///     (the distances' arrays beside the dominator tree's).
    public init(snapshot: HeapSnapshot, paths: Bool = true, parallel: Bool = false) {
        self.snapshot = snapshot
        let (dominators, (distances, names, classes)) = bothAtOnce(parallel: parallel, {
            DominatorTree(snapshot: snapshot)
        }, {
            let names = WellKnownStrings(snapshot.strings)
            return (paths ? Distances(snapshot: snapshot) : .notComputed, names,
                    ClassIndex(snapshot: snapshot, wellKnown: names))
        })
        self.dominators = dominators
        self.distances = distances
        self.names = names
        self.classes = classes
    }

    /// Reads and analyzes one file.
    public init(contentsOf path: String, paths: Bool = true, parallel: Bool = false,
                progress: ((Int, Int) -> Void)? = nil) throws {
        self.init(snapshot: try HeapSnapshot(contentsOf: path, progress: progress), paths: paths, parallel: parallel)
    }

    // MARK: - Node helpers

    /// The first edge of `node` of type `type` named `name` (a string index), if any.
    func edge(of node: Int, type: UInt8, name: UInt32) -> Int? {
        guard name != WellKnownStrings.missing else { return nil }
        for edge in snapshot.edges(ofNode: node)
        where snapshot.edgeNames[edge] == name && snapshot.edgeTypes[edge] == type {
            return edge
        }
        return nil
    }

    func property(_ name: UInt32, of node: Int) -> Int? {
        edge(of: node, type: snapshot.types.propertyEdge, name: name).map { snapshot.target(ofEdge: $0) }
    }

    func isOddball(_ node: Int) -> Bool { snapshot.nodeNames[node] == names.oddball }

    /// A closure's function name, or "(anonymous)".
    func functionName(_ closure: Int) -> String {
        let name = snapshot.name(ofNode: closure)
        return name.isEmpty ? "(anonymous)" : name
    }

    /// `script:line:column` (1-based) where the function behind `closure` is defined, if known.
    public func location(ofClosure closure: Int) -> String? {
        let locations = snapshot.locations
        let index = locations.lowerBound(of: UInt32(closure)) { $0.node }
        guard index < locations.count, locations[index].node == closure else { return nil }
        let entry = locations[index]
        let script = scriptName(ofClosure: closure) ?? "script \(entry.scriptId)"
        return "\(script):\(entry.line + 1):\(entry.column + 1)"
    }

    /// The shared function info behind `closure`: one per function, however many closures.
    func sharedFunctionInfo(ofClosure closure: Int) -> Int? {
        edge(of: closure, type: snapshot.types.internalEdge, name: names.shared).map { snapshot.target(ofEdge: $0) }
    }

    /// The name of the script node reached through closure → shared function info → script.
    func scriptName(ofClosure closure: Int) -> String? {
        let internalEdge = snapshot.types.internalEdge
        guard let info = sharedFunctionInfo(ofClosure: closure) else { return nil }
        let scriptEdge = edge(of: info, type: internalEdge, name: names.scriptOrDebugInfo)
            ?? edge(of: info, type: internalEdge, name: names.script)
        guard let scriptEdge else { return nil }
        let name = snapshot.name(ofNode: snapshot.target(ofEdge: scriptEdge))
        return name.isEmpty ? nil : name
    }

    /// Sum of retained sizes of `nodes`, counting a node dominated by another one of them once.
    public func retainedSize(ofAll nodes: [Int]) -> Int {
        let sorted = nodes.filter { dominators.isReachable($0) }
            .sorted { dominators.preorder[$0] < dominators.preorder[$1] }
        var total = 0
        var openEnd: UInt32 = 0
        for node in sorted {
            let start = dominators.preorder[node]
            if start < openEnd { continue }
            total += dominators.retained[node]
            openEnd = start + dominators.subtreeSize[node]
        }
        return total
    }

    // MARK: - Retainer paths

    /// Maximum steps shown in a path; the middle of longer paths is elided.
    static let pathLimit = 14

    /// The shortest retainer path from a GC root to `node`, as readable steps:
    /// `["(GC roots)", "(Global handles)[]", "system / Context.bus", "EventEmitter._events", …]`.
    /// Array indexes are collapsed to `[]`, repeated steps (linked lists) to `step ×N`.
    public func retainerPath(to node: Int) -> [String] {
        let nodes = distances.path(to: node)
        guard !nodes.isEmpty else { return [] }
        var steps = zip(nodes, nodes.dropFirst()).map { holder, held in
            displayName(holder) + edgeLabel(from: holder, to: held)
        }
        steps.append(displayName(node))
        var collapsed: [(String, Int)] = []
        for step in steps {
            if let last = collapsed.last, last.0 == step {
                collapsed[collapsed.count - 1].1 += 1
            } else {
                collapsed.append((step, 1))
            }
        }
        var result = collapsed.map { $0.1 > 1 ? "\($0.0) ×\($0.1)" : $0.0 }
        if result.count > Self.pathLimit {
            let head = result.prefix(Self.pathLimit / 2)
            let tail = result.suffix(Self.pathLimit / 2 - 1)
            result = Array(head) + ["… \(result.count - head.count - tail.count) more …"] + Array(tail)
        }
        return result
    }

    /// The class, with the function name for closures: `(closure) onTick`.
    func displayName(_ node: Int) -> String {
        let className = classes.className(ofNode: node)
        if snapshot.nodeTypes[node] == snapshot.types.closure { return "\(className) \(functionName(node))" }
        if snapshot.nodeTypes[node] == snapshot.types.synthetic || snapshot.nodeTypes[node] == snapshot.types.hidden {
            let name = snapshot.name(ofNode: node)
            return name.isEmpty ? className : name
        }
        return className
    }

    /// Most names a block-scoped variable is given as (`'leak' or 'rate'`); more say nothing.
    static let maxVariableCandidates = 3

    /// The names the variable held by `edge` of `context` may have, when the edge is a block's
    /// variable: V8 names a function's context variables (`context` edges) but gives a block's
    /// (`{ const cache = new Map() }`, or an `if`/`else` branch at a module's top level) `hidden`
    /// edges, numbered in slot order and skipping slots that hold small integers, which have no
    /// edge. The block's ScopeInfo lists its variables' names in slot order, so the edge numbered
    /// k holds variable k, k + 1, … or k + (names − edges): one name when no slot before it was
    /// skipped. Empty when the edge is not such a slot or the names cannot be read.
    func blockVariableNames(ofEdge edge: Int, from context: Int) -> [String] {
        let hidden = snapshot.types.hiddenEdge
        guard snapshot.edgeTypes[edge] == hidden, snapshot.nodeNames[context] == names.context,
              let scopeInfo = self.edge(of: context, type: snapshot.types.internalEdge, name: names.scopeInfo)
        else { return [] }
        var variables: [String] = []
        for slot in snapshot.edges(ofNode: snapshot.target(ofEdge: scopeInfo)) where snapshot.edgeTypes[slot] == hidden {
            let name = snapshot.target(ofEdge: slot)
            if snapshot.types.isString(snapshot.nodeTypes[name]) { variables.append(snapshot.name(ofNode: name)) }
        }
        let slots = snapshot.edges(ofNode: context).reduce(0) { $0 + (snapshot.edgeTypes[$1] == hidden ? 1 : 0) }
        let index = Int(snapshot.edgeNames[edge])
        let skipped = variables.count - slots
        guard skipped >= 0, index < slots else { return [] }
        return variables[index...(index + skipped)].filter { !$0.isEmpty }
    }

    /// `.name` for named edges, `[]` for indexes (element, hidden, numeric internal slots); a
    /// block's variable by its name when it has only one (`blockVariableNames`).
    func edgeLabel(from source: Int, to target: Int) -> String {
        guard let edge = snapshot.edges(ofNode: source).first(where: {
            snapshot.target(ofEdge: $0) == target && snapshot.isRetainingEdge($0, from: source)
        }) else { return "" }
        let type = snapshot.edgeTypes[edge]
        if type == snapshot.types.hiddenEdge, case let variables = blockVariableNames(ofEdge: edge, from: source),
           variables.count == 1 {
            return "." + variables[0]
        }
        if type == snapshot.types.elementEdge || type == snapshot.types.hiddenEdge { return "[]" }
        let name = snapshot.name(ofEdge: edge)
        if name.isEmpty || name.allSatisfy(\.isNumber) { return "[]" }
        return "." + name
    }
}

/// String indexes of names the detector compares against, looked up once per snapshot.
struct WellKnownStrings: Sendable {
    static let missing = UInt32.max

    var events = missing, table = missing, onTimeout = missing, shared = missing
    var scriptOrDebugInfo = missing, script = missing, proto = missing, oddball = missing
    var map = missing, set = missing, array = missing, timeout = missing, object = missing
    var context = missing, scopeInfo = missing

    init(_ strings: StringTable) {
        let fields: [(WritableKeyPath<Self, UInt32>, String)] = [
            (\.events, "_events"), (\.table, "table"), (\.onTimeout, "_onTimeout"), (\.shared, "shared"),
            (\.scriptOrDebugInfo, "script_or_debug_info"), (\.script, "script"), (\.proto, "__proto__"),
            (\.oddball, "system / Oddball"), (\.map, "Map"), (\.set, "Set"), (\.array, "Array"),
            (\.timeout, "Timeout"), (\.object, "Object"), (\.context, "system / Context"), (\.scopeInfo, "scope_info"),
        ]
        let found = strings.indexes(of: Set(fields.map(\.1)))
        for (field, text) in fields { self[keyPath: field] = found[text].map(UInt32.init) ?? Self.missing }
    }
}
