import ArgumentParser
import Foundation
import HeapwatchCore
import HeapAnalysis
import HeapwatchHistory
import HeapwatchTrend

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the watched processes and their memory trend.")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let status = try connection.decode(StatusReply.self, try await connection.send(ControlRequest(command: .status)))
        if connection.json { return try Output.json(status) }
        print("heapwatchd \(status.version), sampling every \(Units.formatDuration(status.intervalSeconds))")
        // SWAP only where something is in swap: most hosts have none, and the table stays in 80 columns.
        let showsSwap = status.targets.contains { ($0.swapBytes ?? 0) > 0 }
        let head: [String] = ["TARGET", "PID", "STATE", "RSS", "ANON"] + (showsSwap ? ["SWAP"] : [])
        Output.table(head + ["LIMIT", "GROWTH", "HITS LIMIT IN", "SNAPSHOTS"], status.targets.map { Self.row($0, showsSwap: showsSwap) })
        // Under the table, a paragraph each: the range of each forecast (a point alone would hide
        // how sure it is), what our own snapshots did, and what grows.
        let paragraphs: [(TargetStatus) -> String?] = [
            { row in row.forecastSentence.map { "\(row.processLabel) \($0)" } },
            { row in row.captureNote.map { "\(row.processLabel): \($0)" } },
            { row in row.nextCapture.map { "\(row.processLabel): \($0.sentence)" } },
            { row in row.finding.map { "\(row.processLabel) grows: \($0) (heapwatchctl report \(row.name))" } },
        ]
        for paragraph in paragraphs {
            let lines = status.targets.compactMap(paragraph)
            if !lines.isEmpty { print("\n" + lines.joined(separator: "\n")) }
        }
        // Once per target: every row of it carries the same death.
        var said = Set<String>()
        let deaths = status.targets.compactMap { row -> String? in
            guard let death = row.lastDeath, said.insert(row.name).inserted else { return nil }
            return "\(row.name) died of memory: \(death.sentence)"
        }
        if !deaths.isEmpty { print("\n" + deaths.joined(separator: "\n")) }
    }

    static func row(_ row: TargetStatus, showsSwap: Bool) -> [String] {
        let sizes: [String] = [row.rssBytes.map(Units.formatBytes) ?? "-", row.anonBytes.map(Units.formatBytes) ?? "-"]
        let swap: [String] = showsSwap ? [row.swapBytes.map(Units.formatBytes) ?? "-"] : []
        let growth = row.slopeBytesPerHour.map { ($0 >= 0 ? "+" : "") + Units.formatBytes($0) + "/h" } ?? "-"
        let rest: [String] = [limitColumn(row), growth, row.etaSeconds.map(Units.formatDuration) ?? "-", row.snapshotsColumn]
        return [row.name, row.pid.map(String.init) ?? "-", row.state] + sizes + swap + rest
    }

    /// The memory limit (cgroup, rss_max), or the one the forecast is about when the host runs out
    /// first (`23GiB host`: RSS + swap + MemAvailable) or there is no other (`4GiB heap`), so a forecast
    /// never stands beside "none" or beside a limit it is not about.
    static func limitColumn(_ row: TargetStatus) -> String {
        if row.etaLimit == .host, let host = row.etaLimitBytes { return Units.formatBytes(host) + " host" }
        if let limit = row.limitBytes { return Units.formatBytes(limit) }
        if row.etaLimit == .v8Heap, let heap = row.etaLimitBytes { return Units.formatBytes(heap) + " heap" }
        return "none"
    }
}

struct SnapshotsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "snapshots", abstract: "List stored heap snapshots, newest first.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "Only this target's snapshots.")
    var target: String?

    func run() async throws {
        let reply = try connection.decode(SnapshotsReply.self, try await connection.send(ControlRequest(command: .snapshots, target: target)))
        if connection.json { return try Output.json(reply) }
        guard !reply.snapshots.isEmpty else {
            print(target.map { "no snapshots stored for \($0)" } ?? "no snapshots stored")
            return
        }
        Output.table(["TIME", "TARGET", "PID", "SIZE", "ORIGINAL", "REASON", "METHOD", "PATH"], reply.snapshots.map { entry in
            [entry.time, entry.target, String(entry.pid), Units.formatBytes(entry.bytes),
             entry.compressed ? Units.formatBytes(entry.originalBytes) : "-", entry.reason, entry.method, entry.path]
        })
    }
}

struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Capture a heap snapshot now, of a target's largest process or of one pid.",
        discussion: "The same safety checks as automatic captures apply; a refused capture exits 1 with the reason.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "A target name or a pid.")
    var targetOrPID: String

    @Flag(help: "Wait for the capture and print the stored path (or why it was refused).")
    var wait = false

    @Option(help: "With --wait: give up after this many seconds.")
    var timeout: Int = 900

    func run() async throws {
        let pid = Int32(targetOrPID)
        let request = ControlRequest(command: .snapshot, target: pid == nil ? targetOrPID : nil, pid: pid, wait: wait)
        let reply = try connection.decode(CaptureReply.self, try await connection.send(request, timeout: .seconds(wait ? timeout : 30)))
        if connection.json { return try Output.json(reply) }
        if let path = reply.path {
            print(path)
        } else {
            print("capture of \(reply.target) pid \(reply.pid) \(reply.status); see 'heapwatchctl snapshots'")
        }
    }
}

