import Foundation
import HeapwatchCore
import Logging
@testable import HeapwatchDaemon
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif


extension IntegrationSuite {
    /// The I/O shell's readers: real processes where reality can be made on demand, fixture trees
    /// for what this host cannot show (cgroup v2 memory files on a v1-memory host).
    struct SystemReaderTests {
        @Test func aVanishedProcessEndsItsInstanceWithESRCH() throws {
            let child = try Child("/bin/sleep", ["30"])
            let procFS = ProcFS()
            let stat = try procFS.stat(child.pid)
            let directory = try ProcessDirectory(procFS: procFS, identity: ProcessIdentity(pid: child.pid, startTime: stat.startTime))
            #expect(try directory.status().name == "sleep")
            child.signal(SIGKILL)
            _ = try child.waitForExit(timeout: 10)
            #expect {
                try directory.status()
            } throws: { error in
                (error as? SystemError)?.processGone == true
            }
        }

        @Test func statmGivesTheSizesStatusGives() throws {
            let child = try Child("/bin/sleep", ["30"])
            let procFS = ProcFS()
            let directory = try ProcessDirectory(procFS: procFS, identity: ProcessIdentity(pid: child.pid, startTime: try procFS.stat(child.pid).startTime))
            // The child may still be starting (faulting pages in) between the two reads: they must
            // agree once it sits in its sleep.
            var last = "no reading"
            do {
                try eventually(timeout: 10) {
                    guard let statm = try? directory.statm(), let status = try? directory.status() else { return false }
                    last = "statm \(statm.residentBytes)/\(statm.anonBytes), status \(status.rssBytes)/\(status.anonBytes)"
                    return statm.residentBytes == status.rssBytes && statm.anonBytes == status.anonBytes
                }
            } catch {
                Issue.record("statm and status never agreed on resident/anonymous bytes: \(last)")
            }
        }

        /// The list of owed snapshots an earlier run kept is read back; a damaged one is named in a
        /// warning and replaced, and the daemon goes on (a bad file must not stop it starting).
        @Test func aDamagedListOfOwedSnapshotsIsReportedAndReplaced() throws {
            let directory = try TempDirectory()
            let file = try directory.write("{\"not\": \"a list\"", to: "late-snapshots.json")
            let records = LogRecords()
            let late = LateSnapshots(file: file, logger: Logger(label: "test") { _ in RecordingLogHandler(records: records) })
            late.restore(procFS: ProcFS())
            #expect(late.all().isEmpty)
            let warning = try #require(records.all.first { $0.level == .warning }, "\(records.all)")
            #expect(warning.message.hasPrefix("ignored \(file), the snapshots an earlier run was still owed: "), "\(warning.message)")
            #expect(!FileManager.default.fileExists(atPath: file))
        }

