import HeapwatchCore
import Testing

struct MatchingTests {
    func process(_ arguments: [String], exe: String = "node", cgroup: String = "/", pid: Int32 = 10) -> DiscoveredProcess {
        DiscoveredProcess(identity: ProcessIdentity(pid: pid, startTime: 1), arguments: arguments, executableName: exe,
                          cgroup: CgroupMembership(unifiedPath: cgroup))
    }

    @Test func defaultTargetTakesEveryNodeProcessAndNothingElse() {
        let matcher = TargetMatcher(targets: [.defaultNode])
        #expect(matcher.target(for: process(["node", "app.js"])) == 0)
        #expect(matcher.target(for: process(["/usr/bin/nodejs", "a.js"], exe: "nodejs")) == 0)
        #expect(matcher.target(for: process(["python3", "node.py"], exe: "python3")) == nil)
    }

    @Test func firstMatchingTargetWins() {
        let matcher = TargetMatcher(targets: [
            TargetConfig(name: "api", matchers: [.command(pattern: "api\\.js")]),
            TargetConfig(name: "svc", matchers: [.unit("orders")]),
            TargetConfig(name: "pid", matchers: [.pidfile("/run/x.pid")]),
            .defaultNode,
        ])
        #expect(matcher.target(for: process(["node", "/srv/api.js"])) == 0)
        #expect(matcher.target(for: process(["node", "o.js"], cgroup: "/system.slice/orders.service")) == 1)
        #expect(matcher.target(for: process(["node", "o.js"], cgroup: "/system.slice/orders.service/worker")) == 1)
        #expect(matcher.target(for: process(["node", "o.js"], cgroup: "/system.slice/reorders.service")) == 3)
        #expect(matcher.target(for: process(["ruby", "x"], exe: "ruby", pid: 77), pidfilePIDs: [2: [77]]) == 2)
        // A command pattern does not claim non-Node processes (the grep looking for it, say).
        #expect(matcher.target(for: process(["grep", "api.js"], exe: "grep")) == nil)
    }

    @Test func parsesPidfiles() {
        #expect(TargetMatcher.parsePidfile("1234\n") == 1234)
        #expect(TargetMatcher.parsePidfile("  \n") == nil)
        #expect(TargetMatcher.parsePidfile("-1\n") == nil)
        #expect(TargetMatcher.parsePidfile("abc") == nil)
    }
}

struct RetentionTests {
    func snapshot(_ target: String, _ time: Int64, _ bytes: UInt64 = 100) -> StoredSnapshot {
        StoredSnapshot(target: target, path: "/s/\(target)/\(time)", bytes: bytes, time: time)
    }

    @Test func keepsTheNewestPerTarget() {
        let all = (1...7).map { snapshot("api", $0) } + [snapshot("web", 3)]
        let victims = Retention.victims(all, keepPerTarget: 5, maxBytes: .max)
        #expect(victims.map(\.time) == [1, 2])
        #expect(victims.allSatisfy { $0.target == "api" })
    }

    @Test func staysUnderTheByteBudgetOldestFirst() {
        let all = [snapshot("api", 1, 400), snapshot("web", 2, 400), snapshot("api", 3, 400)]
        let victims = Retention.victims(all, keepPerTarget: 5, maxBytes: 900)
        #expect(victims.map(\.time) == [1])
    }

    @Test func neverDeletesTheProtectedSnapshot() {
        let fresh = snapshot("api", 9, 5000)
        let victims = Retention.victims([snapshot("api", 1, 10), fresh], keepPerTarget: 1, maxBytes: 1000, protected: [fresh.path])
        #expect(victims.map(\.time) == [1])
    }

    @Test func nothingToDoUnderTheLimits() {
        #expect(Retention.victims([snapshot("a", 1), snapshot("b", 2)], keepPerTarget: 5, maxBytes: 10_000).isEmpty)
    }
}

struct CaptureSafetyTests {
    func status(sigCgt: UInt64) -> ProcStatus {
        var status = ProcStatus()
        status.caughtSignals = sigCgt
        return status
    }