struct ReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reload", abstract: "Reload heapwatchd's config (like SIGHUP).")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let reply = try connection.decode(OKReply.self, try await connection.send(ControlRequest(command: .reload)))
        if connection.json { return try Output.json(reply) }
        print(reply.message)
    }
}

struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune", abstract: "Apply the store's retention now (keep_per_target, max_bytes, max_age).")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let reply = try connection.decode(PruneReply.self, try await connection.send(ControlRequest(command: .prune)))
        if connection.json { return try Output.json(reply) }
        if reply.deleted.isEmpty { return print("nothing to prune") }
        for path in reply.deleted { print("deleted \(path)") }
        print("freed \(Units.formatBytes(reply.freedBytes))")
    }
}

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Chart a target's memory over time, with its limit, trend and captures.",
        discussion: "History is kept 24 h at full resolution and 30 days as 1-minute rollups.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "A target's name, as in the config and `heapwatchctl status`.")
    var target: String

    @Option(help: "How far back: 30m, 6h, 2d, … (default 6h; the chart starts where the history does when that is later).")
    var since: String?

    @Option(help: "One process of the target (default: the chart shows the one the trend is fitted to, and names the others beside it).")
    var pid: Int32?

    @Option(help: "Chart width in columns (default: the terminal's, or 80).")
    var width: Int?

    @Option(help: "Chart height in rows.")
    var height = 16

    func validate() throws {
        if let since {
            guard let seconds = Units.parseDuration(since), seconds > 0 else {
                throw ValidationError("--since \(since) is not a duration like 30m, 6h or 2d")
            }
        }
        if let width, width < 40 { throw ValidationError("--width must be at least 40") }
    }

    func run() async throws {
        let seconds = since.flatMap(Units.parseDuration) ?? 6 * 3600
        let columns = width ?? Terminal.columns() ?? 80
        var request = ControlRequest(command: .history, target: target, sinceSeconds: seconds, maxPoints: connection.json ? 5000 : columns * 4)
        request.pid = pid
        let reply = try connection.decode(HistoryReply.self, try await connection.send(request))
        if connection.json { return try Output.json(reply) }
        let now = Date().timeIntervalSince1970
        let focus = HistoryChart.focus(reply.samples, trendPID: reply.trend?.pid)
        let events = reply.events.filter { event in event.pid.map { !focus.others.contains($0) } ?? true }
        print(HistoryChart.render(samples: focus.samples, events: events, limitBytes: reply.limitBytes, trend: reply.trend,
                                  width: columns, height: height,
                                  span: HistoryChart.span(sinceSeconds: seconds, explicit: since != nil, samples: focus.samples,
                                                          events: events, now: now)))
        if let shown = focus.pid, !focus.others.isEmpty {
            let others = focus.others.map(String.init).joined(separator: ", ")
            print("pid \(shown) of \(focus.others.count + 1) processes of \(target) side by side; the others: \(others) "
                  + "(heapwatchctl history \(target) --pid PID)")
        }
    }
}

enum Terminal {
    /// The terminal's width when standard output is one.
    static func columns() -> Int? {
        var size = winsize()
        guard isatty(STDOUT_FILENO) != 0, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col >= 40 else { return nil }
        return Int(size.ws_col)
    }
}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Show what is leaking in a target: the daemon's analysis of its latest snapshots.",
        discussion: "heapwatchd analyzes each snapshot once it is stored: after the first snapshot of a process the report lists the classes and objects retaining the most; from the second on, it says what grows between them. For files, use 'heapwatchctl analyze'.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "A target's name, as in the config and `heapwatchctl status`.")
    var target: String

    @Option(help: "One process of the target (default: the one analyzed last; the others with reports are named).")
    var pid: Int32?

    @Option(help: "Show at most this many findings.")
    var top = 10

    struct Reply: Codable {
        var path: String
        var pid: Int32?
        var report: LeakReport
        /// Why a later snapshot has no report of its own yet (running, skipped, failed).
        var note: String?
        /// The target's other processes with reports, newest first.
        var otherPIDs: [Int32]?

        enum CodingKeys: String, CodingKey {
            case path, pid, report, note
            case otherPIDs = "other_pids"
        }
    }

    func run() async throws {
        let request = ControlRequest(command: .report, target: target, pid: pid)
        let reply = try connection.decode(Reply.self, try await connection.send(request))
        if connection.json { return try Output.json(reply) }
        if let note = reply.note { print("note: \(note); this is the report before it") }
        print("analysis of \(target)\(reply.pid.map { " pid \($0)" } ?? "") (\(reply.path))")
        print(reply.report.text(top: top), terminator: "")
        if let others = reply.otherPIDs, !others.isEmpty {
            print("\nreports of other processes of \(target): pid " + others.map(String.init).joined(separator: ", ")
                  + " (heapwatchctl report \(target) --pid PID)")
        }
    }
}
