import HeapwatchCore
import Testing

/// `ProcessEnd.judge`: what the counters and the heap say of how a process ended.
@Suite struct ProcessEndJudgementTests {
    private func judge(_ before: OOMKillCounts, _ after: OOMKillCounts, heap: (UInt64, UInt64)? = nil, own: Int = 0) -> ProcessEnd {
        ProcessEnd.judge(before: before, after: after, heapUsedBytes: heap?.0, heapLimitBytes: heap?.1, recentOwnSnapshots: own)
    }

    @Test func aKillCountedInItsCgroupIsItsOwn() {
        #expect(judge(OOMKillCounts(cgroup: 2, host: 7), OOMKillCounts(cgroup: 3, host: 8)) == .oomKilled(inCgroup: true, before: 2, after: 3))
        #expect(judge(OOMKillCounts(cgroup: 2, host: 7), OOMKillCounts(cgroup: 3, host: 8)).cause == "oom_kill")
    }

    @Test func aKillElsewhereOnTheHostIsNotWhenItsCgroupStoodStill() {
        #expect(judge(OOMKillCounts(cgroup: 0, host: 7), OOMKillCounts(cgroup: 0, host: 8)) == .unknown)
    }

    @Test func theHostCounterSpeaksWhenTheCgroupIsGone() {
        // A stopped unit's cgroup is removed with it: only the host's counter is left.
        #expect(judge(OOMKillCounts(cgroup: 0, host: 7), OOMKillCounts(cgroup: nil, host: 8)) == .oomKilled(inCgroup: false, before: 7, after: 8))
        #expect(judge(OOMKillCounts(cgroup: nil, host: 7), OOMKillCounts(cgroup: nil, host: 7)) == .unknown)
        #expect(judge(OOMKillCounts(), OOMKillCounts()) == .unknown)
    }

    @Test func aFullHeapOrNodesOwnNearLimitSnapshotsMeanTheHeapLimit() {
        #expect(judge(OOMKillCounts(), OOMKillCounts(), heap: (95, 100)) == .heapLimit(heapFraction: 0.95, ownSnapshots: 0))
        #expect(judge(OOMKillCounts(), OOMKillCounts(), heap: (89, 100)) == .unknown)
        #expect(judge(OOMKillCounts(), OOMKillCounts(), heap: (50, 100), own: 2) == .heapLimit(heapFraction: nil, ownSnapshots: 2))
        #expect(judge(OOMKillCounts(), OOMKillCounts(), heap: (95, 0)) == .unknown)
        // An OOM kill is the stronger evidence.
        #expect(judge(OOMKillCounts(cgroup: 0), OOMKillCounts(cgroup: 1), heap: (95, 100)).cause == "oom_kill")
    }

    @Test func theSentenceSaysWhatWasSeen() {
        #expect(ProcessEnd.oomKilled(inCgroup: true, before: 0, after: 1).sentence == "was killed by the kernel's OOM killer (oom_kill of its cgroup 0 → 1)")
        let heap = ProcessEnd.heapLimit(heapFraction: 0.953, ownSnapshots: 1).sentence
        #expect(heap.contains("its heap was at 95 % of its limit at the last reading, and node had begun 1 snapshot near its heap limit"), "\(heap)")
        #expect(ProcessEnd.unknown.sentence == "exited")
        #expect(ProcessEnd.unknown.cause == nil)
    }
}
