import HeapwatchCore
import HeapwatchHistory
import HeapwatchTrend
import Logging

/// The end of a watched process: how it most likely ended (`ProcessEnd`), said where on-call
/// looks. One that died of memory is a warning and an `out_of_memory` event with what heapwatchd
/// knew of it at the end and where its snapshots are; any other exit is an info line.
extension Monitor {
    func ended(_ watchedProcess: WatchedProcess, target: String) {
        var process = watchedProcess
        // A snapshot node finished just before it died is still collected.
        lookForOwnSnapshot(&process, target: target)
        let identity = process.identity
        let after = OOMKillCounts(cgroup: cgroups.oomKills(of: process.cgroup), host: procFS.hostOOMKills())
        let time = now
        let end = ProcessEnd.judge(before: process.oomKills, after: after, heapUsedBytes: process.currentHeap(now: time)?.heapUsed,
                                   heapLimitBytes: process.judgedLimits.v8HeapLimitBytes.map { UInt64($0) },
                                   recentOwnSnapshots: process.ownSnapshotsBegun.filter { time - $0 <= ProcessEnd.ownSnapshotHorizon }.count)
        var metadata = fields(target, identity)
        guard let cause = end.cause else {
            logger.info("\(target) pid \(identity.pid) exited", metadata: metadata)
            return
        }
        // What is said after `TARGET pid PID `, which `status` shows under the target's name.
        let said = "\(end.sentence); \(lastSeen(process, target: config.targets[process.targetIndex])); \(evidence(of: identity, target: target))"
        let message = "\(target) pid \(identity.pid) \(said)"
        metadata[LogField.messageID] = "\(MessageID.outOfMemory)"
        metadata[LogField.cause] = "\(cause)"
        metadata[LogField.rssBytes] = "\(process.status.rssBytes)"
        metadata[LogField.state] = "\(process.assessment.state.rawValue)"
        logger.warning("\(message)", metadata: metadata)
        lastDeaths[target] = (identity.pid, cause, time, said)
        events.publish(DaemonEvent(kind: .outOfMemory, target: target, pid: identity.pid, message: message,
                                   state: process.assessment.state.rawValue, rssBytes: process.status.rssBytes,
                                   slopeBytesPerHour: process.assessment.slopeBytesPerHour, etaSeconds: process.assessment.etaSeconds,
                                   cause: cause))
    }

    /// How long `status` shows a death of memory (this run's, or one a restart read back from the history).
    static var deathsKeptSeconds: Double { 86400 }

    /// The deaths of memory an earlier run recorded in the history (`out_of_memory` events of the
    /// last day, oldest first): each target's latest one, for `status`.
    public func seedDeaths(_ events: [HistoryEvent], wallNow: Double) {
        let time = now
        for event in events where event.kind == .outOfMemory {
            guard let target = event.target, let pid = event.pid, let cause = event.details?["cause"] else { continue }
            let prefix = "\(target) pid \(pid) "
            let message = event.message.hasPrefix(prefix) ? String(event.message.dropFirst(prefix.count)) : event.message
            lastDeaths[target] = (pid, cause, time - (wallNow - event.time), message)
        }
    }

    /// `last seen at RSS 148MiB (limit 150MiB), leaking, hits its cgroup limit (150MiB) in 20s`.
    private func lastSeen(_ process: WatchedProcess, target: TargetConfig) -> String {
        let limit = process.limitBytes(target: target).map { " (limit \(Units.formatBytes($0)))" } ?? ""
        let forecast = statusRow(process, snapshots: 0).forecastSentence.map { ", \($0)" } ?? ""
        return "last seen at RSS \(Units.formatBytes(process.status.rssBytes))\(limit), \(process.assessment.state.rawValue)\(forecast)"
    }

    /// Where the evidence is: its stored snapshots, one still being stored, or none.
    private func evidence(of identity: ProcessIdentity, target: String) -> String {
        let stored = capturesByInstance[identity]?.count ?? 0
        let owed = lateSnapshots?.owes(identity) == true
        switch (stored, owed) {
        case (0, false): return "no snapshot of it was stored"
        case (0, true): return "a snapshot of it is pending (stored if node finished it)"
        default:
            return "\(stored) snapshot\(stored == 1 ? "" : "s") of it stored\(owed ? " and one pending" : "")"
                + " (heapwatchctl report \(target) --pid \(identity.pid))"
        }
    }
}
