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
/// still found after `/proc/PID/cwd` has gone.
struct OwnSnapshotWatch: Sendable {
    /// `OwedSnapshot.method` of such a snapshot.
    static let method = "near_heap_limit"

    let directory: HeldDirectory
    let procRelative: String
    let shownDirectory: String
    let sharesOurRoot: Bool
    /// Snapshot files of the pid that were there at the first look, or were handed on since.
    private(set) var known: Set<String>

    /// Opens where `identity`'s node writes its snapshots; throws when heapwatchd cannot read it.
    init(procFS: ProcFS, identity: ProcessIdentity, flags: NodeFlags) throws(SystemError) {
        procRelative = Capturer.snapshotDirectory(flags)
        let path = "\(procFS.root)/\(identity.pid)/\(procRelative)"
        directory = try HeldDirectory(path)
        shownDirectory = SnapshotStore.pathInProcess(path)
        sharesOurRoot = Capturer.sharesOurRoot(procFS, identity.pid)
        known = Set(try Capturer.nodeSnapshots(in: directory.path, pid: identity.pid))
    }

    /// A file node began since the last look, to be collected when it is complete (or removed if
    /// it never will be); nil when there is none.
    mutating func newSnapshot(origin: SnapshotOrigin, process: ProcessDirectory?, token: Int) -> PendingSignalSnapshot? {
        guard let name = Capturer.newSnapshot(in: directory.path, pid: origin.identity.pid, before: known) else { return nil }
        let owed = OwedSnapshot(origin: origin, automatic: false, procRelative: procRelative, shownDirectory: shownDirectory,
                                sharesOurRoot: sharesOurRoot, before: known, expires: Date().addingTimeInterval(3600),
                                method: Self.method)
        known.insert(name)
        return PendingSignalSnapshot(owed: owed, token: token, process: process, directory: directory)
    }

    /// Takes the files there now as known: after a capture of heapwatchd's own, whose original a
    /// failed removal may have left behind.
    mutating func relist(pid: Int32) {
        known.formUnion((try? Capturer.nodeSnapshots(in: directory.path, pid: pid)) ?? [])
    }
}
