/// Immediate dominators and retained sizes of a snapshot's nodes, from the root (node 0), by
/// Semi-NCA: Lengauer–Tarjan's semi-dominators (path compression, no recursion: a million-long
/// linked list is fine), then each immediate dominator as the nearest common ancestor of the DFS
/// parent and the semi-dominator — no buckets, and a third fewer arrays than Lengauer–Tarjan.
public struct DominatorTree: Sendable {
    /// Marks nodes without a dominator: the root and nodes the root cannot reach.
    public static let none = UInt32.max

    /// Immediate dominator of each node, or `none`.
    let idom: [UInt32]
    /// Bytes freed if the node were gone: its self size plus that of all nodes it dominates.
    let retained: [Int]
    /// Position of each node in a pre-order walk of the dominator tree; the subtree of `n` is
    /// `preorder[n] ..< preorder[n] + subtreeSize[n]`. Unreachable nodes get `none`.
    let preorder: [UInt32]
    let subtreeSize: [UInt32]
    /// Number of nodes reachable from the root.
    public let reachableCount: Int

    public func immediateDominator(of node: Int) -> Int? {
        idom[node] == Self.none ? nil : Int(idom[node])
    }

    public func retainedSize(of node: Int) -> Int { retained[node] }

    public func isReachable(_ node: Int) -> Bool { preorder[node] != Self.none }

    /// True when `dominator` is `node` or lies on every path from the root to `node`.
    public func dominates(_ dominator: Int, _ node: Int) -> Bool {
        let start = preorder[dominator], position = preorder[node]
        guard start != Self.none, position != Self.none else { return false }
        return position >= start && position - start < subtreeSize[dominator]
    }

    /// Memory at the peak, on top of the snapshot: 36 bytes per node during the search, then 28
    /// per node plus 4 per retaining edge that points back in DFS order.
    public init(snapshot: HeapSnapshot) {
        let n = snapshot.nodeCount
        // DFS numbers start at 1; 0 means "not visited" / "no ancestor".
        var number = [UInt32](prefaulted: 0, count: n)
        var vertex = [UInt32](prefaulted: 0, count: n + 1)
        // DFS parent of each vertex (read by steps 2 and 3) until step 3 replaces it by the
        // immediate dominator, in increasing DFS order: the walk for w climbs from its parent
        // through vertices before w, which hold their immediate dominators by then.
        var dom = [UInt32](prefaulted: 0, count: n + 1)
        var count = 0
        // Semi-dominators start as each vertex's smallest-numbered holder (its DFS parent or one
        // before it: no eval needed, see `laterHolders`); the search sets them as it meets each
        // edge, and counts the holders numbered after each vertex (`first[w + 1]`), so one pass
        // over the edges is saved.
        var semi = [UInt32](prefaulted: 0, count: n + 1)
        var first = [Int](prefaulted: 0, count: n + 2)

        // 1. Iterative depth-first search over retaining edges.
        let types = snapshot.types
        number.withUnsafeMutableBufferPointer { number in
        vertex.withUnsafeMutableBufferPointer { vertex in
        dom.withUnsafeMutableBufferPointer { parent in
        semi.withUnsafeMutableBufferPointer { semi in
        first.withUnsafeMutableBufferPointer { later in
        snapshot.firstEdge.withUnsafeBufferPointer { firstEdge in
        snapshot.edgeTargets.withUnsafeBufferPointer { targets in
        snapshot.edgeTypes.withUnsafeBufferPointer { edgeTypes in
            // The stack holds (node, next edge to look at); at most one entry per reachable node.
            let stackNode = UnsafeMutablePointer<UInt32>.allocate(capacity: n + 1)
            let stackEdge = UnsafeMutablePointer<Int>.allocate(capacity: n + 1)
            defer {
                stackNode.deallocate()
                stackEdge.deallocate()
            }
            var depth = 1
            stackNode[0] = 0
            stackEdge[0] = firstEdge[0]
            count = 1
            number[0] = 1
            vertex[1] = 0
            semi[1] = 1
            while depth > 0 {
                let source = Int(stackNode[depth - 1])
                let holder = number[source]
                var edge = stackEdge[depth - 1]
                let end = firstEdge[source + 1]
                let fromRoot = source == 0
                var pushed = false
                while edge < end {
                    let target = Int(targets[edge])
                    let type = edgeTypes[edge]
                    edge += 1
                    guard types.isRetaining(type, fromRoot: fromRoot) else { continue }
                    let w = Int(number[target])
                    if w == 0 {
                        count += 1
                        number[target] = UInt32(count)
                        vertex[count] = UInt32(target)
                        parent[count] = holder
                        semi[count] = holder
                        stackEdge[depth - 1] = edge
                        stackNode[depth] = UInt32(target)
                        stackEdge[depth] = firstEdge[target]
                        depth += 1
                        pushed = true
                        break
                    }
                    if holder > w {
                        later[w + 1] += 1
                    } else if holder < semi[w] {
                        semi[w] = holder
                    }
                }
                if !pushed { depth -= 1 }
            }
        }}}}}}}}
        reachableCount = count
        let holders = Self.laterHolders(snapshot, number: number, count: count, first: &first)
        var predecessors: (first: [Int], numbers: [UInt32])? = (first, holders)
        first = []
        // Only the holder lists needed node ordinals' DFS numbers: freed before the next arrays
        // are made, it is not part of the peak.
        number = []

        // 2. Semi-dominators, in DFS numbers: Lengauer–Tarjan's simple version (eval with path
        // compression over the forest of processed vertices, linked to their DFS parents).
        var label = [UInt32](prefaulted: 0, count: count + 1)
        var ancestor = [UInt32](prefaulted: 0, count: count + 1)
        for k in 0...count { label[k] = UInt32(k) }
        semi.withUnsafeMutableBufferPointer { semi in
        label.withUnsafeMutableBufferPointer { label in
        ancestor.withUnsafeMutableBufferPointer { ancestor in
        dom.withUnsafeMutableBufferPointer { dom in
        predecessors!.numbers.withUnsafeBufferPointer { holders in
        predecessors!.first.withUnsafeBufferPointer { firstHolder in
            var path: [UInt32] = []

            /// The vertex with the smallest semi-dominator on the compressed forest path to `v`.
            func eval(_ v: UInt32) -> UInt32 {
                if ancestor[Int(v)] == 0 { return v }
                var x = v
                while ancestor[Int(ancestor[Int(x)])] != 0 {
                    path.append(x)
                    x = ancestor[Int(x)]
                }
                while let y = path.popLast() {
                    let a = ancestor[Int(y)]
                    if semi[Int(label[Int(a)])] < semi[Int(label[Int(y)])] { label[Int(y)] = label[Int(a)] }
                    ancestor[Int(y)] = ancestor[Int(a)]
                }
                return label[Int(v)]
            }

            if count >= 2 {
                for w in stride(from: count, through: 2, by: -1) {
                    var best = semi[w]
                    for index in firstHolder[w]..<firstHolder[w + 1] {
                        let candidate = semi[Int(eval(holders[index]))]
                        if candidate < best { best = candidate }
                    }
                    semi[w] = best
                    ancestor[w] = dom[w]  // link to the DFS parent
                }
                // 3. Immediate dominators (Semi-NCA): the nearest common ancestor, in the dominator
                // tree built so far, of the DFS parent and the semi-dominator — walking up from the
                // parent to the first vertex numbered at most semi[w]. Increasing order, so every
                // vertex above w already has its immediate dominator.
                for w in 2...count {
                    var d = dom[w]
                    while d > semi[w] { d = dom[Int(d)] }
                    dom[w] = d
                }
            }
            dom[1] = 0
        }}}}}}
        predecessors = nil
        semi = []
        label = []
        ancestor = []

        // 4. Back to node ordinals; retained sizes bottom-up (a dominator has a smaller DFS number).
        var retained = [Int](prefaulted: 0, count: n)
        var subtree = [UInt32](prefaulted: 0, count: n)
        for node in 0..<n { retained[node] = snapshot.selfSize(ofNode: node) }
        for w in stride(from: count, through: 1, by: -1) {
            let node = Int(vertex[w])
            subtree[node] += 1
            if w >= 2 {
                let dominator = Int(vertex[Int(dom[w])])
                retained[dominator] &+= retained[node]
                subtree[dominator] += subtree[node]
            }
        }

        // 5. Immediate dominators by node ordinal, and pre-order positions: each child gets the
        // next free block inside its dominator's.
        var idom = [UInt32](prefaulted: Self.none, count: n)
        var preorder = [UInt32](prefaulted: Self.none, count: n)
        var nextFree = [UInt32](prefaulted: 0, count: n)
        preorder[0] = 0
        nextFree[0] = 1
        for w in stride(from: 2, through: count, by: 1) {
            let node = Int(vertex[w])
            let dominator = Int(vertex[Int(dom[w])])
            idom[node] = UInt32(dominator)
            preorder[node] = nextFree[dominator]
            nextFree[dominator] += subtree[node]
            nextFree[node] = preorder[node] + 1
        }
        self.idom = idom
        self.retained = retained
        self.preorder = preorder
        self.subtreeSize = subtree
    }

