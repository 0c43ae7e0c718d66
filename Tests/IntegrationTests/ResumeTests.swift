import Foundation
import HeapwatchCore
import HeapwatchHistory
import Logging
import Testing
import TestSupport
@testable import HeapwatchDaemon

/// A restarted heapwatchd goes on from the trend its last run had of each process still running:
/// the monitor is seeded with the samples the history database holds (`Monitor.seedHistory`)
/// and replays an instance's own at its first tick. A fixture /proc tree (the process's sizes
/// are written each tick) and a real history file; two monitors stand for the two runs.
@Suite("Resumed after a restart")
struct ResumeAfterRestartTests {
    static let mib: UInt64 = 1 << 20
    static let tick = 5.0
    /// The Unix time the first run starts at.
    static let start: Double = 1_795_564_800

    /// The first run: a 60 MiB/h leak sampled for 40 minutes, each tick recorded in `history` as
    /// heapwatchd's history service records it. Returns its last status row.
    static func firstRun(_ proc: SwapTests.FixtureProc, history: HistoryStore) async throws -> TargetStatus? {
        let clock = ManualClock()
        let monitor = try proc.monitor(clock: clock)
        var row: TargetStatus?
        for step in 0..<(40 * 60 / Int(tick)) {
            let elapsed = Double(step) * tick
            let anonKiB = 300 * 1024 + UInt64(elapsed / 3600 * 60 * 1024) + UInt64(step % 4) * 1024
            try proc.write(rssKiB: anonKiB + 40 * 1024, anonKiB: anonKiB, swapKiB: 0)
            _ = await monitor.tick()
            try history.recordSynchronously(tick: await monitor.historySamples(), at: start + elapsed)
            row = await monitor.statusRows().first { $0.pid == SwapTests.pid }
            clock.advance(by: .seconds(tick))
        }
        return row
    }

    /// The leak is `leaking` at the restarted monitor's first tick, a minute after the first run's
    /// last, and it says so in the log; the same first tick without the history is warming up.
    @Test func aLeakIsLeakingAtTheFirstTickAfterARestart() async throws {
        let directory = try TempDirectory()
        let proc = try SwapTests.FixtureProc(in: directory.path)
        let history = try HistoryStore(directory: directory.path)
        let before = try #require(try await Self.firstRun(proc, history: history))
        #expect(before.state == "leaking")

        let restartedAt = Self.start + 40 * 60 + 60
        let anonKiB = 300 * 1024 + UInt64(41.0 / 60 * 60 * 1024)
        try proc.write(rssKiB: anonKiB + 40 * 1024, anonKiB: anonKiB, swapKiB: 0)
        let records = LogRecords()
        let restarted = try proc.monitor(clock: ManualClock(), logger: Logger(label: "test") { _ in RecordingLogHandler(records: records) })
        let horizon = await restarted.resumeHorizon
        #expect(horizon == 7200)
        await restarted.seedHistory(try await history.recentTicks(since: restartedAt - horizon), wallNow: restartedAt)
        _ = await restarted.tick()
        let row = try #require(await restarted.statusRows().first { $0.pid == SwapTests.pid })
        #expect(row.state == "leaking")
        let slope = try #require(row.slopeBytesPerHour)
        #expect(abs(slope - 60 * Double(Self.mib)) < 15 * Double(Self.mib), "slope \(slope)")
        let resumed = try #require(records.all.first { $0.message.contains("trend resumed from") }, "\(records.all.map(\.message))")
        #expect(resumed.message.contains("480 samples") && resumed.message.hasSuffix(": leaking"), "\(resumed.message)")
        // No second `leak detected` for the same leak: the state did not change.
        #expect(!records.all.contains { $0.message.contains("→ leaking") })

        let fresh = try proc.monitor(clock: ManualClock())
        _ = await fresh.tick()
        #expect(await fresh.statusRows().first { $0.pid == SwapTests.pid }?.state == "warming_up")
    }

    /// A new process with the pid of the recorded one (another start time) is not given its trend.
    @Test func aReusedPidDoesNotInheritTheTrend() async throws {
        let directory = try TempDirectory()
        let proc = try SwapTests.FixtureProc(in: directory.path)
        let history = try HistoryStore(directory: directory.path)
        #expect(try await Self.firstRun(proc, history: history)?.state == "leaking")

        let stat = "\(SwapTests.pid) (node) S 1 " + String(repeating: "0 ", count: 17) + "999999 0 0\n"
        try stat.write(toFile: proc.root + "/\(SwapTests.pid)/stat", atomically: true, encoding: .utf8)
        let restartedAt = Self.start + 40 * 60 + 60
        let restarted = try proc.monitor(clock: ManualClock())
        await restarted.seedHistory(try await history.recentTicks(since: restartedAt - 7200), wallNow: restartedAt)
        _ = await restarted.tick()
        let row = try #require(await restarted.statusRows().first { $0.pid == SwapTests.pid })
        #expect(row.startTime == 999_999)
        #expect(row.state == "warming_up")
    }

    /// A manual capture refused before anything reached the process (as `snapshot` of a process
    /// without a SIGUSR2 handler is), while the process itself took 60 MiB more: live, that is its
    /// own memory (no snapshot residue); the restarted monitor, replaying the history, says the same.
    /// Before the history recorded how a capture ended, the replay counted the 60 MiB as a snapshot's.
    @Test func aRefusedCaptureLeavesNoResidueAcrossARestart() async throws {
        let directory = try TempDirectory()
        let proc = try SwapTests.FixtureProc(in: directory.path)
        let history = try HistoryStore(directory: directory.path)
        let clock = ManualClock()
        let monitor = try proc.monitor(clock: clock)
        var anonKiB: UInt64 = 300 * 1024
        for step in 0..<(30 * 60 / Int(Self.tick)) {
            try proc.write(rssKiB: anonKiB + UInt64(step % 4) * 1024 + 40 * 1024, anonKiB: anonKiB + UInt64(step % 4) * 1024, swapKiB: 0)
            _ = await monitor.tick()
            if step == 200 {
                let job = try await monitor.manualCapture(target: nil, pid: SwapTests.pid).get()
                await monitor.captureFinished(job, outcome: .refused("not started with --heapsnapshot-signal=SIGUSR2"))
                anonKiB += 60 * 1024
            }
            try history.recordSynchronously(tick: await monitor.historySamples(), at: Self.start + Double(step) * Self.tick)
            clock.advance(by: .seconds(Self.tick))
        }
        let live = try #require(await monitor.statusRows().first { $0.pid == SwapTests.pid })
        #expect(live.captureResidueBytes == 0)

        let restartedAt = Self.start + 30 * 60 + 60
        try proc.write(rssKiB: anonKiB + 40 * 1024, anonKiB: anonKiB, swapKiB: 0)
        let restarted = try proc.monitor(clock: ManualClock())
        await restarted.seedHistory(try await history.recentTicks(since: restartedAt - 7200), wallNow: restartedAt)
        _ = await restarted.tick()
        let row = try #require(await restarted.statusRows().first { $0.pid == SwapTests.pid })
        #expect(row.captureResidueBytes == 0, "residue \(row.captureResidueBytes ?? -1) bytes after the restart")
    }
}
