/// Reads a `.heapsnapshot` (plain or gzip) into a `HeapSnapshot` in one streaming pass: the
/// integer arrays go straight into typed columns, strings into one arena.
struct SnapshotParser {
    private var scanner: ByteScanner
    private let path: String
    private let fileSize: Int
    /// Upper bound on the JSON size, used to reject absurd counts before allocating.
    private let maxJSONSize: Int

    private var meta: Meta?
    private var nodes: NodeColumns?
    private var edges: EdgeColumns?
    private var strings: StringTable?
    private var locations: [ClosureLocation] = []

    init(path: String, chunkSize: Int, progress: ((Int, Int) -> Void)?) throws {
        let input = try SnapshotInput(path: path, chunkSize: chunkSize)
        self.path = path
        fileSize = input.fileSize
        maxJSONSize = input.isGzip ? input.fileSize.multipliedReportingOverflow(by: 1100).partialValue
            : input.fileSize
        scanner = ByteScanner(input: input)
        if let progress {
            let total = input.isGzip ? 0 : input.fileSize
            scanner.progress = { progress($0, total) }
        }
    }

    mutating func parse() throws -> HeapSnapshot {
        scanner.context = "the top-level object"
        try scanner.expect(UInt8(ascii: "{"), "'{' at the start of the file")
        var seen = Set<String>()
        if try scanner.peekNonSpace() != UInt8(ascii: "}") {
            repeat {
                scanner.context = "a top-level key"
                let key = try scanner.readString()
                try scanner.expect(UInt8(ascii: ":"), "':' after \"\(key)\"")
                scanner.context = "the \(key) section"
                guard seen.insert(key).inserted else { throw scanner.malformed("\"\(key)\" appears twice") }
                switch key {
                case "snapshot": meta = try Meta(header: scanner.parseValue(), scanner: scanner)
                case "nodes": try parseNodes()
                case "edges": try parseEdges()
                case "strings": try parseStrings()
                case "locations": try parseLocations()
                default: try scanner.skipValue()
                }
                scanner.context = "the top-level object"
            } while try scanner.separator(close: UInt8(ascii: "}"))
        } else {
            try scanner.expect(UInt8(ascii: "}"), "'}'")
        }
        guard try scanner.atEndOfStream() else { throw scanner.malformed("bytes after the closing '}'") }
        return try finish()
    }

    // MARK: - Sections

    private mutating func parseNodes() throws {
        guard let meta else { throw scanner.malformed("\"nodes\" comes before \"snapshot\"") }
        guard let declared = meta.nodeCount else { throw scanner.malformed("snapshot.node_count is missing") }
        try scanner.expect(UInt8(ascii: "["), "'[' to open the nodes array")
        let fieldCount = meta.nodeFieldCount
        // A node takes at least two bytes per field: a larger node_count is either a truncated
        // file (reading will reach its end and say so) or a lie (the count check below).
        let capacity = min(declared, maxJSONSize / (2 * fieldCount) + 1)
        var columns = NodeColumns(count: capacity)
        let fields = meta.nodeFields
        let typeColumn = fields.firstIndex(of: "type")!, nameColumn = fields.firstIndex(of: "name")!
        let idColumn = fields.firstIndex(of: "id")!, sizeColumn = fields.firstIndex(of: "self_size")!
        let edgeCountColumn = fields.firstIndex(of: "edge_count")!
        let typeCount = meta.nodeTypes.count
        let values = UnsafeMutablePointer<Int>.allocate(capacity: fieldCount)
        defer { values.deallocate() }
        var count = 0
        var edgeTotal = 0
        try columns.types.withUnsafeMutableBufferPointer { types in
        try columns.names.withUnsafeMutableBufferPointer { names in
        try columns.ids.withUnsafeMutableBufferPointer { ids in
        try columns.selfSizes.withUnsafeMutableBufferPointer { selfSizes in
        try columns.firstEdge.withUnsafeMutableBufferPointer { firstEdge in
            var first = true
            while try nextRecord(into: values, fieldCount: fieldCount, first: &first, kind: "nodes") {
                guard count < capacity else {
                    throw scanner.malformed("nodes array has more nodes than snapshot.node_count (\(declared))")
                }
                let type = values[typeColumn], name = values[nameColumn], id = values[idColumn]
                let size = values[sizeColumn], edgeCount = values[edgeCountColumn]
                guard type < typeCount else { throw scanner.malformed("node type \(type) is not in meta.node_types") }
                guard name <= UInt32.max, id <= UInt32.max else { throw scanner.malformed("node name or id beyond 32 bits") }
                types[count] = UInt8(truncatingIfNeeded: type)
                names[count] = UInt32(truncatingIfNeeded: name)
                ids[count] = UInt32(truncatingIfNeeded: id)
                if size >= Int(UInt32.max) {
                    columns.largeSelfSizes[UInt32(count)] = size
                    selfSizes[count] = UInt32.max
                } else {
                    selfSizes[count] = UInt32(truncatingIfNeeded: size)
                }
                let (sum, overflow) = edgeTotal.addingReportingOverflow(edgeCount)
                guard !overflow else { throw scanner.malformed("edge_count values add up to more than 2^63") }
                edgeTotal = sum
                count += 1
                firstEdge[count] = edgeTotal
            }
        }}}}}
        guard count == declared else {
            throw scanner.malformed("nodes array has \(count) nodes, snapshot.node_count says \(declared)")
        }
        guard count > 0 else { throw scanner.malformed("the snapshot has no nodes") }
        nodes = columns
    }

