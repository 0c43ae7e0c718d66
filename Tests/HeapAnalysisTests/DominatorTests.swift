import Testing
@testable import HeapAnalysis

@Suite struct DominatorTests {
    /// root → A, B; A, B → C → D → G; A → E ⇢ G (shortcut); A ⇢ F (weak only).
    static func diamond() -> SnapshotBuilder {
        var b = SnapshotBuilder()
        let root = b.node("synthetic", "", size: 0)
        let a = b.node("object", "A", size: 10)
        let bb = b.node("object", "B", size: 20)
        let c = b.node("object", "C", size: 30)
        let d = b.node("object", "D", size: 40)
        let e = b.node("object", "E", size: 50)
        let f = b.node("object", "F", size: 60)
        let g = b.node("object", "G", size: 70)
        b.edge(root, "element", "1", a)
        b.edge(root, "element", "2", bb)
        b.edge(a, "property", "c", c)
        b.edge(bb, "property", "c", c)
        b.edge(c, "property", "d", d)
        b.edge(a, "property", "e", e)
        b.edge(a, "weak", "f", f)
        b.edge(e, "shortcut", "g", g)
        b.edge(d, "property", "g", g)
        return b
    }

    @Test(arguments: [SnapshotBuilder.Layout.node20, .node24])
    func diamondDominatorsAndRetainedSizes(layout: SnapshotBuilder.Layout) throws {
        let snapshot = try Self.diamond().snapshot(layout: layout)
        #expect(snapshot.nodeCount == 8)
        #expect(snapshot.edgeCount == 9)
        #expect(snapshot.name(ofNode: 3) == "C")
        #expect(snapshot.selfSize(ofNode: 7) == 70)
        let tree = DominatorTree(snapshot: snapshot)
        let expectedIdom: [Int?] = [nil, 0, 0, 0, 3, 1, nil, 4]
        for node in 0..<8 {
            #expect(tree.immediateDominator(of: node) == expectedIdom[node], "idom of node \(node)")
        }
        let expectedRetained = [220, 60, 20, 140, 110, 50, 60, 70]
        for node in 0..<8 {
            #expect(tree.retainedSize(of: node) == expectedRetained[node], "retained of node \(node)")
        }
        #expect(tree.reachableCount == 7)
        #expect(!tree.isReachable(6))
        #expect(tree.dominates(3, 7))
        #expect(!tree.dominates(1, 3))
        #expect(tree.dominates(0, 5))

        let distances = Distances(snapshot: snapshot)
        #expect(distances.distance(of: 7) == 4)
        #expect(distances.distance(of: 6) == nil)
        #expect(distances.path(to: 4) == [1, 3, 4])
    }

    /// root → x → y → z → x (a cycle entered at two points): x and z are dominated by the root
    /// only, y by x. Semi-dominator of x differs from its immediate dominator's DFS parent.
    @Test func cycleEnteredTwice() throws {
        var b = SnapshotBuilder()
        let root = b.node("synthetic", "", size: 0)
        let x = b.node("object", "X", size: 1)
        let y = b.node("object", "Y", size: 2)
        let z = b.node("object", "Z", size: 4)
        let w = b.node("object", "W", size: 8)
        b.edge(root, "element", "1", x)
        b.edge(x, "property", "y", y)
        b.edge(y, "property", "z", z)
        b.edge(z, "property", "x", x)
        b.edge(root, "element", "2", z)
        b.edge(z, "property", "w", w)
        let snapshot = try b.snapshot()
        let tree = DominatorTree(snapshot: snapshot)
        #expect(tree.immediateDominator(of: x) == root)
        #expect(tree.immediateDominator(of: y) == x)
        #expect(tree.immediateDominator(of: z) == root)
        #expect(tree.immediateDominator(of: w) == z)
        #expect(tree.retainedSize(of: x) == 3)
        #expect(tree.retainedSize(of: z) == 12)
        #expect(tree.retainedSize(of: root) == 15)
    }

    /// Only the root: it retains itself and dominates itself, nothing else.
    @Test func rootAlone() throws {
        var b = SnapshotBuilder()
        b.node("synthetic", "", size: 5)
        let tree = DominatorTree(snapshot: try b.snapshot())
        #expect(tree.reachableCount == 1)
        #expect(tree.retainedSize(of: 0) == 5)
        #expect(tree.immediateDominator(of: 0) == nil)
        #expect(tree.dominates(0, 0))
    }

    /// A 100,000-long linked list: the iterative DFS and path compression must not overflow.
    @Test func longChainDoesNotRecurse() throws {
        var b = SnapshotBuilder()
        let root = b.node("synthetic", "", size: 0)
        var previous = root
        for _ in 0..<100_000 {
            let next = b.node("object", "Link", size: 1)
            b.edge(previous, "property", "next", next)
            previous = next
        }
        let snapshot = try b.snapshot()
        let tree = DominatorTree(snapshot: snapshot)
        #expect(tree.retainedSize(of: 1) == 100_000)
        #expect(tree.immediateDominator(of: 100_000) == 99_999)
    }
}
