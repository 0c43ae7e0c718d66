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
    @Test(.timeLimit(.minutes(1)))
    func everyCommittedTickSurvivesSIGKILL() async throws {
        let dir = try TempDirectory()
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: Executables.path("heapwatch-history-writer"))
        let total = 1_000_000
        writer.arguments = [dir.path, "\(total)", "\(Int(midnight))"]
        let output = Pipe()
        writer.standardOutput = output
        try writer.run()
        defer { if writer.isRunning { kill(writer.processIdentifier, SIGKILL); writer.waitUntilExit() } }

        var reader = LineReader(fd: output.fileHandleForReading.fileDescriptor)
        let deadline = monotonicSeconds() + 30
        var lastCommitted = -1
        while lastCommitted < 300, let line = reader.next(deadline: deadline) {
            lastCommitted = Int(line.dropFirst("committed ".count)) ?? lastCommitted
        }
        #expect(lastCommitted >= 300, "the writer reported only \(lastCommitted + 1) ticks in 30 s")
        #expect(kill(writer.processIdentifier, SIGKILL) == 0)
        // Lines already written before the kill still count: the tick was committed before its line.
        while let line = reader.next(deadline: monotonicSeconds() + 10) {
            lastCommitted = Int(line.dropFirst("committed ".count)) ?? lastCommitted
        }
        writer.waitUntilExit()
        #expect(writer.terminationReason == .uncaughtSignal && writer.terminationStatus == SIGKILL)

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
