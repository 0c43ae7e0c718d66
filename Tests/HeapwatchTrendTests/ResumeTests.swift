import Testing
@testable import HeapwatchTrend

private let mib = SyntheticTrace.mib

/// The samples of `trace` as an earlier run of heapwatchd recorded them: `capturing` on the ticks
/// from the one a capture began after (`start`) up to the last one before it ended (`end`).
private func recorded(_ samples: [TrendSample], captures: [CaptureTimes] = []) -> [RecordedTrendSample] {
    samples.map { sample in
        RecordedTrendSample(sample, capturing: captures.contains { sample.time >= $0.start && sample.time <= $0.end })
    }
}

/// A restarted heapwatchd replays the samples its last run recorded of a process still running
/// (`TrendTracker.resume`), so the trend goes on where it was instead of warming up for a window.
@Suite("TrendTracker: resumed from recorded samples")
struct ResumeTests {
    /// A 30 MiB/h leak an hour old: resumed from the hour, with a minute's gap while the daemon was
    /// down, it is `leaking` at the first tick after the gap, as a tracker that never stopped is;
    /// a fresh tracker there is warming up.
    @Test func aLeakIsStillLeakingAtTheFirstTickAfterARestart() throws {
        let samples = noisyLeak(hours: 1.5, seed: 3, rate: 30, noise: 1).samples()
        let before = samples.filter { $0.time < 3600 }
        let next = try #require(samples.first { $0.time >= 3660 })

        var live = TrendTracker(policy: TrendPolicy())
        for sample in before { live.record(sample, limits: .none) }
        #expect(live.assessment.state == .leaking)
        let liveNext = live.record(next, limits: .none)

        var resumed = TrendTracker(policy: TrendPolicy())
        let replayed = resumed.resume(from: recorded(before), limits: .none)
        #expect(replayed.state == .leaking)
        let resumedNext = resumed.record(next, limits: .none)
        #expect(resumedNext == liveNext)
        #expect(resumedNext.state == .leaking)

        var fresh = TrendTracker(policy: TrendPolicy())
        #expect(fresh.record(next, limits: .none).state == .warmingUp)
    }

    /// A flat process whose capture at 30 minutes left 150 MiB resident: the samples recorded as
    /// captured are left out and the step spliced, as it was live; replayed without the marks, the
    /// step would be read as the process's own memory.
    @Test func aRecordedCaptureIsSplicedAsItWasLive() throws {
        let step = 150 * mib
        let capture = CaptureTimes(start: 1800, end: 1805)
        var samples = noisyLeak(hours: 1.1, seed: 5, rate: 0, noise: 1).samples()
        for index in samples.indices where samples[index].time > capture.start { samples[index].anonBytes += step }
        let before = samples.filter { $0.time < 3600 }
        let next = try #require(samples.first { $0.time >= 3600 })

        var live = TrendTracker(policy: TrendPolicy())
        for sample in before {
            live.record(sample, limits: .none)
            if sample.time == capture.start { live.captureStarted(at: sample.time) }
            if sample.time == capture.end { live.captureEnded(at: sample.time + 1, touched: true) }
        }
        let liveNext = live.record(next, limits: .none)
        #expect(liveNext.captureResidueBytes > 0.9 * step)

        var resumed = TrendTracker(policy: TrendPolicy())
        resumed.resume(from: recorded(before, captures: [capture]), limits: .none)
        let resumedNext = resumed.record(next, limits: .none)
        #expect(resumedNext.state == liveNext.state)
        #expect(resumedNext.state == .ok)
        #expect(abs(resumedNext.captureResidueBytes - liveNext.captureResidueBytes) < 0.05 * step,
                "residue \(resumedNext.captureResidueBytes / mib) MiB against \(liveNext.captureResidueBytes / mib) live")

