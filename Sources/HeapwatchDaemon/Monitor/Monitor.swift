import HeapwatchCore
import HeapwatchHistory
import HeapwatchTrend
import Logging

/// Owns the set of watched processes: discovers them each tick, samples them, runs detection and
/// decides captures. The decisions themselves are pure (`TargetMatcher`, `TrendTracker`,
/// `CapturePlanner`); this actor holds their state and does the /proc reads.
public actor Monitor<C: Clock> where C.Duration == Duration {
    var config: HeapwatchConfig
    var matcher: TargetMatcher
    let procFS: ProcFS
    let cgroups: CgroupReader
    private let clock: C
    private let origin: C.Instant
    let logger: Logger
    let events: EventHub
    var watched: [ProcessIdentity: WatchedProcess] = [:]
    /// Processes looked at and not claimed, by pid: skipped while start time and comm stay the same
    /// (an `exec` changes comm, so `sh -c "exec node …"` is looked at again).
    var ignored: [Int32: (startTime: UInt64, comm: String)] = [:]
    /// When automatic captures of each target were stored (monitor seconds), for `max_captures_per_day`.
    var automaticCaptures: [String: [Double]] = [:]
    /// The stored captures of each process instance (monitor seconds, why, the file, and where it
    /// came from as the process saw it), seeded from the store at start and kept up to date: a
    /// planner made for the instance later (a restart, a reload that re-watches it) goes on from
    /// them instead of starting a new episode, its `status` row shows the newest as its last
    /// capture, and a file of node's own already stored is not taken up again.
    var capturesByInstance: [ProcessIdentity: [(reason: CaptureReason?, at: Double, path: String, original: String)]] = [:]
    /// Each target's latest process that died of memory (`ended`): pid, cause, when (monitor
    /// seconds), and what was said of it after `TARGET pid PID `.
    var lastDeaths: [String: (pid: Int32, cause: String, at: Double, message: String)] = [:]
    /// What an earlier run of the daemon recorded of each process instance (`seedHistory`), until
    /// the first discovery hands it to the instances still running.
    var resumable: [ProcessIdentity: (target: String, samples: [RecordedTrendSample])] = [:]
    /// The host's MemTotal, read once: V8 sizes a heap from it when no cgroup limit applies.
    private var memTotal: UInt64?
    /// When the daily cap was last logged per target, so it is said once an hour, not every tick.
    private var dailyCapLogged: [String: Double] = [:]
    public private(set) var lastTickCompleted: C.Instant?
    public private(set) var ticks = 0
    /// The last capture token handed out (`CaptureJob.token`).
    var captureTokens = 0
    /// The snapshots SIGUSR2 and HTTP captures that timed out are still owed.
    let lateSnapshots: LateSnapshots?
    /// `status` (signals, groups, exact sizes) and `cgroup` are read every this many ticks; `statm` in between.
    static var fullReadEvery: Int { 12 }

    public init(config: HeapwatchConfig, procFS: ProcFS, cgroups: CgroupReader, clock: C, events: EventHub, logger: Logger,
                lateSnapshots: LateSnapshots? = nil) {
        self.lateSnapshots = lateSnapshots
        self.events = events
        self.config = config
        self.matcher = TargetMatcher(targets: config.targets)
        self.procFS = procFS
        self.cgroups = cgroups
        self.clock = clock
        self.origin = clock.now
        self.logger = logger
    }

    /// Seconds since the monitor started, on the injected clock.
    var now: Double {
        origin.duration(to: clock.now).inSeconds
    }

    /// A new config: targets are matched afresh; processes that still match keep their history.
    public func apply(_ newConfig: HeapwatchConfig) {
        let oldTargets = config.targets
        config = newConfig
        matcher = TargetMatcher(targets: newConfig.targets)
        ignored.removeAll()
        for (identity, process) in watched {
            let oldName = oldTargets[process.targetIndex].name
            guard let index = newConfig.targets.firstIndex(where: { $0.name == oldName }),
                  newConfig.targets[index] == oldTargets[process.targetIndex] else {
                watched[identity] = nil
                continue
            }
            if index != process.targetIndex {
                watched[identity] = nil
            }
        }
    }

    /// One round: discover, sample, assess. Returns the automatic captures decided this tick.
    public func tick() -> [CaptureJob] {
        discover()
        var jobs: [CaptureJob] = []
        let time = now
        // Processes of one service share a cgroup: its limits are read once per full read, as is
        // its OOM-kill counter; the host's counter once in a tick with full reads (`ProcessEnd`).
        var limitsByCgroup: [CgroupMembership: CgroupMemory] = [:]
        var oomKillsByCgroup: [CgroupMembership: UInt64?] = [:]
        var hostOOMKills: UInt64?? = nil
        // The host's free memory, once a tick, for the forecast's host limit; its size, once.
        let host = watched.isEmpty ? nil : try? procFS.hostMemory()
        let memAvailable = host?.available
        let hostSwaps = (host?.swapTotal ?? 0) > 0
        if memTotal == nil, !watched.isEmpty { memTotal = try? procFS.memTotal() }
        for identity in watched.keys.sorted(by: { $0.pid < $1.pid }) {
            guard var process = watched[identity] else { continue }
            let target = config.targets[process.targetIndex]
            var gone = false
            do {
                // statm each tick (the sizes); status, cgroup and its limits, the costly files, every few ticks.
                // statm has no swap: on a host with swap, status is read each tick, the costlier file
                // (`ProcStatm`), since the trend follows RAM and swap together and a page moving out
                // would otherwise look freed. (swapoff ends once the pages are back: no process then
                // holds swap on a host with none.)
                let fullRead = ticks % Self.fullReadEvery == 0 || process.status.rssBytes == 0
                if fullRead || hostSwaps {
                    process.status = try process.directory.status()
                } else {
                    let statm = try process.directory.statm()
                    process.status.rssBytes = statm.residentBytes
                    process.status.anonBytes = statm.anonBytes
                }
                // No memory at all: exiting, or a zombie (its mm is gone). Not a sample, and what
                // is read now is from after its end.
                if process.status.rssBytes == 0 {
                    gone = true
                    process.status = watched[identity]?.status ?? process.status
                } else if fullRead {
                    if let membership = try? process.directory.cgroup() { process.cgroup = membership }
                    if let known = limitsByCgroup[process.cgroup] {
                        process.cgroupLimits = known
                    } else {
                        process.cgroupLimits = cgroups.limits(of: process.cgroup)
                        limitsByCgroup[process.cgroup] = process.cgroupLimits
                    }
                    if let known = oomKillsByCgroup[process.cgroup] {
                        process.oomKills.cgroup = known
                    } else {
                        process.oomKills.cgroup = cgroups.oomKills(of: process.cgroup)
                        oomKillsByCgroup[process.cgroup] = process.oomKills.cgroup
                    }
                    if hostOOMKills == nil { hostOOMKills = .some(procFS.hostOOMKills()) }
                    process.oomKills.host = hostOOMKills ?? nil
                }
            } catch {
                gone = true
            }
            // Gone since discovery: said with the figures of its last sample.
            guard !gone else {
                ended(process, target: target.name)
                watched[identity] = nil
                continue
            }
            process.judgedLimits = process.limits(target: target, now: time, memAvailable: memAvailable, memTotal: memTotal)
            // The first sample of an instance an earlier run watched: go on from its trend.
            if let recorded = process.recorded {
                process.recorded = nil
                process.assessment = process.tracker.resume(from: recorded, limits: process.judgedLimits)
                let span = (recorded.last?.sample.time ?? time) - (recorded.first?.sample.time ?? time)
                logger.info("\(target.name) pid \(identity.pid): trend resumed from \(recorded.count) samples (\(Units.formatDuration(span.rounded()))) an earlier run recorded: \(process.assessment.state.rawValue)",
                            metadata: fields(target.name, identity))
            }
            warnIfTooTightForOwnSnapshots(&process, target: target)
            lookForOwnSnapshot(&process, target: target.name)
            // Node may have begun, since the last tick, the snapshot a timed-out capture owed: it
            // opens the file first, so this sample, read before the file was looked for, holds
            // none of what the snapshot costs, and the ones after it are left out.
            if !process.capturing, let late = lateSnapshots?.writing(identity) {
                logger.info("\(target.name) pid \(identity.pid) is writing the snapshot \(late.owed.askedBy) asked for; the trend leaves it out",
                            metadata: fields(target.name, identity))
                process.beginCapture(token: late.token, at: time)
            }
            let previous = process.assessment.state
            let sample = TrendSample(time: time, anonBytes: Double(process.status.anonBytes), rssBytes: Double(process.status.rssBytes),
                                     heapUsedBytes: process.currentHeap(now: time).map { Double($0.heapUsed) },
                                     swapBytes: Double(process.status.swapBytes))
            process.assessment = process.tracker.record(sample, limits: process.judgedLimits)
            if process.assessment.state != previous {
                logTransition(from: previous, process: process, target: target)
            }
            if target.capture != .none, !process.capturing,
               let reason = process.planner.decide(process.assessment, now: time) {
                if let refusal = dailyCapRefusal(target: target, now: time) {
                    process.planner.captureFailed(now: time)
                    logDailyCap(refusal, process: process, target: target, now: time)
                } else {
                    let job = job(for: process, target: target, reason: reason.rawValue, automatic: true)
                    process.beginCapture(job, at: time)
                    jobs.append(job)
                }
            }
            watched[identity] = process
        }
        ticks += 1
        lastTickCompleted = clock.now
        return jobs
    }

    /// A capture asked for over the socket, by target name or pid.
    public func manualCapture(target name: String?, pid: Int32?) -> Result<CaptureJob, ManualCaptureError> {
        let candidates = watched.values.filter { process in
            (pid == nil || process.identity.pid == pid)
                && (name == nil || config.targets[process.targetIndex].name == name)
        }
        guard let process = candidates.max(by: { $0.status.rssBytes < $1.status.rssBytes }) else {
            if let name, !config.targets.contains(where: { $0.name == name }) {
                return .failure(.unknownTarget(name, known: config.targets.map(\.name)))
            }
            return .failure(.noProcess(target: name, pid: pid))
        }
        guard !process.capturing else { return .failure(.busy(pid: process.identity.pid)) }
        let target = config.targets[process.targetIndex]
        let job = job(for: process, target: target, reason: CaptureReason.manual.rawValue, automatic: false)
        watched[process.identity]?.beginCapture(job, at: now)
        watched[process.identity]?.planner.noteManualCapture(now: now)
        return .success(job)
    }

    /// Called when a capture ends, stored or not.
    public func captureFinished(_ job: CaptureJob, outcome: CaptureOutcome) {
        if case .stored(let path, let manifest) = outcome {
            noteStored(target: job.target, identity: job.identity, reason: job.reason, automatic: job.automatic, path: path,
                       original: manifest.originalPath)
        }
        // A reload may have re-watched the process meanwhile: this capture is not the new entry's.
        guard var process = watched[job.identity], process.capture == job.token else { return }
        process.capture = nil
        // The file of a SIGUSR2 capture is not one node wrote on its own.
        process.ownSnapshots?.relist(pid: job.identity.pid)
        // The memory a snapshot leaves behind is not the process's trend.
        process.tracker.captureEnded(at: now, touched: outcome.reachedProcess)
        if !outcome.reachedProcess {
            process.captureEndedUntouchedSinceRecorded = true
            if !job.automatic { process.planner.manualCaptureRefused() }
        }
        process.lastCapture = outcome.summary
        if case .stored = outcome {} else if job.automatic { process.planner.captureFailed(now: now) }
        watched[job.identity] = process
    }

    /// The late snapshot of `job` is stored, or failed (the process died while writing it). Its
    /// capture was already reported as failed to the planner; a stored one takes its slot again.
    /// One begun and finished between two ticks is spliced from its end: the step it left is
    /// still measured and taken out.
    public func lateCaptureFinished(_ late: PendingSignalSnapshot, outcome: CaptureOutcome) {
        if case .stored(let path, let manifest) = outcome {
            noteStored(target: late.owed.origin.target, identity: late.identity, reason: late.owed.origin.reason,
                       automatic: late.owed.automatic, path: path, original: manifest.originalPath)
        }
        guard var process = watched[late.identity] else { return }
        if !process.capturing { process.beginCapture(token: late.token, at: now) }
        if process.capture == late.token {
            process.capture = nil
            process.tracker.captureEnded(at: now, touched: true)
        }
        process.lastCapture = outcome.summary
        // The file of a late SIGUSR2 or HTTP capture is not one node wrote on its own.
        if !late.owed.nodesOwn { process.ownSnapshots?.relist(pid: late.identity.pid) }
        if case .stored = outcome, late.owed.nodesOwn {
            process.lastCapture? += " (node's own, near its heap limit: --heapsnapshot-near-heap-limit)"
            process.planner.noteManualCapture(now: now)
        } else if case .stored = outcome {
            process.lastCapture? += " (late: node wrote it once its event loop was free)"
            if late.owed.automatic, let reason = CaptureReason(rawValue: late.owed.origin.reason) {
                process.planner.lateCaptureStored(reason, now: now)
            }
        }
        watched[late.identity] = process
    }

    /// The analysis of this instance's snapshots found `summary` growing (shown by `status`).
    public func noteFinding(_ identity: ProcessIdentity, _ summary: String) {
        watched[identity]?.finding = summary
    }

    /// Processes whose target has a heap source and whose figures are due: over HTTP every tick,
    /// through the inspector (which must be opened each time) at most once a minute.
    public func heapSourceRequests() -> [HeapSourceRequest] {
        let time = now
        var instances: [Int: Int] = [:]
        for process in watched.values { instances[process.targetIndex, default: 0] += 1 }
        return watched.values.compactMap { process in
            let target = config.targets[process.targetIndex]
            guard let source = target.heapSource, !process.capturing else { return nil }
            let spacing: Double
            switch source {
            case .http: spacing = max(config.daemon.interval, 5) * 0.9
            case .inspector: spacing = HeapSource.inspectorSpacing
            }
            if let at = process.heapFetchedAt, time - at < spacing { return nil }
            return HeapSourceRequest(identity: process.identity, target: target.name, source: source, flags: process.flags,
                                     status: process.status, soleInstance: instances[process.targetIndex] == 1,
                                     firstReading: process.heap == nil, lastFailure: process.heapFailure)
        }
    }

    /// The outcome of a heap reading: the figures, or why there are none (`failure`, kept so the
    /// same failure is logged once, not every minute).
    public func updateHeap(_ identity: ProcessIdentity, _ figures: HeapFigures?, failure: String? = nil) {
        guard var process = watched[identity] else { return }
        process.heapFetchedAt = now
        process.heapFailure = figures == nil ? failure : nil
        if let figures { process.heap = figures }
        watched[identity] = process
    }

    public var intervalSeconds: Double { config.daemon.interval }

    /// This tick's figures of every watched process, for the history database. A sample is marked
    /// `capturing` when a capture ran or began since the last one: the trend left it out, or the
    /// step the capture left starts after it.
    public func historySamples() -> [HistorySample] {
        let time = now
        var samples: [HistorySample] = []
        for (identity, process) in watched {
            let target = config.targets[process.targetIndex]
            samples.append(HistorySample(target: target.name, pid: process.identity.pid, startTime: process.identity.startTime,
                                         rssBytes: process.status.rssBytes, anonBytes: process.status.anonBytes,
                                         heapUsedBytes: process.currentHeap(now: time)?.heapUsed, limitBytes: process.limitBytes(target: target),
                                         state: process.assessment.state.rawValue, slopeBytesPerHour: process.assessment.slopeBytesPerHour,
                                         swapBytes: process.status.swapBytes,
                                         capturing: process.capturing || process.captureBegunSinceRecorded,
                                         captureEndedUntouched: process.captureEndedUntouchedSinceRecorded))
            watched[identity]?.captureBegunSinceRecorded = false
            watched[identity]?.captureEndedUntouchedSinceRecorded = false
        }
        return samples
    }

    /// The current trend line of a target's largest process, for the history chart: slope, the
    /// floor now, and the seconds of samples it was fitted on.
    public func trendLine(target name: String, pid: Int32? = nil)
        -> (slopeBytesPerHour: Double, floorBytes: Double, spanSeconds: Double, pid: Int32)? {
        let candidates = watched.values.filter { config.targets[$0.targetIndex].name == name && (pid == nil || $0.identity.pid == pid) }
        guard let process = candidates.max(by: { $0.status.rssBytes < $1.status.rssBytes }),
              let slope = process.assessment.slopeBytesPerHour, let floor = process.assessment.floorBytes else { return nil }
        return (slope, floor, process.assessment.spanSeconds, process.identity.pid)
    }

    // MARK: - Daily cap

    /// A capture was stored now: it counts toward the daily cap (when automatic) and is remembered
    /// for a planner made for the instance later.
    private func noteStored(target: String, identity: ProcessIdentity, reason: String, automatic: Bool, path: String, original: String) {
        if automatic { automaticCaptures[target, default: []].append(now) }
        capturesByInstance[identity, default: []].append((CaptureReason(rawValue: reason), now, path, original))
    }

    /// When the automatic captures of `target` in the 24 h before `now` were stored (monitor seconds).
    func recentAutomaticCaptures(_ target: TargetConfig, now: Double) -> [Double] {
        (automaticCaptures[target.name] ?? []).filter { now - $0 < 86400 }
    }

    private func dailyCapRefusal(target: TargetConfig, now: Double) -> String? {
        let recent = recentAutomaticCaptures(target, now: now)
        automaticCaptures[target.name] = recent
        guard recent.count >= target.maxCapturesPerDay else { return nil }
        return "\(recent.count) automatic captures of '\(target.name)' in the last 24 h (max_captures_per_day = \(target.maxCapturesPerDay))"
    }

    private func logDailyCap(_ refusal: String, process: WatchedProcess, target: TargetConfig, now: Double) {
        guard now - (dailyCapLogged[target.name] ?? -.infinity) >= 3600 else { return }
        dailyCapLogged[target.name] = now
        var metadata = fields(target.name, process.identity)
        metadata[LogField.messageID] = "\(MessageID.captureRefused)"
        logger.warning("capture of \(target.name) pid \(process.identity.pid) refused: \(refusal)", metadata: metadata)
        events.publish(DaemonEvent(kind: .captureRefused, target: target.name, pid: process.identity.pid,
                                   message: "capture refused: \(refusal)", rssBytes: process.status.rssBytes))
    }

    // MARK: - Helpers

    private func job(for process: WatchedProcess, target: TargetConfig, reason: String, automatic: Bool) -> CaptureJob {
        captureTokens += 1
        return CaptureJob(identity: process.identity, target: target.name, method: target.capture, flags: process.flags,
                   directory: process.directory, cgroup: process.cgroup, reason: reason,
                   rssBytes: process.status.rssBytes, anonBytes: process.status.anonBytes,
                   slopeBytesPerHour: process.assessment.slopeBytesPerHour, heapUsedBytes: process.currentHeap(now: now)?.heapUsed,
                   headroomFactor: target.headroomFactor, automatic: automatic, token: captureTokens)
    }

    private func logTransition(from previous: TrendState, process: WatchedProcess, target: TargetConfig) {
        let a = process.assessment
        var metadata = fields(target.name, process.identity)
        metadata[LogField.rssBytes] = "\(process.status.rssBytes)"
        let swap = process.status.swapBytes
        if swap > 0 { metadata[LogField.swapBytes] = "\(swap)" }
        metadata[LogField.state] = "\(a.state.rawValue)"
        if let slope = a.slopeBytesPerHour { metadata[LogField.slopeBytesPerHour] = "\(Int64(slope))" }
        let slopeText = a.slopeBytesPerHour.map { " growing \(Units.formatBytes($0))/h" } ?? ""
        let etaText = statusRow(process, snapshots: 0).forecastSentence.map { ", \($0)" } ?? ""
        let summary = "\(target.name) pid \(process.identity.pid): \(previous.rawValue) → \(a.state.rawValue), "
            + "RSS \(Units.formatBytes(process.status.rssBytes))\(swap > 0 ? " + \(Units.formatBytes(swap)) in swap" : "")"
            + "\(slopeText)\(etaText)"
        let notice = StateChangeNotice.of(a, captureBefore: target.captureBefore)
        if let id = notice.messageID { metadata[LogField.messageID] = "\(id)" }
        logger.log(level: notice.level, "\(notice.prefix)\(summary)", metadata: metadata)
        events.publish(DaemonEvent(kind: notice.kind, target: target.name, pid: process.identity.pid, message: summary, state: a.state.rawValue,
                                   rssBytes: process.status.rssBytes, slopeBytesPerHour: a.slopeBytesPerHour, etaSeconds: a.etaSeconds))
    }

    func fields(_ target: String, _ identity: ProcessIdentity) -> Logger.Metadata {
        [LogField.target: "\(target)", LogField.pid: "\(identity.pid)"]
    }
}

/// A process whose V8 heap figures are due, and where to get them.
public struct HeapSourceRequest: Sendable {
    public var identity: ProcessIdentity
    public var target: String
    public var source: HeapSource
    public var flags: NodeFlags
    public var status: ProcStatus
    /// An HTTP source is per target: it describes this process only when the target has no other.
    public var soleInstance: Bool
    /// No reading of this process has succeeded yet: opening its inspector is announced.
    public var firstReading: Bool
    /// Why the last reading failed, if it did.
    public var lastFailure: String?
}

public enum ManualCaptureError: Error, Sendable, CustomStringConvertible {
    case unknownTarget(String, known: [String])
    case noProcess(target: String?, pid: Int32?)
    case busy(pid: Int32)

    public var description: String {
        switch self {
        case .unknownTarget(let name, let known): "no target named '\(name)' (targets: \(known.joined(separator: ", ")))"
        case .noProcess(let target, let pid):
            if let pid { "pid \(pid) is not a watched process" + (target.map { " of target '\($0)'" } ?? "") }
            else { "target '\(target ?? "?")' has no running process" }
        case .busy(let pid): "a capture of pid \(pid) is already under way"
        }
    }
}
