import HeapwatchCore

/// What `status` shows of the watched processes.
extension Monitor {
    /// One row per watched process, and one `absent` row per target with none.
    public func statusRows(snapshotCounts: SnapshotCounts = SnapshotCounts()) -> [TargetStatus] {
        var rows = watched.values.sorted(by: { ($0.targetIndex, $0.identity.pid) < ($1.targetIndex, $1.identity.pid) }).map { process in
            let name = config.targets[process.targetIndex].name
            var row = statusRow(process, snapshots: snapshotCounts.of(name, process.identity))
            row.targetSnapshots = snapshotCounts.byTarget[name] ?? 0
            return row
        }
        for target in config.targets where !rows.contains(where: { $0.name == target.name }) {
            let stored = snapshotCounts.byTarget[target.name] ?? 0
            var row = TargetStatus(name: target.name, state: "absent", snapshots: stored)
            row.targetSnapshots = stored
            rows.append(row)
        }
        let time = now
        for index in rows.indices {
            guard let death = lastDeaths[rows[index].name], time - death.at <= Self.deathsKeptSeconds else { continue }
            rows[index].lastDeath = ProcessDeath(pid: death.pid, cause: death.cause, secondsAgo: time - death.at, message: death.message)
        }
        return rows
    }

    /// One watched process as `status` shows it.
    func statusRow(_ process: WatchedProcess, snapshots: Int) -> TargetStatus {
        let target = config.targets[process.targetIndex]
        let assessment = process.assessment
        var row = TargetStatus(
            name: target.name, pid: process.identity.pid, startTime: process.identity.startTime,
            rssBytes: process.status.rssBytes, anonBytes: process.status.anonBytes,
            limitBytes: process.limitBytes(target: target), slopeBytesPerHour: assessment.slopeBytesPerHour,
            state: assessment.state.rawValue, snapshots: snapshots,
            etaSeconds: assessment.etaSeconds, etaLowerSeconds: assessment.etaLowerSeconds,
            etaUpperSeconds: assessment.etaUpperSeconds, confidence: assessment.confidence,
            heapUsedBytes: process.currentHeap(now: now)?.heapUsed, lastCapture: process.lastCapture,
            finding: process.finding, floorBytes: assessment.floorBytes, etaLimit: assessment.etaLimit?.kind,
            etaLimitBytes: assessment.etaLimit.map { UInt64(max(0, $0.bytes)) },
            captureResidueBytes: Int64(assessment.captureResidueBytes), trendPaused: assessment.trendPaused,
            snapshotOwed: lateSnapshots?.owes(process.identity) ?? false,
            v8HeapLimitBytes: process.judgedLimits.v8HeapLimitBytes.map { UInt64($0) }, swapBytes: process.status.swapBytes)
        row.nextCapture = nextCapture(process, target: target)
        return row
    }
}
