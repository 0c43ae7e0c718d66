import Foundation
import HeapwatchHistory
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A real process writes ticks and is SIGKILLed mid-run: every tick it reported committed must be
/// in the database when it is opened again.
@Suite struct WriterKillTests {
    @Test(.timeLimit(.minutes(2)))
    func everyCommittedTickSurvivesSIGKILL() async throws {
        let dir = try TempDirectory()
        let total = 1_000_000
        let writer = try Child(Tool.buildDirectory + "/heapwatch-history-writer", [dir.path, "\(total)", "\(Int(midnight))"])
        func committed(_ line: String) -> Int? { Int(line.dropFirst("committed ".count)) }
        try writer.stdout.waitForLine(timeout: 30) { (committed($0) ?? -1) >= 300 }
        writer.signal(SIGKILL)
        // A SIGKILLed process dies only once the I/O it is in finishes: a WAL checkpoint's fsync on a
        // disk busy with other tests' snapshots can take seconds (CI once saw its output still open
        // 10 s after the kill). Wait for the death first, generously; the pipe's end follows it.
        let pid = writer.pid
        do { _ = try writer.waitForExit(timeout: 45) } catch {
            throw TestFailure("the writer outlived SIGKILL by 45 s: \(processState(pid))")
        }
        // Lines already written before the kill still count: the tick was committed before its line.
        let lastCommitted = try writer.stdout.waitForEnd(timeout: 10).compactMap(committed).max() ?? -1
        #expect(writer.process.terminationReason == .uncaughtSignal && writer.process.terminationStatus == SIGKILL)

        let (store, aside) = try HistoryStore.openRecovering(directory: dir.path, now: midnight)
        #expect(aside == nil)
        let reply = try await store.query(target: "api", since: midnight, until: midnight + Double(total), maxPoints: total)
        let recorded = reply.samples.map { Int($0.rssBytes) - 1_000_000 }
        // All reported ticks, in order, no hole; at most one more (committed, killed before it printed).
        #expect(recorded.count >= lastCommitted + 1 && recorded.count <= lastCommitted + 2)
        #expect(recorded == Array(0..<recorded.count))
        #expect(recorded.count < total, "the writer was meant to be killed mid-run")
    }
}

/// `state wchan` of a live process, for a failure message.
private func processState(_ pid: Int32) -> String {
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? "(gone)"
    let wchan = (try? String(contentsOfFile: "/proc/\(pid)/wchan", encoding: .utf8)) ?? "?"
    let state = stat.split(separator: ")").last?.split(separator: " ").first.map(String.init) ?? "?"
    return "state \(state), wchan \(wchan)"
}
