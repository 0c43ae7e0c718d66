import Testing
@testable import HeapwatchTrend

/// Which `growing` heapwatchd logs as a warning, besides `leak detected` and `over limit`.
@Suite("Growing towards the limit")
struct HeadsForItsLimitTests {
    private static let mib = SyntheticTrace.mib

    /// A leak that would kill its process 10 minutes in turns `growing` about halfway with a
    /// forecast inside `capture_before`: that change is a warning (the process may not live to
    /// the next one). A slow leak's `growing`, hours from its limit, stays at info.
    @Test func growingTowardsALimitWithinCaptureBeforeIsAWarning() throws {
        let policy = TrendPolicy()
        func firstGrowing(_ trace: SyntheticTrace, limit: Double) -> TrendAssessment? {
            var tracker = TrendTracker(policy: policy)
            for sample in trace.samples() {
                let assessment = tracker.record(sample, limits: MemoryLimits(cgroupBytes: limit))
                if assessment.state == .growing { return assessment }
            }
            return nil
        }
        var fast = SyntheticTrace(duration: 600)
        fast.seed = 80
        fast.leakBytesPerHour = 2048 * Self.mib
        fast.noiseBytes = Self.mib
        let dying = try #require(firstGrowing(fast, limit: fast.floor(at: 600) + fast.fileBytes))
        #expect(dying.headsForItsLimit(within: policy.captureBefore))

        var slow = SyntheticTrace(duration: 3 * 3600)
        slow.seed = 8
        slow.leakBytesPerHour = 10 * Self.mib
        slow.noiseBytes = Self.mib
        let far = try #require(firstGrowing(slow, limit: 4096 * Self.mib))
        #expect(!far.headsForItsLimit(within: policy.captureBefore))
        #expect(far.headsForItsLimit(within: (far.etaSeconds ?? 0) + 1))
    }
}
