import Testing
import HeapwatchTrend

@Suite("CapturePlanner: three snapshots per leak episode, spaced by cooldown")
struct CapturePlannerTests {
    let policy = TrendPolicy(captureBefore: 1800, cooldown: 3600, recovery: 7200, retryDelay: 300)

    func assessment(_ state: TrendState, eta: Double? = nil) -> TrendAssessment {
        TrendAssessment(state: state, etaSeconds: eta)
    }

    @Test func calmStatesNeverCapture() {
        var planner = CapturePlanner(policy: policy)
        for (k, state) in [TrendState.warmingUp, .ok, .bursty].enumerated() {
            #expect(planner.decide(assessment(state, eta: 10), now: Double(k)) == nil)
        }
        #expect(planner.episode == nil)
    }

    @Test func baselineFollowUpNearLimitThenNothing() {
        var planner = CapturePlanner(policy: policy)
        #expect(planner.decide(assessment(.growing), now: 0) == .baseline)
        #expect(planner.decide(assessment(.leaking), now: 60) == nil) // cooldown
        #expect(planner.decide(assessment(.leaking), now: 3599) == nil)
        #expect(planner.decide(assessment(.leaking, eta: 20_000), now: 3600) == .followUp)
        #expect(planner.decide(assessment(.leaking, eta: 20_000), now: 7200) == nil) // not near yet
        #expect(planner.decide(assessment(.leaking, eta: 1700), now: 7300) == .nearLimit)
        #expect(planner.episode?.captures == [.baseline, .followUp, .nearLimit])
        #expect(planner.decide(assessment(.overLimit, eta: 0), now: 20_000) == nil) // 3 per episode
    }

    /// A manual snapshot holds the automatic ones back a cooldown, unless it was refused before it
    /// reached the process.
    @Test func aRefusedManualSnapshotHoldsNothingBack() {
        var planner = CapturePlanner(policy: policy)
        planner.noteManualCapture(now: 0)
        planner.manualCaptureRefused()
        #expect(planner.decide(assessment(.leaking), now: 10) == .baseline)
        planner.noteManualCapture(now: 100)
        planner.manualCaptureRefused()
        #expect(planner.decide(assessment(.leaking), now: 200) == nil, "the baseline's cooldown still holds")
        #expect(planner.decide(assessment(.leaking), now: 3610) == .followUp)
    }

