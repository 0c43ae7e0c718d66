import HeapwatchCore
import Testing

/// Parsers run on text captured from this machine's /proc (Debian 12, kernel 6.x).
struct ProcParserTests {
    static let bashStat = "32639 (bash) S 32637 32637 1310 0 -1 4194368 101 0 0 0 0 0 0 0 20 0 1 0 116918 4956160 525 18446744073709551615 93901957992448 93901958781853 140722232366832 0 0 0 65536 6 81920 1 0 0 17 0 0 0 0 0 0 93901959015152 93901959063396 93901981523968 140722232372073 140722232372088 140722232372088 140722232373226 0\n"

    @Test func parsesStat() throws {
        let stat = try #require(ProcStat.parse(Self.bashStat))
        #expect(stat.pid == 32639)
        #expect(stat.comm == "bash")
        #expect(stat.state == "S")
        #expect(stat.ppid == 32637)
        #expect(stat.startTime == 116918)
    }

    /// A leading combining mark (U+0301) or a trailing prepended concatenation mark (U+0600) forms one
    /// `Character` with the `(` or `)` beside it: the parser must still find them.
    @Test(arguments: ["foo) Z", "a b c", "x)(y", "new\nline", ") ) )", "", "\u{301}node", "node\u{600}"])
    func parsesStatWithHostileNames(name: String) throws {
        let text = "32652 (\(name)) S 32637 32637 1310 0 -1 4194304 141 0 0 0 0 0 0 0 20 0 1 0 116970 2990080 411 18446744073709551615 0 0 0 0 0 0 0 6 0 1 0 0 17 1 0 0 0 0 0\n"
        let stat = try #require(ProcStat.parse(text))
        #expect(stat.comm == name)
        #expect(stat.state == "S")
        #expect(stat.startTime == 116970)
    }

    @Test(arguments: ["", "garbage", "12 (x", "12 (x) S 1 2 3"])
    func rejectsBrokenStat(text: String) {
        #expect(ProcStat.parse(text) == nil)
    }

    static let nodeStatus = """
        Name:\tnode
        Umask:\t0022
        State:\tS (sleeping)
        Tgid:\t4880
        Pid:\t4880
        PPid:\t1310
        Uid:\t1000\t1000\t1000\t1000
        Gid:\t1000\t1000\t1000\t1000
        FDSize:\t64
        Groups:\t24 27 1000
        VmPeak:\t 1073741824 kB
        VmHWM:\t   56212 kB
        VmRSS:\t   45412 kB
        RssAnon:\t    8492 kB
        RssFile:\t   36920 kB
        RssShmem:\t       0 kB
        VmPTE:\t     468 kB
        VmSwap:\t       0 kB
        Threads:\t7
        SigQ:\t0/96365
        SigPnd:\t0000000000000000
        SigBlk:\t0000000000000000
        SigIgn:\t0000000001001000
        SigCgt:\t0000000100004e02
        """

    @Test func parsesStatus() throws {
        let status = try #require(ProcStatus.parse(Self.nodeStatus))
        #expect(status.name == "node")
        #expect(status.groups == [24, 27, 1000])
        #expect(status.rssBytes == 45412 * 1024)
        #expect(status.anonBytes == 8492 * 1024)
        #expect(status.swapBytes == 0)
        #expect(status.catchesSIGUSR2)
        #expect(status.catchesSIGUSR1)
    }

    @Test func parsesSwappedOutMemory() throws {
        let swapped = Self.nodeStatus.replacingOccurrences(of: "VmSwap:\t       0 kB", with: "VmSwap:\t  734208 kB")
        let status = try #require(ProcStatus.parse(swapped))
        #expect(status.swapBytes == 734_208 * 1024)
        #expect(status.anonBytes == 8492 * 1024)
        // A kernel built without swap has no VmSwap line: nothing is swapped.
        let noLine = try #require(ProcStatus.parse(Self.nodeStatus.replacingOccurrences(of: "VmSwap:\t       0 kB\n", with: "")))
        #expect(noLine.swapBytes == 0)
        #expect(noLine.rssBytes == 45412 * 1024)
    }

    @Test func tellsWhetherSIGUSR2IsCaught() throws {
        // Measured: with --heapsnapshot-signal=SIGUSR2 SigCgt=0x100004e02, without 0x100004602.
        let without = try #require(ProcStatus.parse(Self.nodeStatus.replacingOccurrences(of: "0000000100004e02", with: "0000000100004602")))
        #expect(!without.catchesSIGUSR2)
        #expect(without.catchesSIGUSR1)
    }

    @Test func kernelThreadStatusHasNoSizes() throws {
        let status = try #require(ProcStatus.parse("Name:\tkthreadd\nState:\tS (sleeping)\nSigCgt:\t0000000000000000\n"))
        #expect(status.rssBytes == 0)
        #expect(!status.catchesSIGUSR2)
    }

    @Test func parsesStatm() throws {
        // Captured: node with VmRSS 45412 kB, RssAnon 8492 kB (4 KiB pages).
        let statm = try #require(ProcStatm.parse("268566 11353 9230 10870 0 26108 0\n", pageSize: 4096))
        #expect(statm.residentBytes == 11353 * 4096)
        #expect(statm.anonBytes == (11353 - 9230) * 4096)
        #expect(ProcStatm.parse("garbage", pageSize: 4096) == nil)
        #expect(ProcStatm.parse("1 2 5 0 0 0 0", pageSize: 4096)?.anonBytes == 0)
    }

