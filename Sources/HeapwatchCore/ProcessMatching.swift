/// One process instance: a pid alone can be reused, pid and start time cannot.
public struct ProcessIdentity: Hashable, Sendable, Codable, CustomStringConvertible {
    public var pid: Int32
    /// Clock ticks after boot, field 22 of `/proc/PID/stat`.
    public var startTime: UInt64

    public init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    public var description: String { "\(pid)@\(startTime)" }
}

/// What discovery learns about a process: enough to match it against targets.
public struct DiscoveredProcess: Sendable, Equatable {
    public var identity: ProcessIdentity
    public var arguments: [String]
    /// Basename of `/proc/PID/exe`, or of `argv[0]` when the link cannot be read.
    public var executableName: String
    public var cgroup: CgroupMembership

    public init(identity: ProcessIdentity, arguments: [String], executableName: String, cgroup: CgroupMembership) {
        self.identity = identity
        self.arguments = arguments
        self.executableName = executableName
        self.cgroup = cgroup
    }

    public var isNode: Bool { ["node", "nodejs"].contains(executableName) }

    public var commandLine: String { arguments.joined(separator: " ") }
}

/// Assigns processes to targets. Pure: pid files are read by the caller and handed in.
/// Not `Sendable`: `Regex` is not. Each owner builds its own from the config.
public struct TargetMatcher {
    private let targets: [TargetConfig]
    /// Patterns that do not compile match nothing; the config loader rejects them before they get here.
    private let patterns: [[String: Regex<AnyRegexOutput>]]

    public init(targets: [TargetConfig]) {
        self.targets = targets
        self.patterns = targets.map { target in
            var compiled: [String: Regex<AnyRegexOutput>] = [:]
            for case .command(let pattern) in target.matchers {
                compiled[pattern] = try? Regex(pattern)
            }
            return compiled
        }
    }

    /// The index of the first target that claims `process`, or nil. A process belongs to one target at most.
    /// Only Node processes are claimed, except through a pid file, which names its process explicitly.
    /// - Parameter pidfilePIDs: for each target index, the pids its pid files name now.
    public func target(for process: DiscoveredProcess, pidfilePIDs: [Int: Set<Int32>] = [:]) -> Int? {
        for (index, target) in targets.enumerated() {
            for matcher in target.matchers where matches(matcher, process, targetIndex: index, pidfilePIDs: pidfilePIDs) {
                return index
            }
        }
        return nil
    }

    private func matches(_ matcher: ProcessMatcher, _ process: DiscoveredProcess, targetIndex: Int, pidfilePIDs: [Int: Set<Int32>]) -> Bool {
        switch matcher {
        case .pidfile:
            return pidfilePIDs[targetIndex]?.contains(process.identity.pid) ?? false
        case .anyNode:
            return process.isNode
        case .command(let pattern):
            guard process.isNode, let regex = patterns[targetIndex][pattern] else { return false }
            return (try? regex.firstMatch(in: process.commandLine)) != nil
        case .unit(let unit):
            guard process.isNode else { return false }
            let name = unit.contains(".") ? unit : unit + ".service"
            return process.cgroup.unitPaths.contains { path in
                path.hasSuffix("/" + name) || path.contains("/" + name + "/")
            }
        }
    }

    /// The pid named by a pid file's text: the first integer on its first line.
    public static func parsePidfile(_ text: String) -> Int32? {
        text.split(whereSeparator: { $0 == "\n" || $0 == " " }).first.flatMap { Int32($0) }.flatMap { $0 > 0 ? $0 : nil }
    }
}
