/// Breadth-first distances from the root (node 0) over retaining edges, with the BFS parent of
/// each node: following parents gives a shortest retainer path (through compiled code only when
/// nothing else reaches the node).
public struct Distances: Sendable {
    public static let unreachable = UInt32.max

    let distance: [UInt32]
    let parent: [UInt32]

    public func distance(of node: Int) -> Int? {
        guard !distance.isEmpty else { return nil }
        return distance[node] == Self.unreachable ? nil : Int(distance[node])
    }

    /// True when `node` is closer to a GC root than `other` (false when not computed).
    func isNearer(_ node: Int, than other: Int) -> Bool {
        !distance.isEmpty && distance[node] < distance[other]
    }

    /// Not computed: no distances, no paths (a snapshot only summarized).
    static let notComputed = Distances(distance: [], parent: [])

    private init(distance: [UInt32], parent: [UInt32]) {
        self.distance = distance
        self.parent = parent
    }

    public init(snapshot: HeapSnapshot) {
        let n = snapshot.nodeCount
        var distance = [UInt32](prefaulted: Self.unreachable, count: n)
        var parent = [UInt32](prefaulted: Self.unreachable, count: n)
        var queue = [UInt32](prefaulted: 0, count: n)
        let code = snapshot.types.code
        distance.withUnsafeMutableBufferPointer { distance in
            parent.withUnsafeMutableBufferPointer { parent in
                queue.withUnsafeMutableBufferPointer { queue in
                    distance[0] = 0
                    var tail = 1
                    // Pass 1 leaves out edges from compiled code (deoptimization literals, feedback),
                    // which would give short but meaningless paths; pass 2 walks the queue again
                    // with every retaining edge, for nodes only code reaches.
                    var firstPassEnd = 0
                    for pass in 0..<2 {
                        var head = 0
                        while head < tail {
                            let source = Int(queue[head])
                            head += 1
                            let isCode = snapshot.nodeTypes[source] == code
                            if pass == 0 ? isCode : (head <= firstPassEnd && !isCode) { continue }
                            let next = distance[source] + 1
                            for edge in snapshot.firstEdge[source]..<snapshot.firstEdge[source + 1]
                            where snapshot.isRetainingEdge(edge, from: source) {
                                let target = Int(snapshot.edgeTargets[edge])
                                if distance[target] == Self.unreachable {
                                    distance[target] = next
                                    parent[target] = UInt32(source)
                                    queue[tail] = UInt32(target)
                                    tail += 1
                                }
                            }
                        }
                        firstPassEnd = tail
                    }
                }
            }
        }
        self.distance = distance
        self.parent = parent
    }

    /// Nodes from the root's child down to `node`, or empty when `node` is unreachable.
    public func path(to node: Int) -> [Int] {
        guard !distance.isEmpty, distance[node] != Self.unreachable else { return [] }
        var nodes: [Int] = []
        var current = node
        while current != 0 {
            nodes.append(current)
            current = Int(parent[current])
        }
        return nodes.reversed()
    }
}
