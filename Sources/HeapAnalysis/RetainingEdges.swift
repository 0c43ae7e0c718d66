extension HeapSnapshot {
    /// True when `edge` (owned by `source`) keeps its target alive for dominators and distances.
    @inline(__always)
    func isRetainingEdge(_ edge: Int, from source: Int) -> Bool {
        types.isRetaining(edgeTypes[edge], fromRoot: source == 0)
    }
}