    @Test func parsesMemAvailable() {
        #expect(MemInfo.parseAvailable("MemTotal:       24600000 kB\nMemFree:        1 kB\nMemAvailable:   24216204 kB\n") == 24216204 * 1024)
        #expect(MemInfo.parseAvailable("MemTotal: 1 kB\n") == nil)
        #expect(MemInfo.parseTotal("MemTotal:       24600000 kB\nMemFree:        1 kB\n") == 24_600_000 * 1024)
        #expect(MemInfo.parseTotal("MemFree: 1 kB\n") == nil)
        #expect(MemInfo.parseSwapTotal("MemTotal: 1 kB\nSwapTotal:       2097148 kB\nSwapFree: 1 kB\n") == 2_097_148 * 1024)
        #expect(MemInfo.parseSwapTotal("MemTotal: 1 kB\nSwapTotal:             0 kB\n") == 0)
    }

    /// V8's default heap for the memory Node sizes it from, as node 20 gave it here: in cgroups of
    /// 1, 2, 4, 8 and 12 GiB (`heap_size_limit` 524, 1048, 2096, 2096, 2096 MiB) and on a host of
    /// 24,684,084 kB (4144 MiB). The host case is checked against a live node in the integration suite.
    @Test(arguments: [(UInt64(1), 512, 524), (2, 1024, 1048), (4, 2048, 2096), (8, 2048, 2096), (12, 2048, 2096), (16, 2048, 2096)])
    func v8DefaultHeapFollowsTheMemory(gib: UInt64, oldMiB: UInt64, limitMiB: UInt64) {
        #expect(V8Defaults.oldSpaceBytes(memoryBytes: gib << 30) == oldMiB << 20)
        #expect(V8Defaults.heapSizeLimitBytes(memoryBytes: gib << 30) == limitMiB << 20)
    }

    @Test func v8DefaultHeapOnALargeHost() {
        #expect(V8Defaults.heapSizeLimitBytes(memoryBytes: 24_684_084 * 1024) == 4144 << 20)
        #expect(V8Defaults.oldSpaceBytes(memoryBytes: 64 << 30) == 4096 << 20)
        #expect(V8Defaults.oldSpaceBytes(memoryBytes: 128 << 20) == 128 << 20)
    }

    @Test func parsesNulLists() {
        let bytes = Array("node\0--heapsnapshot-signal=SIGUSR2\0app with space.js\0".utf8)
        #expect(NulList.parse(bytes) == ["node", "--heapsnapshot-signal=SIGUSR2", "app with space.js"])
        #expect(NulList.parse([]) == [])
        let environment = ["PATH=/bin", "NODE_OPTIONS=--max-old-space-size=512", "A=b=c"]
        #expect(NulList.value(of: "NODE_OPTIONS", inEnvironment: environment) == "--max-old-space-size=512")
        #expect(NulList.value(of: "A", inEnvironment: environment) == "b=c")
        #expect(NulList.value(of: "NODE", inEnvironment: environment) == nil)
    }

    @Test func parsesCgroupMembershipOnAHybridHost() {
        let text = "9:name=systemd:/system.slice/api.service\n8:pids:/\n4:memory:/process_api/2073529410811a437dfa7e46808b72d4\n1:cpu:/\n0::/system.slice/api.service\n"
        let membership = CgroupMembership.parse(text)
        #expect(membership.memoryV1Path == "/process_api/2073529410811a437dfa7e46808b72d4")
        #expect(membership.unifiedPath == "/system.slice/api.service")
        #expect(membership.systemdV1Path == "/system.slice/api.service")
    }

    @Test func findsCgroupMountsInMountinfo() {
        let text = """
            31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
            35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            50 23 0:40 /container /mnt/with\\040space rw - cgroup2 cgroup2 rw
            """
        let mounts = CgroupMount.parse(mountinfo: text)
        #expect(mounts == [
            CgroupMount(version: .v1Memory, mountPoint: "/sys/fs/cgroup/memory", root: "/"),
            CgroupMount(version: .v2, mountPoint: "/sys/fs/cgroup/unified", root: "/"),
        ])
        let nested = CgroupMount.parse(mountinfo: "50 23 0:40 /container /mnt/with\\040space rw - cgroup2 cgroup2 rw")
        #expect(nested.first?.mountPoint == "/mnt/with space")
        #expect(nested.first?.directory(for: "/container/app") == "/mnt/with space/app")
        #expect(nested.first?.directory(for: "/other") == nil)
        #expect(mounts[0].directory(for: "/") == "/sys/fs/cgroup/memory")
    }

    @Test func parsesCgroupLimits() {
        #expect(CgroupMemory.parseLimit("max\n") == nil)
        #expect(CgroupMemory.parseLimit("9223372036854771712\n") == nil)
        #expect(CgroupMemory.parseLimit("536870912\n") == 536_870_912)
        #expect(CgroupMemory.parseLimit("junk") == nil)
        #expect(CgroupMemory.parseUsage("1234\n") == 1234)
    }
}

struct ProcNetTCPTests {
    @Test func findsListeningSockets() {
        let text = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 109 1 00000000f9c2df16 100 0 0 10 0
               1: 0100007F:2405 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 55321 1 0000000000000000 100 0 0 10 0
               2: 020200C0:8180 507100CB:0050 06 00000000:00000000 03:000016E6 00000000     0        0 0 3 0000000075e57d18
            """
        let listeners = ProcNetTCP.listeners(text)
        #expect(listeners.map(\.port) == [2024, 9221])
        #expect(listeners[1].inode == 55321)
        #expect(listeners[1].isLoopback)
        #expect(listeners[0].isWildcard)
        #expect(!listeners[0].isLoopback)
    }
}
