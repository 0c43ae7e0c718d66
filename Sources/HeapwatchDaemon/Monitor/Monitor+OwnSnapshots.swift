import HeapwatchCore
import HeapwatchTrend
import Logging

/// The snapshots node writes on its own near its heap limit (`OwnSnapshotWatch`): found at the
/// monitor's ticks, collected by the late snapshots' collector.
extension Monitor {
    /// The watch for a process started with `--heapsnapshot-near-heap-limit=N`, N > 0; nil for
    /// any other, or when heapwatchd cannot read where node writes them (said in a warning).
    /// `stored`: where the instance's stored snapshots came from (`SnapshotManifest.originalPath`).
    func ownSnapshotWatch(identity: ProcessIdentity, flags: NodeFlags, target: String, stored: Set<String>) -> OwnSnapshotWatch? {
        guard lateSnapshots != nil, let count = flags.heapsnapshotNearHeapLimit, count > 0 else { return nil }
        let metadata = fields(target, identity)
        do {
            let watch = try OwnSnapshotWatch(procFS: procFS, identity: identity, flags: flags, stored: stored)
            let message = "\(target) pid \(identity.pid) writes up to \(count) heap snapshot\(count == 1 ? "" : "s") of its own near its heap limit "
                + "(--heapsnapshot-near-heap-limit): heapwatchd moves each from \(watch.shownDirectory) into its store"
            logger.info("\(message)", metadata: metadata)
            return watch
        } catch {
            let message = "\(target) pid \(identity.pid) writes heap snapshots of its own near its heap limit "
                + "(--heapsnapshot-near-heap-limit), but heapwatchd cannot read where (\(error)): they stay in the app's "
                + "directory, and they hold secrets"
            logger.warning("\(message)", metadata: metadata)
            return nil
        }
    }

    /// Once, at its first sample (its cgroup's limit and V8 heap limit judged): a warning when its
    /// cgroup is too tight for node to write its own snapshots (`CaptureSafety.nearHeapLimitRisk`).
    func warnIfTooTightForOwnSnapshots(_ process: inout WatchedProcess, target: TargetConfig) {
        guard process.ownSnapshots?.tightnessChecked == false else { return }
        process.ownSnapshots?.tightnessChecked = true
        guard let heapLimit = process.judgedLimits.v8HeapLimitBytes,
              let risk = CaptureSafety.nearHeapLimitRisk(heapLimitBytes: UInt64(heapLimit), cgroupLimit: process.cgroupLimits.limitBytes,
                                                         factor: target.headroomFactor) else { return }
        logger.warning("\(target.name) pid \(process.identity.pid) writes heap snapshots of its own near its heap limit, but \(risk)",
                       metadata: fields(target.name, process.identity))
    }

    /// Hands a snapshot node began on its own since the last look to the collector, which stores
    /// it once node has closed it (or removes it if the process died while writing). Not while a
    /// capture of heapwatchd's own runs or is owed: that file is the capture's.
    func lookForOwnSnapshot(_ process: inout WatchedProcess, target: String) {
        // At every tick: nothing (not even the collector's lock) for a process without the flag.
        guard var watch = process.ownSnapshots, let lateSnapshots, !process.capturing,
              !lateSnapshots.owes(process.identity) else { return }
        let origin = SnapshotOrigin(target: target, identity: process.identity, reason: CaptureReason.heapLimit.rawValue,
                                    rssBytes: process.status.rssBytes, anonBytes: process.status.anonBytes,
                                    slopeBytesPerHour: process.assessment.slopeBytesPerHour)
        if let (pending, leftBefore) = watch.newSnapshot(origin: origin, process: process.directory, token: captureTokens + 1) {
            captureTokens += 1
            lateSnapshots.watch(pending)
            process.ownSnapshotsBegun.append(now)
            let message = leftBefore
                ? "\(target) pid \(process.identity.pid) wrote a heap snapshot of its own near its heap limit "
                    + "(--heapsnapshot-near-heap-limit) in \(watch.shownDirectory) before heapwatchd watched it: heapwatchd stores it"
                : "\(target) pid \(process.identity.pid) is writing a heap snapshot of its own near its heap limit "
                    + "(--heapsnapshot-near-heap-limit) in \(watch.shownDirectory): heapwatchd stores it when it is done"
            logger.notice("\(message)", metadata: fields(target, process.identity))
        }
        process.ownSnapshots = watch
    }
}
