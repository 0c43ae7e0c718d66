import Synchronization

/// Upper bounds of each target's raw-sample and rollup row counts, kept in memory so that `prune`
/// counts a target's rows against the caps only when they may have been reached: at the defaults a
/// target sampled every 5 s has ~17,000 raw rows a day against a cap of 100,000, and without the
/// bound every prune (once a minute) would walk them all, for every target, holding the write lock.
///
/// A target without a bound (after a start, or after a failed write) is counted at the next prune.
/// Rows another process adds to the same file are not seen: the file has one writer, heapwatchd.
final class RowBounds: Sendable {
    struct Bound: Equatable {
        var raw: Int
        var rollup: Int
    }

    private let bounds = Mutex<[Int64: Bound]>([:])

    func bound(of target: Int64) -> Bound? { bounds.withLock { $0[target] } }

    func set(_ target: Int64, _ bound: Bound) { bounds.withLock { $0[target] = bound } }

    func forget(_ target: Int64) { _ = bounds.withLock { $0.removeValue(forKey: target) } }

    func forgetAll() { bounds.withLock { $0.removeAll() } }

    /// One raw sample inserted: one more raw row, and at most one more rollup row once folded.
    func added(to target: Int64) {
        bounds.withLock { bounds in
            bounds[target]?.raw += 1
            bounds[target]?.rollup += 1
        }
    }
}
