/// One parsed `.heapsnapshot`: the heap graph in flat columns, edges in CSR form (node `n` owns
/// edges `firstEdge[n] ..< firstEdge[n + 1]`), names in a `StringTable`. Node ordinals are
/// 32-bit (V8 cannot write 2^32 nodes); edge indexes and sizes are 64-bit.
public struct HeapSnapshot: Sendable {
    public let path: String
    /// Bytes on disk (compressed size for gzip files).
    public let fileSize: Int
    /// Bytes of JSON read (the uncompressed size for gzip files).
    public let jsonSize: Int

    public var nodeCount: Int { nodeTypes.count }
    public var edgeCount: Int { edgeTypes.count }

    let nodeTypes: [UInt8]
    let nodeNames: [UInt32]
    let nodeIds: [UInt32]
    let nodeSelfSizes: [UInt32]
    /// Self sizes that do not fit in 32 bits, by node ordinal.
    let largeSelfSizes: [UInt32: Int]
    let firstEdge: [Int]
    let edgeTypes: [UInt8]
    let edgeNames: [UInt32]
    let edgeTargets: [UInt32]
    public let strings: StringTable
    public let nodeTypeNames: [String]
    public let edgeTypeNames: [String]
    /// Source positions of closures, from the `locations` section, sorted by node (V8 writes
    /// them in node order: the sort is one linear pass).
    let locations: [ClosureLocation]
    let types: KnownTypes

    public func type(ofNode node: Int) -> String { nodeTypeNames[Int(nodeTypes[node])] }
    public func name(ofNode node: Int) -> String { strings[Int(nodeNames[node])] }
    public func id(ofNode node: Int) -> UInt32 { nodeIds[node] }

    public func selfSize(ofNode node: Int) -> Int {
        let size = nodeSelfSizes[node]
        return size == UInt32.max ? largeSelfSizes[UInt32(node)] ?? Int(size) : Int(size)
    }

    public func edges(ofNode node: Int) -> Range<Int> { firstEdge[node]..<firstEdge[node + 1] }
    public func target(ofEdge edge: Int) -> Int { Int(edgeTargets[edge]) }
    public func type(ofEdge edge: Int) -> String { edgeTypeNames[Int(edgeTypes[edge])] }

    /// Property name for named edges; the index as text for element and hidden edges.
    public func name(ofEdge edge: Int) -> String {
        let type = edgeTypes[edge]
        if type == types.elementEdge || type == types.hiddenEdge { return String(edgeNames[edge]) }
        return strings[Int(edgeNames[edge])]
    }

    /// Sum of all self sizes, in bytes.
    public var totalSize: Int {
        var total = 0
        for node in 0..<nodeCount { total &+= selfSize(ofNode: node) }
        return total
    }
}

/// One entry of `locations`: where the function behind a closure node is defined.
struct ClosureLocation: Sendable {
    var node: UInt32
    var scriptId: Int
    /// Zero-based, as V8 writes them.
    var line: Int
    var column: Int
}

/// Codes of the node and edge types this library looks at, found by name in `snapshot.meta`.
/// A type the snapshot does not declare gets `absent`, which matches no node or edge.
struct KnownTypes: Sendable {
    static let absent: UInt8 = 255

    var hidden = absent, array = absent, string = absent, object = absent, code = absent
    var closure = absent, native = absent, synthetic = absent, consString = absent
    var slicedString = absent, objectShape = absent

    var contextEdge = absent, elementEdge = absent, propertyEdge = absent, internalEdge = absent
    var hiddenEdge = absent, shortcutEdge = absent, weakEdge = absent

    init(nodeTypes: [String], edgeTypes: [String]) {
        func code(_ name: String, in list: [String]) -> UInt8 {
            list.firstIndex(of: name).map { UInt8($0) } ?? Self.absent
        }
        let nodeFields: [(WritableKeyPath<Self, UInt8>, String)] = [
            (\.hidden, "hidden"), (\.array, "array"), (\.string, "string"), (\.object, "object"),
            (\.code, "code"), (\.closure, "closure"), (\.native, "native"), (\.synthetic, "synthetic"),
            (\.consString, "concatenated string"), (\.slicedString, "sliced string"),
            (\.objectShape, "object shape"),
        ]
        let edgeFields: [(WritableKeyPath<Self, UInt8>, String)] = [
            (\.contextEdge, "context"), (\.elementEdge, "element"), (\.propertyEdge, "property"),
            (\.internalEdge, "internal"), (\.hiddenEdge, "hidden"), (\.shortcutEdge, "shortcut"),
            (\.weakEdge, "weak"),
        ]
        for (field, name) in nodeFields { self[keyPath: field] = code(name, in: nodeTypes) }
        for (field, name) in edgeFields { self[keyPath: field] = code(name, in: edgeTypes) }
    }

    /// True when an edge of type `edgeType` keeps its target alive for dominators and distances:
    /// weak edges never do, shortcut edges only from the root (node 0).
    @inline(__always)
    func isRetaining(_ edgeType: UInt8, fromRoot: Bool) -> Bool {
        edgeType != weakEdge && (edgeType != shortcutEdge || fromRoot)
    }

    func isString(_ type: UInt8) -> Bool { type == string || type == consString || type == slicedString }
}