    /// For each DFS number `w` (1…count), the DFS numbers of the reachable nodes numbered after
    /// `w` that hold a retaining edge to it: `numbers[first[w] ..< first[w + 1]]`; `first` comes
    /// in with the search's count of them in `first[w + 1]`. A holder numbered before `w` is not
    /// listed: it is not processed when `w` is, so its eval is itself and its semi-dominator its
    /// own number; the search lowered `semi[w]` to the smallest of them. The DFS tree's own edges
    /// go forward, so the lists leave out a node's worth of entries at least: 11.7 million entries
    /// against 17.2 million edges on a 5.2-million-node Node heap.
    private static func laterHolders(_ snapshot: HeapSnapshot, number: [UInt32], count: Int,
                                     first: inout [Int]) -> [UInt32] {
        let types = snapshot.types
        var numbers: [UInt32] = []
        number.withUnsafeBufferPointer { number in
        snapshot.firstEdge.withUnsafeBufferPointer { firstEdge in
        snapshot.edgeTargets.withUnsafeBufferPointer { targets in
        snapshot.edgeTypes.withUnsafeBufferPointer { edgeTypes in
            first.withUnsafeMutableBufferPointer { first in
                // Targets are reachable from a reachable source, so slot 0 ("not visited") stays 0.
                for w in 0...count { first[w + 1] += first[w] }
            }
            numbers = [UInt32](prefaulted: 0, count: first[count + 1])
            numbers.withUnsafeMutableBufferPointer { numbers in
            first.withUnsafeMutableBufferPointer { first in
                for source in 0..<snapshot.nodeCount where number[source] != 0 {
                    let holder = number[source]
                    for edge in firstEdge[source]..<firstEdge[source + 1] {
                        guard types.isRetaining(edgeTypes[edge], fromRoot: source == 0) else { continue }
                        let w = Int(number[Int(targets[edge])])
                        guard holder > w else { continue }
                        numbers[first[w]] = holder
                        first[w] += 1
                    }
                }
                // first[w] now ends w's group, where w + 1 starts: shift back by one.
                for w in stride(from: count + 1, to: 0, by: -1) { first[w] = first[w - 1] }
                first[0] = 0
            }}
        }}}}
        return numbers
    }
}
