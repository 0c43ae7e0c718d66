import Testing
@testable import HeapAnalysis

/// Checks the Lengauer–Tarjan dominators on a real Node heap against a slow, obviously correct
/// reference: the iterative data-flow algorithm of Cooper, Harvey and Kennedy.
@Suite(.enabled(if: ProcessRunner.find("node") != nil, "needs node on PATH"))
struct ReferenceDominatorTests {
    @Test func matchesIterativeDataFlowOnANodeHeap() throws {
        let directory = try TemporaryDirectory()
        let snapshot = try HeapSnapshot(contentsOf: NodeSnapshotTests.writeFooSnapshot(in: directory))
        let tree = DominatorTree(snapshot: snapshot)
        let order = Self.reversePostorder(snapshot)
        let reference = Self.referenceDominators(snapshot, order: order)
        var mismatches = 0
        for node in 1..<snapshot.nodeCount where tree.immediateDominator(of: node) != reference[node] {
            mismatches += 1
        }
        #expect(mismatches == 0, "\(mismatches) of \(snapshot.nodeCount) immediate dominators differ")
        // Retained sizes from the reference tree.
        var retained = (0..<snapshot.nodeCount).map { snapshot.selfSize(ofNode: $0) }
        for node in order.reversed() where node != 0 {
            if let dominator = reference[node] { retained[dominator] += retained[node] }
        }
        for node in order { #expect(tree.retainedSize(of: node) == retained[node]) }
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
