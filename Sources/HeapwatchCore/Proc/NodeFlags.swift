/// The Node.js options that matter to heapwatch, read from the command line and `NODE_OPTIONS`.
public struct NodeFlags: Sendable, Equatable {
    /// `--heapsnapshot-signal=SIG…`: the signal that makes node write a snapshot.
    public var heapsnapshotSignal: String?
    /// `--max-old-space-size`, MiB.
    public var maxOldSpaceSizeMiB: Int?
    /// `--diagnostic-dir`: where signal-triggered snapshots are written instead of the cwd.
    public var diagnosticDir: String?
    /// The inspector port from `--inspect-port`, `--inspect=[host:]port` or `--inspect-brk=…`.
    public var inspectPort: Int?
    /// `--heapsnapshot-near-heap-limit=N`: node writes up to N snapshots on its own as its heap
    /// nears its limit (in `--diagnostic-dir` or the cwd, named like a SIGUSR2 one).
    public var heapsnapshotNearHeapLimit: Int?
    /// `--disable-sigusr1` (Node ≥ 22.14): SIGUSR1 does not open the inspector.
    public var disableSigusr1 = false

    public init() {}

    /// Whether SIGUSR2 asks this process for a heap snapshot.
    public var snapshotsOnSIGUSR2: Bool {
        guard let signal = heapsnapshotSignal?.uppercased() else { return false }
        return signal == "SIGUSR2" || signal == "USR2" || signal == "12"
    }

    /// Options from `NODE_OPTIONS` apply first; the command line overrides them.
    public static func parse(arguments: [String], nodeOptions: String?) -> NodeFlags {
        var flags = NodeFlags()
        if let nodeOptions { flags.apply(tokenize(nodeOptions)) }
        flags.apply(optionArguments(arguments))
        return flags
    }

    /// The node options of a command line: the arguments after the executable and before the script.
    /// A process that rewrote its title may show one argument holding spaces: split it then.
    static func optionArguments(_ arguments: [String]) -> [String] {
        var args = arguments
        if args.count == 1, args[0].contains(" ") { args = args[0].split(separator: " ").map(String.init) }
        var options: [String] = []
        var index = 1
        while index < args.count {
            let arg = args[index]
            if arg == "--" || !arg.hasPrefix("-") || arg == "-" { break }
            options.append(arg)
            if !arg.contains("="), valueFlags.contains(normalizedName(arg)), index + 1 < args.count {
                options.append(args[index + 1])
                index += 1
            }
            index += 1
        }
        return options
    }

    /// Flags that take their value as the next argument when written without `=`.
    private static let valueFlags: Set<String> = [
        "-r", "--require", "--import", "--loader", "--experimental-loader", "-e", "--eval", "-p", "--print",
        "--inspect-port", "--debug-port", "--title", "--diagnostic-dir", "--heapsnapshot-signal",
        "--max-old-space-size", "--heapsnapshot-near-heap-limit", "-C", "--conditions", "--input-type", "--env-file", "--stack-size",
    ]

    private mutating func apply(_ options: [String]) {
        var index = 0
        while index < options.count {
            let option = options[index]
            let name = Self.normalizedName(option)
            var value: String?
            if let equals = option.firstIndex(of: "=") {
                value = String(option[option.index(after: equals)...])
            } else if Self.valueFlags.contains(name), index + 1 < options.count {
                value = options[index + 1]
                index += 1
            }
            switch name {
            case "--heapsnapshot-signal": heapsnapshotSignal = value
            case "--max-old-space-size": maxOldSpaceSizeMiB = value.flatMap { Int($0) } ?? maxOldSpaceSizeMiB
            case "--diagnostic-dir": diagnosticDir = value
            case "--heapsnapshot-near-heap-limit": heapsnapshotNearHeapLimit = value.flatMap { Int($0) } ?? heapsnapshotNearHeapLimit
            case "--inspect-port", "--debug-port": inspectPort = value.flatMap(Self.port) ?? inspectPort
            case "--inspect", "--inspect-brk", "--inspect-wait":
                if let value, let port = Self.port(value) { inspectPort = port }
            case "--disable-sigusr1": disableSigusr1 = true
            default: break
            }
            index += 1
        }
    }

    /// `--max_old_space_size` and `--max-old-space-size` are the same flag to node.
    private static func normalizedName(_ option: String) -> String {
        let name = option.split(separator: "=", maxSplits: 1).first.map(String.init) ?? option
        guard name.hasPrefix("--") else { return name }
        return "--" + name.dropFirst(2).replacingUnderscores()
    }

    /// `9230`, `127.0.0.1:9230`, `[::1]:9230`.
    private static func port(_ value: String) -> Int? {
        let digits = value.split(separator: ":").last.map(String.init) ?? value
        guard let port = Int(digits), (0...65535).contains(port) else { return nil }
        return port
    }

    /// Splits `NODE_OPTIONS` as node does: on spaces, with double quotes and backslash escapes.
    static func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        var inQuotes = false
        var hasToken = false
        var escaping = false
        for character in text {
            if escaping { current.append(character); escaping = false; continue }
            switch character {
            case "\\" where inQuotes: escaping = true
            case "\"": inQuotes.toggle(); hasToken = true
            case " ", "\t", "\n":
                if inQuotes { current.append(character); continue }
                if hasToken || !current.isEmpty { tokens.append(current) }
                current = ""
                hasToken = false
            default: current.append(character)
            }
        }
        if hasToken || !current.isEmpty { tokens.append(current) }
        return tokens
    }
}

extension Substring {
    func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }
}

/// The V8 heap limit a Node process has when nothing sets it (`--max-old-space-size`): Node sizes
/// the heap from the memory it may use, its cgroup's limit or else the host's (V8's
/// `Heap::HeapSizeFromPhysicalMemory` on 64-bit: half that memory, at most 2 GiB, or 4 GiB on a
/// host of more than 16 GiB). Checked against node 20 in cgroups of 1, 2, 4, 8 and 12 GiB and on a
/// 23.5 GiB host: old space 512, 1024, 2048, 2048, 2048 and 4096 MiB.
public enum V8Defaults {
    /// The old generation's limit, bytes: what `--max-old-space-size` sets.
    public static func oldSpaceBytes(memoryBytes: UInt64) -> UInt64 {
        let gib: UInt64 = 1 << 30
        let cap = memoryBytes / gib > 16 ? 4 * gib : 2 * gib
        return max(128 << 20, min(memoryBytes / 2, cap))
    }

    /// `heap_size_limit` as `v8.getHeapStatistics()` gives it: the old space plus the young
    /// generation (three semi-spaces of old / 128, at most 16 MiB each).
    public static func heapSizeLimitBytes(memoryBytes: UInt64) -> UInt64 {
        let old = oldSpaceBytes(memoryBytes: memoryBytes)
        return old + 3 * min(old / 128, 16 << 20)
    }
}
