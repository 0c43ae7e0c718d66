import HeapwatchCore
import HeapwatchTrend
import Logging

/// Discovery: which processes are watched. Each tick lists `/proc`, examines the pids not seen
/// before (matched against the targets: command line, unit, pid file), and ends the instances
/// that are gone (`ended`).
extension Monitor {
    func discover() {
        let pidfilePIDs = readPidfiles()
        let namedByPidfile = Set(pidfilePIDs.values.flatMap { $0 })
        guard let pids = try? procFS.pids() else {
            logger.error("cannot list \(procFS.root); is /proc mounted?")
            return
        }
        // A watched pid is not read again: its instance ends when a read through its directory fd
        // fails, and a newer process that reuses the pid is examined on the next tick.
        let watchedByPID = Dictionary(watched.keys.map { ($0.pid, $0) }, uniquingKeysWith: { first, _ in first })
        var present = Set<ProcessIdentity>()
        var presentPIDs = Set<Int32>()
        for pid in pids {
            presentPIDs.insert(pid)
            if let identity = watchedByPID[pid] { present.insert(identity); continue }
            guard let stat = try? procFS.stat(pid) else { continue }
            let identity = ProcessIdentity(pid: pid, startTime: stat.startTime)
            if let seen = ignored[pid], seen.startTime == stat.startTime, seen.comm == stat.comm,
               !namedByPidfile.contains(pid) { continue }
            if let process = examine(identity: identity, pidfilePIDs: pidfilePIDs) {
                watched[identity] = process
                present.insert(identity)
                let target = config.targets[process.targetIndex]
                logger.info("watching \(target.name) pid \(pid): \(process.arguments.joined(separator: " ").prefix(200))",
                            metadata: fields(target.name, identity))
            } else {
                ignored[pid] = (stat.startTime, stat.comm)
            }
        }
        for (identity, process) in watched where !present.contains(identity) {
            ended(process, target: config.targets[process.targetIndex].name)
            watched[identity] = nil
        }
        ignored = ignored.filter { presentPIDs.contains($0.key) }
        // What an earlier run recorded is for the processes running when this one starts.
        resumable = [:]
        capturesByInstance = capturesByInstance.filter { present.contains($0.key) }
    }

    private func examine(identity: ProcessIdentity, pidfilePIDs: [Int: Set<Int32>]) -> WatchedProcess? {
        let pid = identity.pid
        // Kernel threads have an empty command line.
        guard let arguments = try? procFS.arguments(pid), !arguments.isEmpty else { return nil }
        let membership = (try? procFS.cgroup(pid)) ?? CgroupMembership()
        let discovered = DiscoveredProcess(identity: identity, arguments: arguments,
                                           executableName: procFS.executableName(pid, arguments: arguments), cgroup: membership)
        guard let index = matcher.target(for: discovered, pidfilePIDs: pidfilePIDs),
              let directory = try? ProcessDirectory(procFS: procFS, identity: identity) else { return nil }
        let environment = (try? procFS.environment(pid)) ?? []
        let flags = NodeFlags.parse(arguments: arguments, nodeOptions: NulList.value(of: "NODE_OPTIONS", inEnvironment: environment))
        let target = config.targets[index]
        let policy = Self.policy(target)
        var planner = CapturePlanner(policy: policy)
        let past = capturesByInstance[identity] ?? []
        planner.restore(past.map { ($0.reason, $0.at) }, now: now)
        var process = WatchedProcess(identity: identity, targetIndex: index, directory: directory, arguments: arguments,
                                     flags: flags, cgroup: membership, tracker: TrendTracker(policy: policy), planner: planner)
        if let newest = past.max(by: { SnapshotNaming.precedes($0.at, $0.path, $1.at, $1.path) }) {
            process.lastCapture = CaptureOutcome.storedSummary(newest.path)
        }
        process.recorded = recordedSamples(of: identity, target: target)
        process.ownSnapshots = ownSnapshotWatch(identity: identity, flags: flags, target: target.name, stored: Set(past.map(\.original)))
        return process
    }

    private func readPidfiles() -> [Int: Set<Int32>] {
        var result: [Int: Set<Int32>] = [:]
        for (index, target) in config.targets.enumerated() {
            for case .pidfile(let path) in target.matchers {
                if let text = try? Sys.readText(path), let pid = TargetMatcher.parsePidfile(text) {
                    result[index, default: []].insert(pid)
                }
            }
        }
        return result
    }
}