    @Test func signalNeedsTheFlagAndTheHandler() {
        let flagged = NodeFlags.parse(arguments: ["node", "--heapsnapshot-signal=SIGUSR2", "a.js"], nodeOptions: nil)
        let plain = NodeFlags.parse(arguments: ["node", "a.js"], nodeOptions: nil)
        #expect(CaptureSafety.signalRefusal(status: status(sigCgt: 0x100004e02), flags: flagged) == nil)
        #expect(CaptureSafety.signalRefusal(status: status(sigCgt: 0x100004602), flags: flagged)?.contains("handler not installed") == true)
        // A caught SIGUSR2 without the flag is the app's own use of the signal: not ours to send.
        #expect(CaptureSafety.signalRefusal(status: status(sigCgt: 0x100004e02), flags: plain)?.contains("--heapsnapshot-signal") == true)
    }

    @Test func memoryNeedsHeadroomOnTheHostAndInTheCgroup() {
        let mib: UInt64 = 1024 * 1024
        #expect(CaptureSafety.memoryRefusal(anonBytes: 100 * mib, memAvailable: 8000 * mib, cgroupLimit: nil, cgroupUsage: nil, factor: 4) == nil)
        let host = CaptureSafety.memoryRefusal(anonBytes: 100 * mib, memAvailable: 300 * mib, cgroupLimit: nil, cgroupUsage: nil, factor: 4)
        #expect(host?.contains("host has 300MiB available") == true)
        #expect(host?.contains("400MiB") == true)
        let cgroup = CaptureSafety.memoryRefusal(anonBytes: 100 * mib, memAvailable: 8000 * mib, cgroupLimit: 512 * mib, cgroupUsage: 200 * mib, factor: 4)
        #expect(cgroup?.contains("cgroup headroom is 312MiB") == true)
        #expect(CaptureSafety.memoryRefusal(anonBytes: 100 * mib, memAvailable: 8000 * mib, cgroupLimit: 1024 * mib, cgroupUsage: 200 * mib, factor: 4) == nil)
        // Usage above the limit (possible with v1 kmem) means no headroom, not an overflow.
        #expect(CaptureSafety.memoryRefusal(anonBytes: mib, memAvailable: nil, cgroupLimit: 10 * mib, cgroupUsage: 20 * mib, factor: 4) != nil)
    }

    /// Node's own near-limit snapshots are written at the heap's limit: a cgroup under factor × that
    /// limit will most likely kill node mid-write.
    @Test func nodesOwnNearLimitSnapshotsNeedRoomForTheWholeHeap() {
        let mib: UInt64 = 1024 * 1024
        let tight = CaptureSafety.nearHeapLimitRisk(heapLimitBytes: 256 * mib, cgroupLimit: 512 * mib, factor: 4)
        #expect(tight?.contains("its heap is at its limit (256MiB)") == true, "\(tight ?? "nil")")
        #expect(tight?.contains("may need 1GiB (4× that heap), over its cgroup limit 512MiB") == true, "\(tight ?? "nil")")
        #expect(tight?.contains("(--max-old-space-size) under 128MiB") == true, "\(tight ?? "nil")")
        #expect(CaptureSafety.nearHeapLimitRisk(heapLimitBytes: 100 * mib, cgroupLimit: 512 * mib, factor: 4) == nil)
        #expect(CaptureSafety.nearHeapLimitRisk(heapLimitBytes: 4096 * mib, cgroupLimit: nil, factor: 16) == nil)
    }

    /// The analysis runs in heapwatchd's cgroup: its headroom counts anonymous memory, not the page
    /// cache a snapshot copy leaves behind.
    @Test func analysisNeedsRoomOnTheHostAndInHeapwatchdsCgroup() {
        let mib: UInt64 = 1024 * 1024
        #expect(AnalysisAdmission.refusal(neededBytes: 600 * mib, memAvailable: 8000 * mib, hostShare: 0.5, cgroup: CgroupMemory()) == nil)
        let host = AnalysisAdmission.refusal(neededBytes: 600 * mib, memAvailable: 1000 * mib, hostShare: 0.5, cgroup: CgroupMemory())
        #expect(host?.contains("the host has 1000MiB available") == true, "\(host ?? "nil")")
        // 2 GiB limit, 1.9 GiB used of which 100 MiB anonymous: the cache does not count.
        let cached = CgroupMemory(limitBytes: 2048 * mib, usageBytes: 1900 * mib, anonBytes: 100 * mib)
        #expect(AnalysisAdmission.refusal(neededBytes: 600 * mib, memAvailable: 8000 * mib, hostShare: 0.5, cgroup: cached) == nil)
        let small = CgroupMemory(limitBytes: 256 * mib, usageBytes: 250 * mib, anonBytes: 40 * mib)
        let refused = AnalysisAdmission.refusal(neededBytes: 600 * mib, memAvailable: 8000 * mib, hostShare: 0.5, cgroup: small)
        #expect(refused?.contains("heapwatchd's cgroup has 152MiB to spare") == true, "\(refused ?? "nil")")
        #expect(refused?.contains("MemoryMax=") == true)
        // Without memory.stat, usage stands in.
        let noStat = CgroupMemory(limitBytes: 1024 * mib, usageBytes: 1000 * mib)
        #expect(AnalysisAdmission.refusal(neededBytes: 100 * mib, memAvailable: nil, hostShare: 0.5, cgroup: noStat) != nil)
    }

