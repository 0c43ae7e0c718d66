import Foundation
import HeapwatchControl
import HeapwatchCore
import HeapwatchHistory
import Logging

/// Answers one control request. Decoding and authorization are pure (`ControlProtocol`,
/// `ControlAccessPolicy`); this type fetches the answers from the daemon's parts.
public struct ControlHandler<C: Clock>: Sendable where C.Duration == Duration {
    let context: DaemonContext
    let monitor: Monitor<C>
    let queue: CaptureQueue
    let reloader: Reloader<C>
    let procFS: ProcFS
    let history: HistoryBox
    let logger: Logger

    func reply(to line: [UInt8], peer: PeerCredentials?, policy: ControlAccessPolicy) async -> [UInt8] {
        let request: ControlRequest
        do {
            request = try ControlProtocol.decodeRequest(line)
        } catch {
            logger.info("control: bad request from pid \(peer.map { String($0.pid) } ?? "?"): \(error)")
            return ControlProtocol.errorReply(error.description)
        }
        guard let peer else { return ControlProtocol.errorReply("cannot read the peer's credentials") }
        var groups = (try? Sys.readText(procFS.path(peer.pid, "status"))).flatMap(ProcStatus.parse)?.groups ?? []
        groups.insert(peer.gid)
        guard policy.allows(request.command, peerUID: peer.uid, peerGroups: groups) else {
            logger.notice("control: uid \(peer.uid) (pid \(peer.pid)) may not '\(request.command.rawValue)'")
            return ControlProtocol.errorReply("permission denied: '\(request.command.rawValue)' needs root or the daemon's user"
                + (request.command.changesState ? "" : " or the socket's group"))
        }
        switch request.command {
        case .status:
            let counts = await context.store.counts()
            let rows = await monitor.statusRows(snapshotCounts: counts)
            return ControlProtocol.encode(StatusReply(version: HeapwatchVersion.current, intervalSeconds: await monitor.intervalSeconds, targets: rows))
        case .snapshots:
            let store = await context.store
            if let target = request.target, !(await context.config.targets.contains { $0.name == target }),
               store.list(target: target).isEmpty {
                return ControlProtocol.errorReply("no target named '\(target)' and no snapshots stored for it")
            }
            return ControlProtocol.encode(SnapshotsReply(snapshots: store.list(target: request.target)))
        case .snapshot:
            return await capture(request)
        case .history:
            return await historyReply(request)
        case .report:
            return await reportReply(request)
        case .prune:
            let deleted = await context.store.enforceRetention(protecting: [])
            return ControlProtocol.encode(PruneReply(deleted: deleted.map(\.path), freedBytes: deleted.reduce(0) { $0 + $1.bytes }))
        case .reload:
            if let errors = await reloader.reload() {
                return ControlProtocol.errorReply("config rejected, the running config stays in force:\n" + errors)
            }
            return ControlProtocol.encode(OKReply(message: "reloaded"))
        }
    }

    /// The newest report of the target, or of one of its processes (`pid`), with the other
    /// processes that have reports (cluster workers, or instances before a restart).
    private func reportReply(_ request: ControlRequest) async -> [UInt8] {
        let target = request.target ?? ""
        let notes = await context.analysisNotes[target] ?? [:]
        let reports = await context.store.reports(target: target)
        let shown = reports.first { request.pid == nil || $0.pid == request.pid }
        // Why a later snapshot of the process has no report of its own (yet); without a pid, that of
        // any process of the target when the shown one has none.
        let note = (request.pid ?? shown?.pid).flatMap { notes[$0] }
            ?? (request.pid == nil ? notes.min { $0.key < $1.key }?.value : nil)
        var others: [Int32] = []
        for report in reports where report.pid != shown?.pid && !others.contains(report.pid) { others.append(report.pid) }
        guard let shown, let data = try? Sys.readFile(shown.path),
              let report = try? JSONSerialization.jsonObject(with: Data(data)) else {
            let subject = request.pid.map { "'\(target)' pid \($0)" } ?? "'\(target)'"
            if let note { return ControlProtocol.errorReply("no analysis report for \(subject) yet: \(note)") }
            if request.pid != nil, !others.isEmpty {
                return ControlProtocol.errorReply("no analysis report for \(subject); there are reports of pid "
                    + others.map(String.init).joined(separator: ", ") + " (heapwatchctl report \(target) --pid PID)")
            }
            return ControlProtocol.errorReply("no analysis report for \(subject) yet: each snapshot is analyzed once it is stored, "
                + "and from the second snapshot of a process on the report says what grows (heapwatchctl snapshot \(target), "
                + "twice, some minutes apart), or run heapwatchctl analyze on snapshot files")
        }
        var object: [String: Any] = ["ok": true, "path": shown.path, "pid": Int(shown.pid), "report": report,
                                     "other_pids": others.map(Int.init)]
        object["note"] = note
        let encoded = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Array(encoded) + [UInt8(ascii: "\n")]
    }

    private func historyReply(_ request: ControlRequest) async -> [UInt8] {
        guard let store = await history.store else {
            return ControlProtocol.errorReply("history unavailable: \(await history.unavailableReason ?? "not open")")
        }
        let target = request.target ?? ""
        let now = Date().timeIntervalSince1970
        do {
            var reply = try await store.query(target: target, pid: request.pid, since: now - (request.sinceSeconds ?? 6 * 3600),
                                              until: now, maxPoints: request.maxPoints ?? 600)
            let rows = await monitor.statusRows()
                .filter { $0.name == target && $0.pid != nil && (request.pid == nil || $0.pid == request.pid) }
            reply.limitBytes = rows.compactMap(\.limitBytes).min() ?? reply.limitBytes
            if let line = await monitor.trendLine(target: target, pid: request.pid) {
                reply.trend = HistoryTrend(slopeBytesPerHour: line.slopeBytesPerHour, interceptBytes: line.floorBytes, interceptTime: now,
                                           startTime: now - line.spanSeconds, pid: line.pid)
            }
            return ControlProtocol.encode(HistoryOKReply(reply))
        } catch {
            return ControlProtocol.errorReply("history: \(error)")
        }
    }

    private func capture(_ request: ControlRequest) async -> [UInt8] {
        let job: CaptureJob
        switch await monitor.manualCapture(target: request.target, pid: request.pid) {
        case .failure(let error): return ControlProtocol.errorReply(error.description)
        case .success(let found): job = found
        }
        guard request.wait else {
            queue.enqueue(job)
            return ControlProtocol.encode(CaptureReply(status: "started", target: job.target, pid: job.identity.pid))
        }
        switch await queue.submit(job) {
        case .stored(let path, _):
            return ControlProtocol.encode(CaptureReply(status: "stored", target: job.target, pid: job.identity.pid, path: path))
        // Named: `snapshot TARGET` picks the target's largest process, which may not be the one meant.
        case .refused(let why):
            return ControlProtocol.encode(ErrorReply(error: "\(job.target) pid \(job.identity.pid): refused: " + why, refused: true))
        case .failed(let why):
            return ControlProtocol.errorReply("\(job.target) pid \(job.identity.pid): failed: " + why)
        }
    }
}