        var unmarked = TrendTracker(policy: TrendPolicy())
        unmarked.resume(from: recorded(before), limits: .none)
        #expect(unmarked.record(next, limits: .none).captureResidueBytes == 0)
    }

    /// The daemon stopped in the middle of a capture (its last samples are marked captured): the
    /// capture ends at the last of them, and the step is measured from the samples that come
    /// after the restart, before the trend goes on — a flat process does not turn `growing`.
    @Test func aCaptureTheDaemonStoppedInIsSplicedFromTheSamplesAfterTheRestart() throws {
        let step = 150 * mib
        let capture = CaptureTimes(start: 3590, end: 3595)
        var samples = noisyLeak(hours: 2, seed: 8, rate: 0, noise: 1).samples()
        for index in samples.indices where samples[index].time > capture.start { samples[index].anonBytes += step }
        let before = samples.filter { $0.time <= capture.end }

        var resumed = TrendTracker(policy: TrendPolicy())
        resumed.resume(from: recorded(before, captures: [capture]), limits: .none)
        var states: Set<TrendState> = []
        var first: TrendAssessment?
        var last: TrendAssessment?
        for sample in samples where sample.time >= 3660 {
            let a = resumed.record(sample, limits: .none)
            if first == nil { first = a }
            last = a
            states.insert(a.state)
        }
        #expect(try #require(first).trendPaused)
        #expect(try #require(last).captureResidueBytes > 0.9 * step)
        #expect(states.isDisjoint(with: [.growing, .leaking]), "states after the restart: \(states)")
    }

    /// A capture refused before anything was sent (no SIGUSR2 handler, no headroom) left no step:
    /// live, the 60 MiB the process itself allocated just then is its own memory, not a snapshot's.
    /// Replayed, the sample after the refusal says so (`captureEndedUntouched`), whether the refusal
    /// came between two ticks or one tick into the capture; before that flag the replay measured the
    /// process's own step as a snapshot's residue (the case seen live: 6.9 MiB on a warming-up app).
    @Test(arguments: [5.0, 7.0]) func aRefusedCaptureIsNoStepWhenReplayed(refusedAfter: Double) throws {
        let step = 60 * mib
        let begin = 1800.0
        var samples = noisyLeak(hours: 1.1, seed: 11, rate: 0, noise: 1).samples()
        for index in samples.indices where samples[index].time > begin { samples[index].anonBytes += step }
        let before = samples.filter { $0.time < 3600 }
        let next = try #require(samples.first { $0.time >= 3600 })

        var live = TrendTracker(policy: TrendPolicy())
        var marks: [RecordedTrendSample] = []
        var running = false, begunSince = false, refusedSince = false
        for sample in before {
            // What the daemon records: the flags gathered since the sample before.
            marks.append(RecordedTrendSample(sample, capturing: running || begunSince, captureEndedUntouched: refusedSince))
            begunSince = false
            refusedSince = false
            live.record(sample, limits: .none)
            if sample.time == begin { live.captureStarted(at: begin); running = true; begunSince = true }
            if running, sample.time + 5 > begin + refusedAfter {
                live.captureEnded(at: begin + refusedAfter, touched: false)
                running = false
                refusedSince = true
            }
        }
        let liveNext = live.record(next, limits: .none)
        #expect(liveNext.captureResidueBytes == 0)

        var resumed = TrendTracker(policy: TrendPolicy())
        resumed.resume(from: marks, limits: .none)
        let resumedNext = resumed.record(next, limits: .none)
        #expect(resumedNext.captureResidueBytes == 0, "residue \(resumedNext.captureResidueBytes / mib) MiB")
        #expect(resumedNext.state == liveNext.state)

        var flagless = TrendTracker(policy: TrendPolicy())
        flagless.resume(from: marks.map { RecordedTrendSample($0.sample, capturing: $0.capturing) }, limits: .none)
        #expect(flagless.record(next, limits: .none).captureResidueBytes > 0.5 * step, "the test tells the flag's work")
    }
}
