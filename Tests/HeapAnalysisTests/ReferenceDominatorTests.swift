import HeapwatchTrend
import TestSupport
import Testing
@testable import HeapAnalysis

/// Checks the Semi-NCA dominators against a slow, obviously correct reference: the iterative
/// data-flow algorithm of Cooper, Harvey and Kennedy; on a real Node heap and on random graphs.
struct ReferenceDominatorTests {
    @Test(.enabled(if: Tool.find("node") != nil, "needs node on PATH"))
    func matchesIterativeDataFlowOnANodeHeap() throws {
        let directory = try TempDirectory()
        try Self.expectMatchesReference(HeapSnapshot(contentsOf: NodeSnapshotTests.writeFooSnapshot(in: directory)))
    }

    /// Small graphs dense in what makes dominators hard: cycles, several entries into a cycle,
    /// edges back to the root, self-loops, unreachable nodes, and weak and shortcut edges (which
    /// do not retain, except shortcuts from the root).
    @Test func matchesIterativeDataFlowOnRandomGraphs() throws {
        var random = SplitMix64(seed: 0x0D0_4A7E)
        let types = ["property", "element", "context", "internal", "hidden", "weak", "shortcut"]
        for _ in 0..<300 {
            var b = SnapshotBuilder()
            let count = Int.random(in: 2...40, using: &random)
            b.node("synthetic", "", size: 0)
            for index in 1..<count { b.node("object", "N\(index)", size: Int.random(in: 1...100, using: &random)) }
            let edges = Int.random(in: count / 2...count * 3, using: &random)
            for index in 0..<edges {
                let from = Int.random(in: 0..<count, using: &random)
                // Nodes mostly point forward, as a heap built from the root does, with some back edges.
                let to = Bool.random(using: &random) ? Int.random(in: from..<count, using: &random) : Int.random(in: 0..<count, using: &random)
                b.edge(from, types[Int.random(in: 0..<types.count, using: &random)], "\(index)", to)
            }
            try Self.expectMatchesReference(try b.snapshot(), graph: b)
        }
    }

    static func expectMatchesReference(_ snapshot: HeapSnapshot, graph: SnapshotBuilder? = nil) throws {
        let tree = DominatorTree(snapshot: snapshot)
        let order = Self.reversePostorder(snapshot)
        let reference = Self.referenceDominators(snapshot, order: order)
        var mismatches = 0
        for node in 1..<snapshot.nodeCount where tree.immediateDominator(of: node) != reference[node] {
            mismatches += 1
        }
        #expect(mismatches == 0, "\(mismatches) of \(snapshot.nodeCount) immediate dominators differ\(graph.map { " in \($0.edges)" } ?? "")")
        #expect(tree.reachableCount == order.count)
        // Retained sizes from the reference tree.
        var retained = (0..<snapshot.nodeCount).map { snapshot.selfSize(ofNode: $0) }
        for node in order.reversed() where node != 0 {
            if let dominator = reference[node] { retained[dominator] += retained[node] }
        }
        for node in order { #expect(tree.retainedSize(of: node) == retained[node]) }
        // `dominates` agrees with the reference's dominator chains (on small graphs: every pair).
        guard snapshot.nodeCount <= 64 else { return }
        for node in 0..<snapshot.nodeCount {
            var chain: Set<Int> = reference[node] != nil || node == 0 ? [node] : []
            var up = reference[node]
            while let dominator = up { chain.insert(dominator); up = reference[dominator] }
            for candidate in 0..<snapshot.nodeCount {
                #expect(tree.dominates(candidate, node) == chain.contains(candidate))
            }
        }
    }

    static func reversePostorder(_ snapshot: HeapSnapshot) -> [Int] {
        var visited = [Bool](repeating: false, count: snapshot.nodeCount)
        var postorder: [Int] = []
        var stack: [(node: Int, edge: Int)] = [(0, snapshot.edges(ofNode: 0).lowerBound)]
        visited[0] = true
        while let top = stack.last {
            let range = snapshot.edges(ofNode: top.node)
            var edge = top.edge
            var pushed = false
            while edge < range.upperBound {
                let target = snapshot.target(ofEdge: edge)
                let keeps = snapshot.isRetainingEdge(edge, from: top.node)
                edge += 1
                if keeps && !visited[target] {
                    visited[target] = true
                    stack[stack.count - 1].edge = edge
                    stack.append((target, snapshot.edges(ofNode: target).lowerBound))
                    pushed = true
                    break
                }
            }
            if !pushed {
                postorder.append(top.node)
                stack.removeLast()
            }
        }
        return postorder.reversed()
    }

    /// Cooper–Harvey–Kennedy: iterate idom[b] = intersect of processed predecessors to a fixpoint,
    /// visiting the nodes in `order` (reverse postorder).
    static func referenceDominators(_ snapshot: HeapSnapshot, order: [Int]) -> [Int?] {
        var rank = [Int](repeating: -1, count: snapshot.nodeCount)
        for (index, node) in order.enumerated() { rank[node] = index }
        var predecessors = [[Int]](repeating: [], count: snapshot.nodeCount)
        for source in 0..<snapshot.nodeCount where rank[source] >= 0 {
            for edge in snapshot.edges(ofNode: source) where snapshot.isRetainingEdge(edge, from: source) {
                predecessors[snapshot.target(ofEdge: edge)].append(source)
            }
        }
        var idom = [Int](repeating: -1, count: snapshot.nodeCount)
        idom[0] = 0
        func intersect(_ a: Int, _ b: Int) -> Int {
            var x = a, y = b
            while x != y {
                while rank[x] > rank[y] { x = idom[x] }
                while rank[y] > rank[x] { y = idom[y] }
            }
            return x
        }
        var changed = true
        while changed {
            changed = false
            for node in order.dropFirst() {
                var candidate = -1
                for holder in predecessors[node] where idom[holder] != -1 {
                    candidate = candidate == -1 ? holder : intersect(holder, candidate)
                }
                if candidate != idom[node] {
                    idom[node] = candidate
                    changed = true
                }
            }
        }
        return idom.enumerated().map { $0.offset == 0 || $0.element == -1 ? nil : $0.element }
    }
}
