import Foundation
import HeapwatchCore

/// The snapshots node writes on its own when started with `--heapsnapshot-near-heap-limit=N`: up
/// to N as its heap nears its limit, in `--diagnostic-dir` or the cwd, named like SIGUSR2 ones
/// (checked with Node 20: `--max-old-space-size=40 --heapsnapshot-near-heap-limit=2` wrote 116 MB
/// and 234 MB, raising the limit for each, then died of it 20 s after the start). They are the
/// best evidence of the leak, they hold secrets, and a crash loop fills the app's disk with them:
/// heapwatchd collects each into its store, as it does a late SIGUSR2 snapshot (`LateSnapshots`),
/// where retention bounds them and the analysis diffs them with the earlier snapshots.
///
/// The directory is held open from the first look, so a file node wrote just before it died is
/// still found after `/proc/PID/cwd` has gone. Files the process wrote before that first look (it
/// ran before heapwatchd did, or before a restart) are taken up too, unless already stored: a file
/// changed since the process started, named with its pid, is its own — an earlier process with
/// that pid had ended before it began.
struct OwnSnapshotWatch: Sendable {
    /// `OwedSnapshot.method` of such a snapshot.
    static let method = "near_heap_limit"

    let directory: HeldDirectory
    let procRelative: String
    let shownDirectory: String
    let sharesOurRoot: Bool
    /// Snapshot files of the pid not to be taken: there at the first look but older than the
    /// process or already stored, or handed on since.
    private(set) var known: Set<String>
    /// Files of this process that were there at the first look and are not yet handed on.
    private(set) var leftBefore: Set<String>
    /// Whether its cgroup was checked for room to write them (`Monitor.warnIfTooTightForOwnSnapshots`).
    var tightnessChecked = false

    /// A file's modification may be this much older than the process's start time, read to the
    /// clock tick from a boot time, and still not be the process's.
    static let startMargin = 1.0

    /// Whether a snapshot file named with the process's pid is the process's own: changed after
    /// it started (ages in seconds, now).
    static func writtenByThisInstance(fileAge: Double, processAge: Double) -> Bool {
        fileAge < processAge - startMargin
    }

    /// Opens where `identity`'s node writes its snapshots; throws when heapwatchd cannot read it.
    /// `stored`: where the instance's stored snapshots came from, as the process saw them.
    init(procFS: ProcFS, identity: ProcessIdentity, flags: NodeFlags, stored: Set<String>) throws(SystemError) {
        procRelative = Capturer.snapshotDirectory(flags)
        let path = "\(procFS.root)/\(identity.pid)/\(procRelative)"
        directory = try HeldDirectory(path)
        let shown = SnapshotStore.pathInProcess(path)
        shownDirectory = shown
        sharesOurRoot = Capturer.sharesOurRoot(procFS, identity.pid)
        let names = try Capturer.nodeSnapshots(in: directory.path, pid: identity.pid)
        let processAge = try? procFS.age(of: identity)
        let now = Date().timeIntervalSince1970
        let held = directory.path
        leftBefore = Set(names.filter { name in
            guard let processAge, !stored.contains(shown + "/" + name),
                  let info = try? Sys.fileStatus(held + "/" + name) else { return false }
            let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
            return Self.writtenByThisInstance(fileAge: now - modified, processAge: processAge)
        })
        known = Set(names).subtracting(leftBefore)
    }

    /// A file node began since the last look, or one it left before the first, to be collected
    /// when it is complete (or removed if it never will be); nil when there is none. `leftBefore`
    /// says which.
    mutating func newSnapshot(origin: SnapshotOrigin, process: ProcessDirectory?,
                              token: Int) -> (pending: PendingSignalSnapshot, leftBefore: Bool)? {
        guard let name = Capturer.newSnapshot(in: directory.path, pid: origin.identity.pid, before: known) else { return nil }
        let owed = OwedSnapshot(origin: origin, automatic: false, procRelative: procRelative, shownDirectory: shownDirectory,
                                sharesOurRoot: sharesOurRoot, before: known, expires: Date().addingTimeInterval(3600),
                                method: Self.method)
        known.insert(name)
        let left = leftBefore.remove(name) != nil
        return (PendingSignalSnapshot(owed: owed, token: token, process: process, directory: directory), left)
    }

    /// Takes the files there now as known: after a capture of heapwatchd's own, whose original a
    /// failed removal may have left behind.
    mutating func relist(pid: Int32) {
        known.formUnion((try? Capturer.nodeSnapshots(in: directory.path, pid: pid)) ?? [])
    }
}
