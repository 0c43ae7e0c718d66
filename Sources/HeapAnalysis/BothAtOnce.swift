import Dispatch

/// Runs two independent pieces of work and returns both results: on two threads when `parallel`
/// (the calling thread takes one), else one after the other on the calling thread.
func bothAtOnce<A: Sendable, B: Sendable>(
    parallel: Bool, _ first: @Sendable () -> A, _ second: @Sendable () -> B
) -> (A, B) {
    guard parallel else { return (first(), second()) }
    let slots = PairSlots<A, B>()
    // concurrentPerform returns once both iterations have run: their writes are visible after it.
    DispatchQueue.concurrentPerform(iterations: 2) { index in
        if index == 0 { slots.first = first() } else { slots.second = second() }
    }
    guard let a = slots.first, let b = slots.second else { preconditionFailure("concurrentPerform skipped an iteration") }
    return (a, b)
}

/// Each slot is written by one iteration of `bothAtOnce` and read after both have finished.
private final class PairSlots<A, B>: @unchecked Sendable {
    var first: A?
    var second: B?
}
