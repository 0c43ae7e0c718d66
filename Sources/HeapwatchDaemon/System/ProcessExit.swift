import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a child process ended.
enum ProcessTermination: Sendable, Equatable {
    /// It exited with this status.
    case exited(Int32)
    /// A signal killed it.
    case signalled(Int32)
}

/// A `Process`'s end, awaited by any number of waiters, with or without a timeout.
final class ProcessExit: @unchecked Sendable {
    private let lock = NSLock()
    /// Guarded by `lock`, as are the two below.
    private var ending: ProcessTermination?
    private var waiters: [Int: CheckedContinuation<ProcessTermination?, Never>] = [:]
    private var nextWaiter = 0
    private let process: Process

    /// Becomes `process`'s termination handler: create it before `process.run()`.
    init(observing process: Process) {
        self.process = process
        process.terminationHandler = { [self] process in
            finish(process.terminationReason == .uncaughtSignal ? .signalled(process.terminationStatus)
                                                                : .exited(process.terminationStatus))
        }
    }

    private func finish(_ ending: ProcessTermination) {
        let waiting = lock.withLock { () -> [CheckedContinuation<ProcessTermination?, Never>] in
            self.ending = ending
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
        waiting.forEach { $0.resume(returning: ending) }
    }

    /// Sends `signal` to the process unless it has already ended: a pid whose end was seen may
    /// belong to another process by now.
    func kill(_ signal: Int32) {
        lock.withLock {
            if ending == nil { _ = Glibc.kill(process.processIdentifier, signal) }
        }
    }

    /// How the process ended, however long that takes: cancelling the waiting task does not end
    /// the wait (kill the process to hurry it).
    func wait() async -> ProcessTermination {
        guard let ending = await next(cancellable: false) else { preconditionFailure("only a cancellable wait ends without an ending") }
        return ending
    }

    /// How the process ended, or nil when it is still running after `timeout` (or the task is cancelled).
    func wait(timeout: Duration) async -> ProcessTermination? {
        await withTaskGroup(of: ProcessTermination?.self) { group in
            group.addTask { await self.next(cancellable: true) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// The ending; nil only for a cancellable wait whose task was cancelled first.
    private func next(cancellable: Bool) async -> ProcessTermination? {
        let id = lock.withLock { () -> Int in
            nextWaiter += 1
            return nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = lock.withLock { () -> ProcessTermination?? in
                    if let ending { return .some(ending) }
                    // Checked under the lock: a cancellation either sees this waiter or is seen here.
                    if cancellable && Task.isCancelled { return .some(nil) }
                    waiters[id] = continuation
                    return .none
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            guard cancellable else { return }
            lock.withLock { waiters.removeValue(forKey: id) }?.resume(returning: nil)
        }
    }
}