    @Test func memoryStatKeys() {
        let v2 = "anon 104857600\nfile 2097152000\nkernel 1234\nanon_thp 0\n"
        #expect(CgroupMemory.parseStat(v2, key: "anon") == 104_857_600)
        #expect(CgroupMemory.parseStat(v2, key: "file") == 2_097_152_000)
        let v1 = "cache 10\nrss 20\ntotal_cache 30\ntotal_rss 40\n"
        #expect(CgroupMemory.parseStat(v1, key: "total_rss") == 40)
        #expect(CgroupMemory.parseStat(v1, key: "missing") == nil)
    }
}

struct SnapshotNamingTests {
    @Test func recognisesNodesFileNames() {
        #expect(SnapshotNaming.isNodeSnapshot("Heap.20261125.002822.32393.0.001.heapsnapshot", pid: 32393))
        #expect(!SnapshotNaming.isNodeSnapshot("Heap.20261125.002822.32393.0.001.heapsnapshot", pid: 3239))
        #expect(!SnapshotNaming.isNodeSnapshot("Heap.20261125.002822.32393.0.001.heapsnapshot.tmp", pid: 32393))
        #expect(!SnapshotNaming.isNodeSnapshot("notes.txt", pid: 1))
    }

    /// Two captures in one second: the later one's name carries the higher attempt, and every
    /// order of the store (listing, analysis, retention) follows it rather than string order.
    @Test func snapshotsOfOneSecondAreOrderedByAttempt() {
        let time = "2026-11-25T01:22:33Z"
        let first = "/s/api/20261125T012233Z-42.heapsnapshot", second = "/s/api/20261125T012233Z-42-1.heapsnapshot"
        let tenth = "/s/api/20261125T012233Z-42-10.heapsnapshot", ninth = "/s/api/20261125T012233Z-42-9.heapsnapshot.gz"
        #expect(SnapshotNaming.attempt(of: first) == 0 && SnapshotNaming.attempt(of: second) == 1)
        #expect(SnapshotNaming.attempt(of: ninth) == 9 && SnapshotNaming.attempt(of: "notes.txt") == 0)
        #expect([first, second, ninth, "20261125T012233Z-7.report"].map(SnapshotNaming.pid(of:)) == [42, 42, 42, 7])
        #expect(SnapshotNaming.pid(of: "notes.txt") == nil && SnapshotNaming.pid(of: "a-b.report") == nil)
        #expect(SnapshotNaming.precedes(time, first, time, second) && !SnapshotNaming.precedes(time, second, time, first))
        #expect(SnapshotNaming.precedes(time, ninth, time, tenth))
        #expect(SnapshotNaming.precedes("2026-11-25T01:22:32Z", tenth, time, first))
        let victims = Retention.victims([StoredSnapshot(target: "api", path: second, bytes: 1, time: 1_795_569_753),
                                         StoredSnapshot(target: "api", path: first, bytes: 1, time: 1_795_569_753)],
                                        keepPerTarget: 1, maxBytes: 100)
        #expect(victims.map(\.path) == [first])
    }

    @Test func namesStoredFilesByUTCTime() {
        // 2026-11-25T01:22:33Z
        let epoch: Int64 = 1_795_569_753
        #expect(SnapshotNaming.iso8601(epoch) == "2026-11-25T01:22:33Z")
        #expect(SnapshotNaming.storedName(epochSeconds: epoch, pid: 42) == "20261125T012233Z-42.heapsnapshot")
        #expect(SnapshotNaming.storedName(epochSeconds: epoch, pid: 42, attempt: 2) == "20261125T012233Z-42-2.heapsnapshot")
        #expect(SnapshotNaming.iso8601(0) == "1970-01-01T00:00:00Z")
        #expect(SnapshotNaming.iso8601(951_782_400) == "2000-02-29T00:00:00Z")
    }
}
