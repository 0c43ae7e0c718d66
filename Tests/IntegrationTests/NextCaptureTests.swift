import Foundation
import HeapwatchCore
import Testing
import TestSupport
@testable import HeapwatchDaemon

/// `status` says what a leaking process's next automatic snapshot waits for, and a manual
/// `snapshot` refused before it reached the process holds no automatic one back. A fixture /proc
/// tree (sizes written each tick, a 60 MiB/h leak) and the monitor alone: the capture jobs it
/// hands out are finished by hand with the outcomes the capturer gives.
@Suite("The next snapshot")
struct NextCaptureTests {
    static let tick = 5.0

    @Test func statusSaysWhatTheNextSnapshotWaitsForAndARefusedManualOneHoldsNothingBack() async throws {
        let directory = try TempDirectory()
        let proc = try SwapTests.FixtureProc(in: directory.path)
        let clock = ManualClock()
        let monitor = try proc.monitor(clock: clock, capture: "signal")
        var baseline: (job: CaptureJob, elapsed: Double, state: String)?
        for step in 0..<(40 * 60 / Int(Self.tick)) where baseline == nil {
            let elapsed = Double(step) * Self.tick
            let anonKiB = 300 * 1024 + UInt64(elapsed / 3600 * 60 * 1024) + UInt64(step % 4) * 1024
            try proc.write(rssKiB: anonKiB + 40 * 1024, anonKiB: anonKiB, swapKiB: 0)
            let jobs = await monitor.tick()
            if step == 10 {
                // `heapwatchctl snapshot app` of a process without a SIGUSR2 handler: refused, nothing sent.
                let manual = try await monitor.manualCapture(target: "app", pid: nil).get()
                await monitor.captureFinished(manual, outcome: .refused("not started with --heapsnapshot-signal=SIGUSR2"))
            }
            if let job = jobs.first {
                let state = await monitor.statusRows(snapshotCounts: [:]).first { $0.pid == SwapTests.pid }?.state ?? "?"
                baseline = (job, elapsed, state)
            }
            clock.advance(by: .seconds(Self.tick))
        }
        // Without giving the refused snapshot's cooldown back, none would come for an hour after it.
        let first = try #require(baseline, "no automatic capture within 40 minutes of a 60 MiB/h leak")
        #expect(first.job.reason == "baseline")
        #expect(["growing", "leaking"].contains(first.state), "\(first.state) at \(first.elapsed) s")

        func next() async -> NextCapture? {
            await monitor.statusRows(snapshotCounts: [:]).first { $0.pid == SwapTests.pid }?.nextCapture
        }
        let whileRunning = try #require(await next())
        #expect(whileRunning.reason == "follow_up" && whileRunning.wait == "cooldown", "the baseline is under way: \(whileRunning)")
        await monitor.captureFinished(first.job, outcome: .failed("no snapshot within the capture timeout"))
        let retry = try #require(await next())
        #expect(retry.reason == "baseline" && retry.wait == "retry")
        #expect(abs((retry.inSeconds ?? 0) - 300) <= Self.tick, "\(retry)")

        // A manual snapshot that reached the process (failed while writing) holds the next a cooldown.
        let manual = try await monitor.manualCapture(target: "app", pid: nil).get()
        await monitor.captureFinished(manual, outcome: .failed("node exited while writing"))
        let held = try #require(await next())
        #expect(held.reason == "baseline" && held.wait == "cooldown" && held.setting == "1h", "\(held)")
        #expect(abs((held.inSeconds ?? 0) - 3600) <= Self.tick, "\(held)")
        #expect(held.sentence == "next heap snapshot (baseline) in 1h, once the cooldown (1h) since the last capture ends")
    }
}
