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

    init(path: String, progress: ((Int, Int) -> Void)?) throws {
        let input = try SnapshotInput(path: path)
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
        if try scanner.peekNonSpace() != UInt8(ascii: "}") {
            repeat {
                scanner.context = "a top-level key"
                let key = try scanner.readString()
                try scanner.expect(UInt8(ascii: ":"), "':' after \"\(key)\"")
                scanner.context = "the \(key) section"
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
        try scanner.expect(UInt8(ascii: "["), "'[' to open the nodes array")
        let fieldCount = meta.nodeFieldCount
        let limit = maxJSONSize / (2 * fieldCount) + 1
        let declared = meta.nodeCount ?? 0
        guard declared <= limit else {
            throw scanner.malformed("node_count \(declared) is more than a file of this size can hold")
        }
        var columns = NodeColumns(capacity: declared)
        let roles = meta.nodeRoles
        let typeCount = meta.nodeTypes.count
        var column = 0
        var first = true
        var typeValue = 0, nameValue = 0, idValue = 0, sizeValue = 0, edgeCountValue = 0
        while true {
            let value = try scanner.nextUInt(first: first)
            if value < 0 { break }
            first = false
            switch roles[column] {
            case .type: typeValue = value
            case .name: nameValue = value
            case .id: idValue = value
            case .selfSize: sizeValue = value
            case .edgeCount: edgeCountValue = value
            case .ignored: break
            }
            column += 1
            if column == fieldCount {
                column = 0
                guard typeValue < typeCount else { throw scanner.malformed("node type \(typeValue) is not in meta.node_types") }
                guard nameValue <= UInt32.max, idValue <= UInt32.max else {
                    throw scanner.malformed("node name or id beyond 32 bits")
                }
                guard columns.count < limit, edgeCountValue <= maxJSONSize else {
                    throw scanner.malformed("more nodes or edges than the file can hold")
                }
                columns.append(type: UInt8(typeValue), name: UInt32(nameValue), id: UInt32(idValue),
                               selfSize: sizeValue, edgeCount: edgeCountValue)
            }
        }
        guard column == 0 else { throw scanner.malformed("the nodes array does not hold whole nodes") }
        if let declared = meta.nodeCount, declared != columns.count {
            throw scanner.malformed("nodes array has \(columns.count) nodes, snapshot.node_count says \(declared)")
        }
        guard columns.count > 0 else { throw scanner.malformed("the snapshot has no nodes") }
        nodes = columns
    }

    private mutating func parseEdges() throws {
        guard let meta, let nodes else { throw scanner.malformed("\"edges\" comes before \"nodes\"") }
        try scanner.expect(UInt8(ascii: "["), "'[' to open the edges array")
        let fieldCount = meta.edgeFieldCount
        let total = nodes.firstEdge[nodes.count]
        guard total <= maxJSONSize / (2 * fieldCount) + 1 else {
            throw scanner.malformed("the nodes declare \(total) edges, more than the file can hold")
        }
        var columns = EdgeColumns(count: total)
        let roles = meta.edgeRoles
        let typeCount = meta.edgeTypes.count
        let nodeCount = nodes.count
        var column = 0
        var index = 0
        var first = true
        var typeValue = 0, nameValue = 0, targetValue = 0
        try columns.types.withUnsafeMutableBufferPointer { types in
            try columns.names.withUnsafeMutableBufferPointer { names in
                try columns.targets.withUnsafeMutableBufferPointer { targets in
                    while true {
                        let value = try scanner.nextUInt(first: first)
                        if value < 0 { break }
                        first = false
                        switch roles[column] {
                        case .type: typeValue = value
                        case .nameOrIndex: nameValue = value
                        case .toNode: targetValue = value
                        case .ignored: break
                        }
                        column += 1
                        guard column == fieldCount else { continue }
                        column = 0
                        guard index < total else {
                            throw scanner.malformed("more edges than the nodes' edge_count values add up to (\(total))")
                        }
                        guard typeValue < typeCount else { throw scanner.malformed("edge type \(typeValue) is not in meta.edge_types") }
                        let target = targetValue / meta.nodeFieldCount
                        guard targetValue % meta.nodeFieldCount == 0, target < nodeCount else {
                            throw scanner.malformed("edge to_node \(targetValue) is not a node")
                        }
                        guard nameValue <= UInt32.max else { throw scanner.malformed("edge name beyond 32 bits") }
                        types[index] = UInt8(typeValue)
                        names[index] = UInt32(nameValue)
                        targets[index] = UInt32(target)
                        index += 1
                    }
                }
            }
        }
        guard column == 0 else { throw scanner.malformed("the edges array does not hold whole edges") }
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
        let usable = objectColumn >= 0 && !fields.isEmpty
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
                if usable { locations.append(entry) }
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
            locations: locations.filter { $0.node < nodeCount }, types: types)
    }

    private func missing(_ key: String) -> HeapSnapshotError {
        HeapSnapshotError(path: path, reason: .malformed("no \"\(key)\" section"))
    }
}

