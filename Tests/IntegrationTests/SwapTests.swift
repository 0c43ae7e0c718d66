import Foundation
import HeapwatchCore
import HeapwatchTrend
import Logging
import Testing
import TestSupport
@testable import HeapwatchDaemon

/// A leak the kernel moves out to swap: `RssAnon` stays put under memory pressure while `VmSwap`
/// grows. This host has no swap, so the process is a fixture /proc tree, rewritten each tick.
@Suite("Swap")
struct SwapTests {
    static let mib: UInt64 = 1 << 20
    static let pid: Int32 = 4242
    static let memAvailableKiB: UInt64 = 1_000_000

    /// A fixture /proc with one node process and `/proc/meminfo`.
    struct FixtureProc {
        let root: String

        init(in directory: String) throws {
            root = directory + "/proc"
            let tag = "swap-fixture"
            let process = root + "/\(SwapTests.pid)"
            try FileManager.default.createDirectory(atPath: process, withIntermediateDirectories: true)
            // Fields 3 (state) and 4 (ppid), 17 more, then 22: the start time.
            let stat = "\(SwapTests.pid) (node) S 1 " + String(repeating: "0 ", count: 17) + "123456 0 0\n"
            try stat.write(toFile: process + "/stat", atomically: true, encoding: .utf8)
            try Data("node\0/srv/app.js\0\(tag)\0".utf8).write(to: URL(fileURLWithPath: process + "/cmdline"))
            try Data().write(to: URL(fileURLWithPath: process + "/environ"))
            try "0::/system.slice/app.service\n".write(toFile: process + "/cgroup", atomically: true, encoding: .utf8)
            try "MemTotal:        4000000 kB\nMemAvailable:    \(SwapTests.memAvailableKiB) kB\nSwapTotal:       2000000 kB\n"
                .write(toFile: root + "/meminfo", atomically: true, encoding: .utf8)
        }

        /// A monitor of this tree alone, watching the process (without capturing, by default).
        func monitor(clock: ManualClock, logger: Logger = Logger(label: "test"), targetKeys: String = #"capture = "none""#)
            throws -> Monitor<ManualClock> {
            let config = try ConfigLoader.parse("""
                [[target]]
                name = "app"
                command = "swap-fixture"
                \(targetKeys)
                """, file: "swap.toml")
            return Monitor(config: config, procFS: ProcFS(root: root), cgroups: CgroupReader(mounts: []), clock: clock,
                           events: EventHub(), logger: logger)
        }

        /// The process's sizes now, in KiB: `status` and `statm` agree on RSS and anon.
        func write(rssKiB: UInt64, anonKiB: UInt64, swapKiB: UInt64) throws {
            let process = root + "/\(SwapTests.pid)"
            try """
                Name:\tnode
                Gid:\t1000\t1000\t1000\t1000
                VmRSS:\t\(rssKiB) kB
                RssAnon:\t\(anonKiB) kB
                VmSwap:\t\(swapKiB) kB
                SigCgt:\t0000000100004e02

                """.write(toFile: process + "/status", atomically: true, encoding: .utf8)
            let page = ProcFS.pageSize / 1024
            try "100000 \(rssKiB / page) \((rssKiB - anonKiB) / page) 10 0 5000 0\n"
                .write(toFile: process + "/statm", atomically: true, encoding: .utf8)
        }
    }