    /// What `status` says a leaking process's next snapshot waits for, along the same plan.
    @Test func pendingSaysWhatTheNextSnapshotWaitsFor() {
        var planner = CapturePlanner(policy: policy)
        #expect(planner.pending(now: 0) == nil, "no episode")
        planner.noteManualCapture(now: 0)
        #expect(planner.decide(assessment(.leaking, eta: 20_000), now: 600) == nil)
        #expect(planner.pending(now: 600) == PendingCapture(reason: .baseline, notBefore: 3600, wait: .cooldown),
                "a manual snapshot holds the baseline back a cooldown")
        #expect(planner.decide(assessment(.leaking, eta: 20_000), now: 3600) == .baseline)
        #expect(planner.pending(now: 3700) == PendingCapture(reason: .followUp, notBefore: 7200, wait: .cooldown))
        planner.captureFailed(now: 3700)
        #expect(planner.pending(now: 3800) == PendingCapture(reason: .baseline, notBefore: 4000, wait: .retry))
        #expect(planner.pending(now: 4000) == PendingCapture(reason: .baseline, notBefore: 4000, wait: .due))
        #expect(planner.decide(assessment(.leaking, eta: 20_000), now: 4000) == .baseline)
        #expect(planner.decide(assessment(.leaking, eta: 20_000), now: 7600) == .followUp)
        #expect(planner.pending(now: 8000) == PendingCapture(reason: .nearLimit, notBefore: 11_200, wait: .cooldown))
        #expect(planner.pending(now: 11_200) == PendingCapture(reason: .nearLimit, notBefore: nil, wait: .forecast))
        #expect(planner.decide(assessment(.leaking, eta: 1000), now: 11_300) == .nearLimit)
        #expect(planner.pending(now: 11_400) == nil, "the episode has its three")
        #expect(planner.decide(assessment(.ok), now: 11_500) == nil)
        #expect(planner.pending(now: 11_600) == nil, "calm: no episode under way")
    }

    @Test func nearLimitEvenBelowGrowthMaxAndBeforeAFollowUp() {
        var planner = CapturePlanner(policy: policy)
        #expect(planner.decide(assessment(.growing, eta: 50_000), now: 0) == .baseline)
        #expect(planner.decide(assessment(.growing, eta: 1000), now: 3600) == .nearLimit)
        #expect(planner.decide(assessment(.growing, eta: 900), now: 7200) == nil)
    }

    @Test func firstCaptureCloseToTheLimitIsNearLimit() {
        var planner = CapturePlanner(policy: policy)
        #expect(planner.decide(assessment(.leaking, eta: 600), now: 0) == .nearLimit)
    }

    /// A fast leak is first captured near its limit; a follow-up a cooldown later gives the diff
    /// that says what grows (with the near-limit capture alone, the episode stopped at one).
    @Test func aFirstCaptureNearTheLimitIsFollowedUp() {
        var planner = CapturePlanner(policy: policy)
        #expect(planner.decide(assessment(.leaking, eta: 1700), now: 0) == .nearLimit)
        // The leak slowed: the crash is forecast after the cooldown's end, so the cooldown holds.
        #expect(planner.decide(assessment(.leaking, eta: 3000), now: 1800) == nil)
        #expect(planner.decide(assessment(.leaking, eta: 1400), now: 3600) == .followUp)
        #expect(planner.decide(assessment(.leaking, eta: 100), now: 7200) == nil)
        #expect(planner.episode?.captures == [.nearLimit, .followUp])
        // The same after a first capture over the limit, once back under it.
        planner = CapturePlanner(policy: policy)
        #expect(planner.decide(assessment(.overLimit), now: 0) == .overLimit)
        #expect(planner.decide(assessment(.leaking, eta: 40_000), now: 3600) == .followUp)
    }

    /// A fast leak: the process is forecast to die before a cooldown could end. The second
    /// snapshot comes halfway from the first to the earliest forecast crash, not after the cooldown
    /// (by then the process and the chance to diff are gone), and never within `minCaptureGap`.
    @Test func aCrashBeforeTheCooldownEndsIsNotWaitedFor() {
        func fast(_ eta: Double) -> TrendAssessment { TrendAssessment(state: .leaking, etaSeconds: eta, etaLowerSeconds: eta * 0.8) }
        var planner = CapturePlanner(policy: policy)
        #expect(planner.decide(fast(600), now: 0) == .nearLimit)
        // At 100 s the earliest crash is 400 s ahead: halfway from the capture to it is 150 s on.
        #expect(planner.decide(fast(500), now: 100) == nil)
        #expect(planner.pending(now: 100, assessment: fast(500)) == PendingCapture(reason: .followUp, notBefore: 250, wait: .beforeCrash))
        #expect(planner.pending(now: 100) == PendingCapture(reason: .followUp, notBefore: 3600, wait: .cooldown), "no forecast given")
        #expect(planner.decide(fast(350), now: 250) == nil, "the earliest crash (280 s) is still further ahead than the capture is back")
        #expect(planner.decide(fast(330), now: 270) == .followUp)
        #expect(planner.episode?.captures == [.nearLimit, .followUp])
        #expect(planner.decide(fast(100), now: 500) == nil, "nothing left to take: the diff has its two")

        // Never two within minCaptureGap (120 s), however near the crash.
        planner = CapturePlanner(policy: policy)
        #expect(planner.decide(fast(100), now: 0) == .nearLimit)
        #expect(planner.decide(fast(50), now: 60) == nil)
        #expect(planner.pending(now: 60, assessment: fast(50))?.notBefore == 120)
        #expect(planner.decide(fast(0), now: 120) == .followUp)

        // A crash forecast at 3000 s throughout, the earliest at 0.8 of the time left: the
        // baseline, then the near-limit one once the baseline is as far back as the earliest crash
        // is ahead (1333 s), as a cooldown later would have gone on (nothing after the two).
        planner = CapturePlanner(policy: policy)
        #expect(planner.decide(fast(3000), now: 0) == .baseline)
        #expect(planner.decide(fast(1700), now: 1300) == nil)
        #expect(planner.decide(fast(1660), now: 1340) == .nearLimit)
        #expect(planner.decide(fast(920), now: 2080) == nil)
        #expect(planner.episode?.captures == [.baseline, .nearLimit])
    }

    @Test func overLimitCapturesRespectingCooldown() {
        var planner = CapturePlanner(policy: policy)
        #expect(planner.decide(assessment(.overLimit), now: 0) == .overLimit)
        #expect(planner.decide(assessment(.overLimit), now: 1800) == nil)
        #expect(planner.decide(assessment(.overLimit), now: 3600) == .overLimit)
    }

    @Test func newEpisodeAfterRecovery() {
        var planner = CapturePlanner(policy: policy)
        #expect(planner.decide(assessment(.leaking), now: 0) == .baseline)
        #expect(planner.decide(assessment(.ok), now: 100) == nil)
        // A short calm does not end the episode.
        #expect(planner.decide(assessment(.leaking), now: 4000) == .followUp)
        #expect(planner.decide(assessment(.ok), now: 4100) == nil)
        #expect(planner.decide(assessment(.ok), now: 4100 + 7200) == nil)
        #expect(planner.episode == nil)
        #expect(planner.decide(assessment(.growing), now: 12_000) == .baseline)
        #expect(planner.episode?.startedAt == 12_000)
    }

    @Test func failedCaptureGivesItsSlotBackAfterTheRetryDelay() {
        var planner = CapturePlanner(policy: policy)
        #expect(planner.decide(assessment(.leaking), now: 0) == .baseline)
        planner.captureFailed(now: 10)
        #expect(planner.episode?.captures == [])
        #expect(planner.decide(assessment(.leaking), now: 100) == nil) // retry delay
        #expect(planner.decide(assessment(.leaking), now: 310) == .baseline)
        #expect(planner.episode?.captures == [.baseline])
        // A second report for the same decision changes nothing.
        planner.captureFailed(now: 320)
        planner.captureFailed(now: 330)
        #expect(planner.episode?.captures == [])
        #expect(planner.decide(assessment(.leaking), now: 640) == .baseline)
    }

    @Test func aLateSnapshotTakesItsSlotAgainAndRestartsTheCooldown() {
        var planner = CapturePlanner(policy: policy)
        #expect(planner.decide(assessment(.leaking), now: 0) == .baseline)
        planner.captureFailed(now: 10)  // SIGUSR2 timed out: node's event loop was busy
        planner.lateCaptureStored(.baseline, now: 200)  // node wrote it after all
        #expect(planner.episode?.captures == [.baseline])
        // No second baseline at the retry delay; the follow-up a cooldown after the late one.
        #expect(planner.decide(assessment(.leaking), now: 400) == nil)
        #expect(planner.decide(assessment(.leaking), now: 3700) == nil)
        #expect(planner.decide(assessment(.leaking), now: 3800) == .followUp)
        #expect(planner.episode?.captures == [.baseline, .followUp])
    }

    @Test func aLateSnapshotNeverOverfillsAnEpisode() {
        var planner = CapturePlanner(policy: policy)
        #expect(planner.decide(assessment(.leaking), now: 0) == .baseline)
        #expect(planner.decide(assessment(.leaking), now: 3600) == .followUp)
        #expect(planner.decide(assessment(.leaking, eta: 100), now: 7200) == .nearLimit)
        planner.lateCaptureStored(.followUp, now: 7300)
        #expect(planner.episode?.captures.count == CapturePlanner.maxPerEpisode)
        planner.lateCaptureStored(.manual, now: 7400)
        #expect(planner.episode?.captures == [.baseline, .followUp, .nearLimit])
    }

    @Test func manualCaptureKeepsTheCooldownWithoutUsingASlot() {
        var planner = CapturePlanner(policy: policy)
        planner.noteManualCapture(now: 0)
        #expect(planner.decide(assessment(.leaking), now: 1000) == nil)
        #expect(planner.decide(assessment(.leaking), now: 3600) == .baseline)
        #expect(planner.episode?.captures == [.baseline])
    }

    /// heapwatchd restarted at time 0 with the store's captures of a process that still runs: the
    /// cooldown runs from the newest one, and its episode goes on where it was.
    @Test func restoredCapturesKeepTheCooldownAndTheEpisode() {
        var planner = CapturePlanner(policy: policy)
        planner.restore([(.baseline, -600)], now: 0)
        #expect(planner.episode?.captures == [.baseline])
        #expect(planner.decide(assessment(.leaking), now: 10) == nil)
        #expect(planner.decide(assessment(.leaking), now: 2999) == nil)
        #expect(planner.decide(assessment(.leaking), now: 3000) == .followUp)

        // Two of the episode's three were taken: only the one near the limit is left.
        var later = CapturePlanner(policy: policy)
        later.restore([(.followUp, -4000), (.baseline, -7000)], now: 0)
        #expect(later.episode?.captures == [.baseline, .followUp])
        #expect(later.decide(assessment(.leaking, eta: 20_000), now: 10) == nil)
        #expect(later.decide(assessment(.leaking, eta: 1000), now: 20) == .nearLimit)
    }

    /// Captures `recovery` or more apart may be of two episodes (the process calmed down between
    /// them): the newer run of captures is the episode; when the newest is that old, none is.
    @Test func restoredEpisodesEndWhereTheyMayHaveEnded() {
        var planner = CapturePlanner(policy: policy)
        planner.restore([(.baseline, -20_000), (.followUp, -16_000), (.nearLimit, -12_000), (.baseline, -3000)], now: 0)
        #expect(planner.episode?.captures == [.baseline])
        #expect(planner.decide(assessment(.leaking), now: 600) == .followUp)

        var old = CapturePlanner(policy: policy)
        old.restore([(.baseline, -9000), (.followUp, -7200)], now: 0)
        #expect(old.episode == nil)
        #expect(old.decide(assessment(.leaking), now: 10) == .baseline)
    }

    /// A manual capture keeps the cooldown but makes no episode; so does a snapshot node took on its
    /// own, and a reason this build does not know.
    @Test func restoredManualCapturesOnlyKeepTheCooldown() {
        for reason in [CaptureReason.manual, .heapLimit, nil] {
            var planner = CapturePlanner(policy: policy)
            planner.restore([(reason, -100)], now: 0)
            #expect(planner.episode == nil)
            #expect(planner.decide(assessment(.leaking), now: 3000) == nil)
            #expect(planner.decide(assessment(.leaking), now: 3500) == .baseline)
        }
    }

    @Test func reasonsHaveTheirWireNames() {
        #expect(CaptureReason.allCases.map(\.rawValue) == ["baseline", "follow_up", "near_limit", "over_limit", "manual", "heap_limit"])
        #expect(CaptureReason.allCases.filter(\.isAutomatic) == [.baseline, .followUp, .nearLimit, .overLimit])
        #expect(TrendState.allCases.map(\.rawValue) == ["warming_up", "ok", "bursty", "growing", "leaking", "over_limit"])
    }
}