extension HeapSnapshot {
    /// Reads a snapshot file (plain JSON or gzip). `progress` gets (bytes read, file size; 0 when
    /// unknown, as for gzip) after each chunk of a few MiB.
    public init(contentsOf path: String, progress: ((Int, Int) -> Void)? = nil) throws {
        var parser = try SnapshotParser(path: path, progress: progress)
        self = try parser.parse()
    }
}

// MARK: - Meta and columns

/// What `snapshot.meta` says about the layout, with columns found by name.
private struct Meta {
    enum NodeRole { case type, name, id, selfSize, edgeCount, ignored }
    enum EdgeRole { case type, nameOrIndex, toNode, ignored }

    var nodeFieldCount: Int
    var edgeFieldCount: Int
    var nodeRoles: [NodeRole]
    var edgeRoles: [EdgeRole]
    var nodeTypes: [String]
    var edgeTypes: [String]
    var locationFields: [String]
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
        nodeFieldCount = nodeFields.count
        edgeFieldCount = edgeFields.count
        nodeRoles = nodeFields.map {
            switch $0 {
            case "type": .type
            case "name": .name
            case "id": .id
            case "self_size": .selfSize
            case "edge_count": .edgeCount
            default: .ignored
            }
        }
        edgeRoles = edgeFields.map {
            switch $0 {
            case "type": .type
            case "name_or_index": .nameOrIndex
            case "to_node": .toNode
            default: .ignored
            }
        }
        self.nodeTypes = nodeTypes
        self.edgeTypes = edgeTypes
        locationFields = meta["location_fields"]?.strings ?? []
        nodeCount = header["node_count"]?.int
        edgeCount = header["edge_count"]?.int
    }
}

private struct NodeColumns {
    var types: [UInt8] = []
    var names: [UInt32] = []
    var ids: [UInt32] = []
    var selfSizes: [UInt32] = []
    var largeSelfSizes: [UInt32: Int] = [:]
    var firstEdge: [Int] = [0]
    var count: Int { types.count }

    init(capacity: Int) {
        types.reserveCapacity(capacity)
        names.reserveCapacity(capacity)
        ids.reserveCapacity(capacity)
        selfSizes.reserveCapacity(capacity)
        firstEdge.reserveCapacity(capacity + 1)
    }

    @inline(__always)
    mutating func append(type: UInt8, name: UInt32, id: UInt32, selfSize: Int, edgeCount: Int) {
        if selfSize >= Int(UInt32.max) {
            largeSelfSizes[UInt32(types.count)] = selfSize
            selfSizes.append(UInt32.max)
        } else {
            selfSizes.append(UInt32(selfSize))
        }
        types.append(type)
        names.append(name)
        ids.append(id)
        firstEdge.append(firstEdge[firstEdge.count - 1] &+ edgeCount)
    }
}

private struct EdgeColumns {
    var types: [UInt8]
    var names: [UInt32]
    var targets: [UInt32]

    init(count: Int) {
        types = [UInt8](repeating: 0, count: count)
        names = [UInt32](repeating: 0, count: count)
        targets = [UInt32](repeating: 0, count: count)
    }
}