    /// Reads the next record of `fieldCount` integers into `values`; false at the array's end.
    /// A record cut short is malformed (`kind` names the array: "nodes", "edges").
    @inline(__always)
    private mutating func nextRecord(into values: UnsafeMutablePointer<Int>, fieldCount: Int, first: inout Bool, kind: String) throws -> Bool {
        for column in 0..<fieldCount {
            let value = try scanner.nextUInt(first: first)
            first = false
            if value < 0 {
                guard column == 0 else { throw scanner.malformed("the \(kind) array does not hold whole \(kind)") }
                return false
            }
            values[column] = value
        }
        return true
    }

    private mutating func parseEdges() throws {
        guard let meta, let nodes else { throw scanner.malformed("\"edges\" comes before \"nodes\"") }
        try scanner.expect(UInt8(ascii: "["), "'[' to open the edges array")
        let fieldCount = meta.edgeFieldCount
        let total = nodes.firstEdge[nodes.count]
        // As for nodes: more edges than the bytes can hold means the file ends early.
        let capacity = min(total, maxJSONSize / (2 * fieldCount) + 1)
        var columns = EdgeColumns(count: capacity)
        let fields = meta.edgeFields
        let typeColumn = fields.firstIndex(of: "type")!, nameColumn = fields.firstIndex(of: "name_or_index")!
        let targetColumn = fields.firstIndex(of: "to_node")!
        let typeCount = meta.edgeTypes.count
        let nodeCount = nodes.count
        let nodeFieldCount = meta.nodeFieldCount
        let toNode = ExactDivisor(nodeFieldCount)
        let values = UnsafeMutablePointer<Int>.allocate(capacity: fieldCount)
        defer { values.deallocate() }
        var index = 0
        try columns.types.withUnsafeMutableBufferPointer { types in
        try columns.names.withUnsafeMutableBufferPointer { names in
        try columns.targets.withUnsafeMutableBufferPointer { targets in
            var first = true
            while try nextRecord(into: values, fieldCount: fieldCount, first: &first, kind: "edges") {
                guard index < capacity else {
                    throw scanner.malformed("more edges than the nodes' edge_count values add up to (\(total))")
                }
                let type = values[typeColumn], name = values[nameColumn], targetValue = values[targetColumn]
                guard type < typeCount else { throw scanner.malformed("edge type \(type) is not in meta.edge_types") }
                let target = toNode.quotient(targetValue)
                guard target < nodeCount, target * nodeFieldCount == targetValue else {
                    throw scanner.malformed("edge to_node \(targetValue) is not a node")
                }
                guard name <= UInt32.max else { throw scanner.malformed("edge name beyond 32 bits") }
                types[index] = UInt8(truncatingIfNeeded: type)
                names[index] = UInt32(truncatingIfNeeded: name)
                targets[index] = UInt32(truncatingIfNeeded: target)
                index += 1
            }
        }}}
        guard index == total else {
            throw scanner.malformed("edges array has \(index) edges, the nodes' edge_count values add up to \(total)")
        }
        if let declared = meta.edgeCount, declared != total {
            throw scanner.malformed("edges array has \(total) edges, snapshot.edge_count says \(declared)")
        }
        edges = columns
    }

