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
        let (directory, proc, clock, monitor) = try Self.fixture(targetKeys: #"capture = "signal""#)
        let first = try await Self.firstAutomaticCapture(proc, monitor, clock) { step in
            guard step == 10 else { return }
            // `heapwatchctl snapshot app` of a process without a SIGUSR2 handler: refused, nothing sent.
            let manual = try await monitor.manualCapture(target: "app", pid: nil).get()
            await monitor.captureFinished(manual, outcome: .refused("not started with --heapsnapshot-signal=SIGUSR2"))
        }
        // Without giving the refused snapshot's cooldown back, none would come for an hour after it.
        #expect(first.job.reason == "baseline")
        #expect(["growing", "leaking"].contains(first.state), "\(first.state) at \(first.elapsed) s")
        #expect(first.elapsed < 30 * 60)

        func next() async -> NextCapture? { await Self.nextCapture(monitor) }
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
        withExtendedLifetime(directory) {}  // the fixture /proc lives in it
    }

    /// With `max_captures_per_day = 1`, the follow-up a 10 min cooldown would allow waits for the
    /// day's one automatic capture to be 24 h old.
    @Test func theDailyCapHoldsTheNextSnapshotLongerThanTheCooldown() async throws {
        let (directory, proc, clock, monitor) = try Self.fixture(targetKeys: """
            capture = "signal"
            cooldown = "10m"
            max_captures_per_day = 1
            """)
        let first = try await Self.firstAutomaticCapture(proc, monitor, clock) { _ in }
        #expect(first.job.reason == "baseline")
        await monitor.captureFinished(first.job, outcome: Self.stored(first.job, at: directory.file("x.heapsnapshot")))
        let held = try #require(await Self.nextCapture(monitor))
        #expect(held.reason == "follow_up" && held.wait == "daily_cap" && held.setting == "1", "\(held)")
        #expect(abs((held.inSeconds ?? 0) - 86400) <= Self.tick, "\(held)")
    }

    /// A leak of 1.2 GiB/h towards `rss_max = 600MiB`: the process would be over its limit about
    /// 13 minutes after it starts, long before a 1 h cooldown ends. Both snapshots of the episode
    /// come before that, the second halfway from the first to the forecast crash, and `status` says
    /// so between them.
    @Test func aFastLeakGetsItsSecondSnapshotBeforeTheCrash() async throws {
        let (directory, proc, clock, monitor) = try Self.fixture(targetKeys: """
            capture = "signal"
            rss_max = "600MiB"
            """)
        let limitKiB: UInt64 = 600 * 1024
        var captures: [(reason: String, elapsed: Double, rssKiB: UInt64)] = []
        var waits: [String] = []
        for step in 0..<(20 * 60 / Int(Self.tick)) {
            let elapsed = Double(step) * Self.tick
            let anonKiB = 300 * 1024 + UInt64(elapsed / 3600 * 1200 * 1024) + UInt64(step % 4) * 1024
            let rssKiB = anonKiB + 40 * 1024
            if rssKiB >= limitKiB { break }
            try proc.write(rssKiB: rssKiB, anonKiB: anonKiB, swapKiB: 0)
            for job in await monitor.tick() {
                captures.append((job.reason, elapsed, rssKiB))
                await monitor.captureFinished(job, outcome: Self.stored(job, at: directory.file("\(step).heapsnapshot")))
            }
            if captures.count == 1, let next = await Self.nextCapture(monitor) { waits.append(next.wait) }
            clock.advance(by: .seconds(Self.tick))
        }
        try #require(captures.count == 2, "captures before the limit: \(captures)")
        #expect(captures[1].elapsed - captures[0].elapsed >= 120, "\(captures)")
        #expect(captures[1].rssKiB < limitKiB * 95 / 100, "the second came with room left: \(captures)")
        #expect(Set(waits) == ["before_crash"], "\(waits)")
    }

    /// Ticks a 60 MiB/h leak on the fixture until the monitor hands out an automatic capture
    /// (at most 40 minutes); `each` runs after each tick with its step.
    static func firstAutomaticCapture(_ proc: SwapTests.FixtureProc, _ monitor: Monitor<ManualClock>, _ clock: ManualClock,
                                      each: (Int) async throws -> Void) async throws -> (job: CaptureJob, elapsed: Double, state: String) {
        for step in 0..<(40 * 60 / Int(tick)) {
            let elapsed = Double(step) * tick
            let anonKiB = 300 * 1024 + UInt64(elapsed / 3600 * 60 * 1024) + UInt64(step % 4) * 1024
            try proc.write(rssKiB: anonKiB + 40 * 1024, anonKiB: anonKiB, swapKiB: 0)
            let jobs = await monitor.tick()
            try await each(step)
            if let job = jobs.first {
                let state = await monitor.statusRows().first { $0.pid == SwapTests.pid }?.state ?? "?"
                return (job, elapsed, state)
            }
            clock.advance(by: .seconds(tick))
        }
        throw FixtureError("no automatic capture within 40 minutes of a 60 MiB/h leak")
    }

    /// A fixture /proc of one process, a manual clock, and a monitor on them with `targetKeys`.
    static func fixture(targetKeys: String) throws -> (TempDirectory, SwapTests.FixtureProc, ManualClock, Monitor<ManualClock>) {
        let directory = try TempDirectory()
        let proc = try SwapTests.FixtureProc(in: directory.path)
        let clock = ManualClock()
        return (directory, proc, clock, try proc.monitor(clock: clock, targetKeys: targetKeys))
    }

    /// The outcome the capturer gives when it stored `job`'s snapshot at `path`.
    static func stored(_ job: CaptureJob, at path: String) -> CaptureOutcome {
        let manifest = SnapshotManifest(target: "app", pid: SwapTests.pid, startTime: job.identity.startTime, reason: job.reason,
                                        rssBytes: 1, anonBytes: 1, slopeBytesPerHour: nil, bytes: 1, originalBytes: 1, compressed: false,
                                        file: String(path.split(separator: "/").last ?? ""), sha256: "", method: "signal",
                                        time: "2026-12-07T00:00:00Z", originalPath: "")
        return .stored(path: path, manifest: manifest)
    }

    static func nextCapture(_ monitor: Monitor<ManualClock>) async -> NextCapture? {
        await monitor.statusRows().first { $0.pid == SwapTests.pid }?.nextCapture
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