    /// 120 MiB/h going to swap while anon holds at 300 MiB: `leaking` within 20 minutes, the swap
    /// shown as it is at every tick (statm, the cheap file, has none: on a host with swap the monitor
    /// reads status each tick), the floor counting it,
    /// and the host's limit holding the swapped-out part (RSS + swap + MemAvailable).
    @Test func aLeakThatGoesToSwapIsLeaking() async throws {
        let directory = try TempDirectory()
        let proc = try FixtureProc(in: directory.path)
        let clock = ManualClock()
        let records = LogRecords()
        let monitor = try proc.monitor(clock: clock, logger: Logger(label: "test") { _ in RecordingLogHandler(records: records) })

        let tick = 5.0
        let anonKiB: UInt64 = 300 * 1024
        var leakingAt: Double?
        var row: TargetStatus?
        for step in 0..<(40 * 60 / 5) {
            let elapsed = Double(step) * tick
            let swapKiB = UInt64(elapsed / 3600 * 120 * 1024)
            // A small sawtooth on anon: the heap between collections.
            let anon = anonKiB + UInt64(step % 4) * 1024
            try proc.write(rssKiB: anon + 40 * 1024, anonKiB: anon, swapKiB: swapKiB)
            _ = await monitor.tick()
            row = await monitor.statusRows().first { $0.pid == Self.pid }
            #expect(row?.swapBytes == swapKiB * 1024, "tick \(step): the swap shown is this tick's")
            #expect(row?.anonBytes == anon * 1024)
            if leakingAt == nil, row?.state == "leaking" { leakingAt = elapsed }
            clock.advance(by: .seconds(tick))
        }
        let last = try #require(row)
        let detected = try #require(leakingAt, "never leaking; ended \(last.state)")
        #expect(detected <= 20 * 60)
        #expect(last.state == "leaking")
        let slope = try #require(last.slopeBytesPerHour)
        #expect(abs(slope - 120 * Double(Self.mib)) < 20 * Double(Self.mib), "slope \(slope)")
        // The floor is anon's (300 MiB, the sawtooth's bottom) plus the ~78 MiB in swap by now.
        let floor = try #require(last.floorBytes)
        let swapNow = Double(try #require(last.swapBytes))
        #expect(abs(floor - (300 * Double(Self.mib) + swapNow)) < 10 * Double(Self.mib), "floor \(floor), swap \(swapNow)")
        #expect(last.etaLimit == .host)
        let rss = try #require(last.rssBytes)
        #expect(last.etaLimitBytes == rss + UInt64(swapNow) + Self.memAvailableKiB * 1024)
        // The journal line says where the memory went (`RSS 340MiB + 30MiB in swap growing 120MiB/h`),
        // and its SWAP_BYTES field how much.
        let entered = try #require(records.all.first { $0.message.contains("→ leaking") }, "\(records.all.map(\.message))")
        #expect(entered.message.contains("RSS 34") && entered.message.contains(" in swap growing "), "\(entered.message)")
        let swapField: String? = entered.metadata["SWAP_BYTES"].map { "\($0)" }
        #expect((swapField.flatMap { UInt64($0) } ?? 0) > 0, "\(entered.metadata)")
        #expect(entered.metadata["RSS_BYTES"] != nil)
        // And the history keeps it.
        #expect(await monitor.historySamples().map(\.swapBytes) == [UInt64(swapNow)])
    }

    /// The real heapwatchd and heapwatchctl on the fixture tree (`--proc-root`): `status` has a SWAP
    /// column only once a process has memory in swap, and JSON `swap_bytes` all along. Each tick's
    /// systemd STATUS line says when the daemon has seen the process, and then its swap.
    @Test func theStatusTableShowsSwapOnlyWhenThereIsSome() throws {
        let scratch = try TempDirectory()
        let proc = try FixtureProc(in: scratch.path)
        try proc.write(rssKiB: 340 * 1024, anonKiB: 300 * 1024, swapKiB: 0)
        let daemon = try DaemonUnderTest(targets: """
            [[target]]
            name = "app"
            command = "swap-fixture"
            capture = "none"
            """, interval: DaemonUnderTest.fastInterval, arguments: ["--proc-root", proc.root])
        func row() throws -> [String: Any]? {
            let rows = try daemon.statusJSON()["targets"] as? [[String: Any]] ?? []
            return rows.first { $0["pid"] as? Int == Int(Self.pid) }
        }
        try daemon.notify.waitFor(timeout: 30) { $0.hasPrefix("STATUS=1 process; app ") }
        #expect(try row()?["swap_bytes"] as? Int == 0)
        let before = try daemon.ctl(["status"])
        #expect(before.status == 0 && before.stdout.contains("ANON    LIMIT"), "\(before.stdout)")
        #expect(!before.stdout.contains("SWAP"), "\(before.stdout)")

        try proc.write(rssKiB: 290 * 1024, anonKiB: 250 * 1024, swapKiB: 50 * 1024)
        try daemon.notify.waitFor(timeout: 30) { $0.hasPrefix("STATUS=1 process; app 290MiB+50MiB swap ") }
        #expect(try row()?["swap_bytes"] as? Int == 50 << 20)
        let after = try daemon.ctl(["status"]).stdout
        let lines = after.split(separator: "\n")
        let header = try #require(lines.first { $0.hasPrefix("TARGET") })
        #expect(header.contains("ANON    SWAP"), "\(after)")
        let line = try #require(lines.first { $0.hasPrefix("app ") })
        #expect(line.contains("250MiB  50MiB"), "\(after)")
        #expect(try daemon.stop() == 0)
    }

    /// Pages of a flat process pushed out to swap by another's pressure are not memory freed: the
    /// floor stays where it was and nothing is reported.
    @Test func pagesMovedToSwapAreNotMemoryFreed() async throws {
        let directory = try TempDirectory()
        let proc = try FixtureProc(in: directory.path)
        let clock = ManualClock()
        let monitor = try proc.monitor(clock: clock)
        let heldKiB: UInt64 = 600 * 1024
        var states = Set<String>()
        var row: TargetStatus?
        for step in 0..<(60 * 60 / 5) {
            let elapsed = Double(step) * 5
            // From minute 25 to 35, 200 MiB of the heap moves out to swap; then it stays there.
            let moved = UInt64(min(1, max(0, (elapsed - 1500) / 600)) * 200 * 1024)
            let anon = heldKiB - moved + UInt64(step % 4) * 1024
            try proc.write(rssKiB: anon + 40 * 1024, anonKiB: anon, swapKiB: moved)
            _ = await monitor.tick()
            row = await monitor.statusRows().first { $0.pid == Self.pid }
            states.insert(row?.state ?? "")
            clock.advance(by: .seconds(5))
        }
        let last = try #require(row)
        #expect(last.swapBytes == 200 * Self.mib)
        #expect(!states.contains("leaking") && !states.contains("growing"), "\(states)")
        let floor = try #require(last.floorBytes)
        #expect(abs(floor - 600 * Double(Self.mib)) < 10 * Double(Self.mib), "floor \(floor)")
        #expect(last.state == "ok")
    }
}