    private mutating func parseStrings() throws {
        try scanner.expect(UInt8(ascii: "["), "'[' to open the strings array")
        var table = StringTable()
        if try scanner.peekNonSpace() == UInt8(ascii: "]") {
            _ = try scanner.separator(close: UInt8(ascii: "]"))
        } else {
            repeat {
                try scanner.appendString(to: &table.arena)
                table.offsets.append(table.arena.count)
            } while try scanner.separator(close: UInt8(ascii: "]"))
        }
        strings = table
    }

    private mutating func parseLocations() throws {
        guard let meta else { throw scanner.malformed("\"locations\" comes before \"snapshot\"") }
        try scanner.expect(UInt8(ascii: "["), "'[' to open the locations array")
        let fields = meta.locationFields
        let objectColumn = fields.firstIndex(of: "object_index") ?? -1
        let scriptColumn = fields.firstIndex(of: "script_id") ?? -1
        let lineColumn = fields.firstIndex(of: "line") ?? -1
        let columnColumn = fields.firstIndex(of: "column") ?? -1
        var column = 0
        var first = true
        var entry = ClosureLocation(node: 0, scriptId: 0, line: 0, column: 0)
        while true {
            let value = try scanner.nextUInt(first: first)
            if value < 0 { break }
            first = false
            switch column {
            case objectColumn: entry.node = UInt32(truncatingIfNeeded: value / meta.nodeFieldCount)
            case scriptColumn: entry.scriptId = value
            case lineColumn: entry.line = value
            case columnColumn: entry.column = value
            default: break
            }
            column += 1
            if column >= max(fields.count, 1) {
                column = 0
                if objectColumn >= 0 { locations.append(entry) }
            }
        }
    }

    private func finish() throws -> HeapSnapshot {
        guard let meta else { throw missing("snapshot") }
        guard let nodes else { throw missing("nodes") }
        guard let edges else { throw missing("edges") }
        guard let strings else { throw missing("strings") }
        let stringCount = UInt32(strings.count)
        for name in nodes.names where name >= stringCount {
            throw HeapSnapshotError(path: path, reason: .malformed("a node name (\(name)) is not in strings"))
        }
        let types = KnownTypes(nodeTypes: meta.nodeTypes, edgeTypes: meta.edgeTypes)
        for edge in 0..<edges.types.count {
            let type = edges.types[edge]
            if type != types.elementEdge && type != types.hiddenEdge && edges.names[edge] >= stringCount {
                throw HeapSnapshotError(path: path, reason: .malformed("an edge name (\(edges.names[edge])) is not in strings"))
            }
        }
        let nodeCount = UInt32(nodes.count)
        return HeapSnapshot(
            path: path, fileSize: fileSize, jsonSize: scanner.offset,
            nodeTypes: nodes.types, nodeNames: nodes.names, nodeIds: nodes.ids,
            nodeSelfSizes: nodes.selfSizes, largeSelfSizes: nodes.largeSelfSizes,
            firstEdge: nodes.firstEdge, edgeTypes: edges.types, edgeNames: edges.names,
            edgeTargets: edges.targets, strings: strings,
            nodeTypeNames: meta.nodeTypes, edgeTypeNames: meta.edgeTypes,
            locations: locations.filter { $0.node < nodeCount }.sorted { $0.node < $1.node }, types: types)
    }

    private func missing(_ key: String) -> HeapSnapshotError {
        HeapSnapshotError(path: path, reason: .malformed("no \"\(key)\" section"))
    }
}

extension HeapSnapshot {
    /// Reads a snapshot file (plain JSON or gzip). `progress` gets (bytes read, file size; 0 when
    /// unknown, as for gzip) after each chunk of a few MiB.
    public init(contentsOf path: String, progress: ((Int, Int) -> Void)? = nil) throws {
        try self.init(contentsOf: path, chunkSize: SnapshotInput.defaultChunkSize, progress: progress)
    }

    /// `chunkSize`: bytes read (or inflated) at a time. Tests make it tiny, so that numbers,
    /// strings and escapes are cut by chunk boundaries.
    init(contentsOf path: String, chunkSize: Int, progress: ((Int, Int) -> Void)? = nil) throws {
        var parser = try SnapshotParser(path: path, chunkSize: chunkSize, progress: progress)
        self = try parser.parse()
    }
}

