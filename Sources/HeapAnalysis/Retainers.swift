/// The reverse of a snapshot's edges (CSR): for each node, the nodes holding an edge to it.
/// Only edges that keep objects alive are included: weak edges never, shortcut edges only from
/// the root (V8 adds shortcuts as a view, the real reference is elsewhere).
public struct Retainers: Sendable {
    /// `holders[first[n] ..< first[n + 1]]` retain node `n`; one entry per edge.
    let first: [Int]
    let holders: [UInt32]

    public func retainers(of node: Int) -> ArraySlice<UInt32> { holders[first[node]..<first[node + 1]] }
}

extension HeapSnapshot {
    /// True when `edge` (owned by `source`) keeps its target alive for dominators and distances.
    @inline(__always)
    func isRetainingEdge(_ edge: Int, from source: Int) -> Bool {
        let type = edgeTypes[edge]
        return type != types.weakEdge && (type != types.shortcutEdge || source == 0)
    }

    /// Builds the retainer index: two passes over the edges, 4 bytes per edge plus 8 per node.
    public func retainers() -> Retainers {
        let nodeCount = self.nodeCount
        var first = [Int](repeating: 0, count: nodeCount + 1)
        first.withUnsafeMutableBufferPointer { first in
            for source in 0..<nodeCount {
                for edge in firstEdge[source]..<firstEdge[source + 1] where isRetainingEdge(edge, from: source) {
                    first[Int(edgeTargets[edge]) + 1] += 1
                }
            }
            for node in 0..<nodeCount { first[node + 1] += first[node] }
        }
        // Fill using first[t] as the cursor of node t; afterwards first[t] is where t + 1 starts,
        // so shifting by one restores the offsets without a second array.
        var holders = [UInt32](repeating: 0, count: first[nodeCount])
        holders.withUnsafeMutableBufferPointer { holders in
            first.withUnsafeMutableBufferPointer { first in
                for source in 0..<nodeCount {
                    for edge in firstEdge[source]..<firstEdge[source + 1] where isRetainingEdge(edge, from: source) {
                        let target = Int(edgeTargets[edge])
                        holders[first[target]] = UInt32(source)
                        first[target] += 1
                    }
                }
                for node in stride(from: nodeCount, to: 0, by: -1) { first[node] = first[node - 1] }
                first[0] = 0
            }
        }
        return Retainers(first: first, holders: holders)
    }
}