        /// An owed snapshot of a process that has exited, in a directory this daemon cannot see (the
        /// process had its own root): nothing can be collected, so the warning says where to look.
        @Test func anOwedSnapshotOutOfReachIsNamedInAWarning() throws {
            let child = try Child("/bin/sleep", ["30"])
            let identity = ProcessIdentity(pid: child.pid, startTime: try ProcFS().stat(child.pid).startTime)
            child.signal(SIGKILL)
            _ = try child.waitForExit(timeout: 10)
            let directory = try TempDirectory()
            let record = OwedSnapshot(
                origin: SnapshotOrigin(target: "api", identity: identity, reason: "near_limit", rssBytes: 1, anonBytes: 1),
                automatic: true, procRelative: "cwd", shownDirectory: "/srv/api", sharesOurRoot: false, before: [],
                expires: Date().addingTimeInterval(600))
            let file = try directory.write(Data(try JSONEncoder().encode([record])), to: "late-snapshots.json")
            let records = LogRecords()
            let late = LateSnapshots(file: file, logger: Logger(label: "test") { _ in RecordingLogHandler(records: records) })
            late.restore(procFS: ProcFS())
            #expect(late.all().isEmpty)
            let warning = try #require(records.all.first { $0.level == .warning }, "\(records.all)")
            #expect(warning.message.hasPrefix("pid \(identity.pid) of api, which owes the snapshot an earlier heapwatchd asked for (SIGUSR2), "
                + "exited, and heapwatchd cannot see /srv/api from here: if a file Heap.*.\(identity.pid).*.heapsnapshot is there"),
                "\(warning.message)")
            #expect(!FileManager.default.fileExists(atPath: file))
        }

        @Test func aWrongStartTimeIsNotOurProcess() throws {
            let child = try Child("/bin/sleep", ["30"])
            let stat = try ProcFS().stat(child.pid)
            #expect(throws: SystemError.self) {
                try ProcessDirectory(procFS: ProcFS(), identity: ProcessIdentity(pid: child.pid, startTime: stat.startTime + 1))
            }
        }

        @Test func theSignallerRefusesAReusedPid() throws {
            let child = try Child("/bin/sleep", ["30"])
            let stat = try ProcFS().stat(child.pid)
            let signaller = PidfdSignaller(procFS: ProcFS())
            #expect(throws: SystemError.self) {
                try signaller.send(SIGKILL, to: ProcessIdentity(pid: child.pid, startTime: stat.startTime + 1))
            }
            #expect(child.isRunning)
            try signaller.send(SIGKILL, to: ProcessIdentity(pid: child.pid, startTime: stat.startTime))
            #expect(try child.waitForExit(timeout: 10) == SIGKILL)
            #expect(child.process.terminationReason == .uncaughtSignal)
        }

        @Test func readsCgroupV2LimitsFromAFixtureTree() throws {
            let root = try TempDirectory()
            let leaf = root.path + "/system.slice/api.service"
            try FileManager.default.createDirectory(atPath: leaf, withIntermediateDirectories: true)
            try "max\n".write(toFile: root.path + "/memory.max", atomically: true, encoding: .utf8)
            try "1073741824\n".write(toFile: root.path + "/system.slice/memory.max", atomically: true, encoding: .utf8)
            try "805306368\n".write(toFile: root.path + "/system.slice/memory.high", atomically: true, encoding: .utf8)
            try "2147483648\n".write(toFile: leaf + "/memory.max", atomically: true, encoding: .utf8)
            try "max\n".write(toFile: leaf + "/memory.high", atomically: true, encoding: .utf8)
            try "314572800\n".write(toFile: leaf + "/memory.current", atomically: true, encoding: .utf8)
            let reader = CgroupReader(mounts: [CgroupMount(version: .v2, mountPoint: root.path, root: "/")])
            let memory = reader.memory(of: CgroupMembership(unifiedPath: "/system.slice/api.service"))
            // The parent's 1 GiB limit binds, not the leaf's 2 GiB.
            #expect(memory.limitBytes == 1_073_741_824)
            #expect(memory.highBytes == 805_306_368)
            #expect(memory.usageBytes == 314_572_800)
            // What sampling reads: the same limits, no usage.
            #expect(reader.limits(of: CgroupMembership(unifiedPath: "/system.slice/api.service"))
                    == CgroupMemory(limitBytes: 1_073_741_824, highBytes: 805_306_368))
            #expect(reader.memory(of: CgroupMembership(unifiedPath: "/")) == CgroupMemory(limitBytes: nil, highBytes: nil, usageBytes: nil))
        }

        @Test(.enabled(if: (try? ProcFS().cgroupMounts().contains { $0.version == .v1Memory }) == true,
                       "this host has no cgroup v1 memory controller (the v2 reader is tested on a fixture tree)"))
        func readsThisHostsCgroupV1Memory() throws {
            let procFS = ProcFS()
            let mounts = try procFS.cgroupMounts()
            let membership = try procFS.cgroup(getpid())
            let memory = CgroupReader(mounts: mounts).memory(of: membership)
            #expect((memory.usageBytes ?? 0) > 0)
        }

        /// The V8 default heap heapwatch assumes for a process without `--max-old-space-size` is the
        /// one node really has here.
        @Test func v8DefaultHeapIsNodesOwn() throws {
            let procFS = ProcFS()
            let own = CgroupReader(mounts: try procFS.cgroupMounts()).limits(of: try procFS.cgroup(getpid())).limitBytes
            let memory = [try procFS.memTotal(), own].compactMap { $0 }.min()!
            let node = try Tool.run("/usr/bin/env", ["node", "-e", "console.log(require('v8').getHeapStatistics().heap_size_limit)"])
            #expect(node.status == 0, "\(node.stderr)")
            #expect(UInt64(node.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) == V8Defaults.heapSizeLimitBytes(memoryBytes: memory))
        }

        @Test func memoryLimitsKeepTheirValues() {
            let limits = WatchedProcess.memoryLimits(cgroup: CgroupMemory(limitBytes: 268_435_456, highBytes: 200_000_000),
                                                     rssMax: 100_000_000, heapLimit: nil, maxOldSpaceSizeMiB: 512)
            #expect(limits.cgroupBytes == 268_435_456)
            #expect(limits.cgroupHighBytes == 200_000_000)
            #expect(limits.rssMaxBytes == 100_000_000)
            #expect(limits.v8HeapLimitBytes == Double(512 * 1024 * 1024))
            let measured = WatchedProcess.memoryLimits(cgroup: CgroupMemory(), rssMax: nil, heapLimit: 4_345_298_944, maxOldSpaceSizeMiB: 512)
            #expect(measured.v8HeapLimitBytes == 4_345_298_944)
            #expect(measured.cgroupBytes == nil)
            // Neither measured nor set: V8's default.
            let assumed = WatchedProcess.memoryLimits(cgroup: CgroupMemory(), rssMax: nil, heapLimit: nil, maxOldSpaceSizeMiB: nil,
                                                      defaultOldSpaceBytes: 2048 << 20)
            #expect(assumed.v8HeapLimitBytes == Double(2048 << 20))
            let flagged = WatchedProcess.memoryLimits(cgroup: CgroupMemory(), rssMax: nil, heapLimit: nil, maxOldSpaceSizeMiB: 512,
                                                      defaultOldSpaceBytes: 2048 << 20)
            #expect(flagged.v8HeapLimitBytes == Double(512 << 20))
        }

        @Test func snapshotCompletenessLooksAtTheEnd() throws {
            let directory = try TempDirectory()
            try directory.write("{\"snapshot\":{},\"strings\":[\"a\"]}\n", to: "whole")
            try directory.write("{\"snapshot\":{},\"strings\":[\"a\"", to: "cut")
            try directory.write("", to: "empty")
            #expect(Capturer.endsLikeSnapshot(directory.file("whole")))
            #expect(!Capturer.endsLikeSnapshot(directory.file("cut")))
            #expect(!Capturer.endsLikeSnapshot(directory.file("empty")))
            #expect(!Capturer.endsLikeSnapshot(directory.file("missing")))
        }
    }
}