// MARK: - Meta and columns

/// What `snapshot.meta` says about the layout, with columns found by name.
private struct Meta {
    /// Column names of a node, an edge and a location record, in order (the required node and
    /// edge columns are checked to be there).
    var nodeFields: [String]
    var edgeFields: [String]
    var locationFields: [String]
    var nodeTypes: [String]
    var edgeTypes: [String]
    var nodeCount: Int?
    var edgeCount: Int?

    init(header: JSONValue, scanner: ByteScanner) throws {
        guard let meta = header["meta"] else { throw scanner.malformed("snapshot has no meta") }
        guard let nodeFields = meta["node_fields"]?.strings, !nodeFields.isEmpty,
              let edgeFields = meta["edge_fields"]?.strings, !edgeFields.isEmpty
        else { throw scanner.malformed("snapshot.meta lacks node_fields or edge_fields") }
        for required in ["type", "name", "id", "self_size", "edge_count"] where !nodeFields.contains(required) {
            throw scanner.malformed("snapshot.meta.node_fields lacks \"\(required)\"")
        }
        for required in ["type", "name_or_index", "to_node"] where !edgeFields.contains(required) {
            throw scanner.malformed("snapshot.meta.edge_fields lacks \"\(required)\"")
        }
        guard case .array(let nodeTypeList)? = meta["node_types"], let nodeTypes = nodeTypeList.first?.strings,
              case .array(let edgeTypeList)? = meta["edge_types"], let edgeTypes = edgeTypeList.first?.strings,
              nodeTypes.count < 255, edgeTypes.count < 255
        else { throw scanner.malformed("snapshot.meta lacks node_types or edge_types lists") }
        self.nodeFields = nodeFields
        self.edgeFields = edgeFields
        self.nodeTypes = nodeTypes
        self.edgeTypes = edgeTypes
        locationFields = meta["location_fields"]?.strings ?? []
        nodeCount = header["node_count"]?.int
        edgeCount = header["edge_count"]?.int
    }

    var nodeFieldCount: Int { nodeFields.count }
    var edgeFieldCount: Int { edgeFields.count }
}

private struct NodeColumns {
    var types: [UInt8]
    var names: [UInt32]
    var ids: [UInt32]
    var selfSizes: [UInt32]
    var largeSelfSizes: [UInt32: Int] = [:]
    /// `count + 1` offsets: node `n` owns edges `firstEdge[n] ..< firstEdge[n + 1]`.
    var firstEdge: [Int]
    var count: Int { types.count }

    init(count: Int) {
        types = [UInt8](prefaulted: 0, count: count)
        names = [UInt32](prefaulted: 0, count: count)
        ids = [UInt32](prefaulted: 0, count: count)
        selfSizes = [UInt32](prefaulted: 0, count: count)
        firstEdge = [Int](prefaulted: 0, count: count + 1)
    }
}

private struct EdgeColumns {
    var types: [UInt8]
    var names: [UInt32]
    var targets: [UInt32]

    init(count: Int) {
        types = [UInt8](prefaulted: 0, count: count)
        names = [UInt32](prefaulted: 0, count: count)
        targets = [UInt32](prefaulted: 0, count: count)
    }
}

/// Division by a divisor fixed at run time (the node field count, to turn every edge's `to_node`
/// into a node ordinal) by one multiplication: a hardware division per edge was a fifth of
/// reading the edges. Exact for every dividend below 2^32 (Lemire, Kaser and Kurz, "Faster
/// remainder by direct computation", 2019: M = ⌈2^64 / d⌉); larger ones are divided.
struct ExactDivisor {
    let divisor: Int
    private let reciprocal: UInt64

    init(_ divisor: Int) {
        precondition(divisor > 0)
        self.divisor = divisor
        // For 1, ⌈2^64 / 1⌉ does not fit: 0 marks "divide".
        reciprocal = divisor == 1 ? 0 : UInt64.max / UInt64(divisor) + 1
    }

    @inline(__always)
    func quotient(_ value: Int) -> Int {
        guard reciprocal != 0, value >= 0, value <= Int(UInt32.max) else { return value / divisor }
        return Int(reciprocal.multipliedFullWidth(by: UInt64(value)).high)
    }
}
