@testable import HeapAnalysis
import TestSupport

/// Writes small `.heapsnapshot` JSON by hand, in the Node 20 layout (with `trace_node_id`) or the
/// Node 24 one (without), so tests can check parsing and graph algorithms on known graphs.
struct SnapshotBuilder {
    enum Layout { case node20, node24 }

    struct Node { var type: String; var name: String; var id: Int; var size: Int }
    struct Edge { var from: Int; var type: String; var name: String; var to: Int }

    static let nodeTypes = ["hidden", "array", "string", "object", "code", "closure", "regexp",
                            "number", "native", "synthetic", "concatenated string", "sliced string",
                            "symbol", "bigint", "object shape"]
    static let edgeTypes = ["context", "element", "property", "internal", "hidden", "shortcut", "weak"]

    var nodes: [Node] = []
    var edges: [Edge] = []
    /// (node ordinal, script id, line, column)
    var locations: [(Int, Int, Int, Int)] = []

    @discardableResult
    mutating func node(_ type: String, _ name: String, size: Int, id: Int? = nil) -> Int {
        nodes.append(Node(type: type, name: name, id: id ?? (nodes.count * 2 + 1), size: size))
        return nodes.count - 1
    }

    mutating func edge(_ from: Int, _ type: String, _ name: String, _ to: Int) {
        edges.append(Edge(from: from, type: type, name: name, to: to))
    }

    /// The snapshot read back from a temporary file holding `json(layout:)`.
    func snapshot(layout: Layout = .node20) throws -> HeapSnapshot {
        let directory = try TempDirectory()
        return try HeapSnapshot(contentsOf: directory.write(json(layout: layout), to: "built.heapsnapshot"))
    }

    func json(layout: Layout = .node20) -> String {
        var strings = ["<dummy>"]
        var stringIndex: [String: Int] = ["<dummy>": 0]
        func index(_ text: String) -> Int {
            if let found = stringIndex[text] { return found }
            strings.append(text)
            stringIndex[text] = strings.count - 1
            return strings.count - 1
        }
        let fields = layout == .node20
            ? ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"]
            : ["type", "name", "id", "self_size", "edge_count", "detachedness"]
        var bySource = [[Edge]](repeating: [], count: nodes.count)
        for edge in edges { bySource[edge.from].append(edge) }
        var nodeValues: [Int] = []
        for (ordinal, node) in nodes.enumerated() {
            let edgeCount = bySource[ordinal].count
            nodeValues += [Self.nodeTypes.firstIndex(of: node.type)!, index(node.name), node.id, node.size, edgeCount]
            nodeValues += layout == .node20 ? [0, 0] : [0]
        }
        var edgeValues: [Int] = []
        for ordinal in nodes.indices {
            for edge in bySource[ordinal] {
                let type = Self.edgeTypes.firstIndex(of: edge.type)!
                let name = edge.type == "element" || edge.type == "hidden" ? Int(edge.name)! : index(edge.name)
                edgeValues += [type, name, edge.to * fields.count]
            }
        }
        let locationValues = locations.flatMap { [$0.0 * fields.count, $0.1, $0.2, $0.3] }
        func list(_ values: [String]) -> String {
            "[" + values.map { "\"\($0.replacingOccurrences(of: "\"", with: "\\\""))\"" }.joined(separator: ",") + "]"
        }
        func numbers(_ values: [Int]) -> String { "[" + values.map(String.init).joined(separator: ",") + "]" }
        return """
        {"snapshot":{"meta":{"node_fields":\(list(fields)),\
        "node_types":[\(list(Self.nodeTypes)),"string","number","number","number","number","number"],\
        "edge_fields":["type","name_or_index","to_node"],\
        "edge_types":[\(list(Self.edgeTypes)),"string_or_number","node"],\
        "trace_function_info_fields":["function_id","name","script_name","script_id","line","column"],\
        "trace_node_fields":["id","function_info_index","count","size","children"],\
        "sample_fields":["timestamp_us","last_assigned_id"],\
        "location_fields":["object_index","script_id","line","column"]},\
        "node_count":\(nodes.count),"edge_count":\(edges.count),"trace_function_count":0},
        "nodes":\(numbers(nodeValues)),
        "edges":\(numbers(edgeValues)),
        "trace_function_infos":[],
        "trace_tree":[],
        "samples":[],
        "locations":\(numbers(locationValues)),
        "strings":\(list(strings))}
        """
    }
}
