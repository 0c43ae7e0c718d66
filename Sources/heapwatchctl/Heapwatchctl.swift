import ArgumentParser
import Foundation
import HeapwatchControl
import HeapwatchCore

@main
struct Heapwatchctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heapwatchctl",
        abstract: "Ask heapwatchd what it sees, trigger captures, and analyze heap snapshots.",
        discussion: "Exit status: 0 success, 1 error or refused capture, 2 heapwatchd unreachable.",
        version: HeapwatchVersion.current,
        subcommands: [StatusCommand.self, SnapshotsCommand.self, SnapshotCommand.self, ReloadCommand.self, PruneCommand.self, HistoryCommand.self, ReportCommand.self, AnalyzeCommand.self]
    )

    /// `heapwatchctl --socket S --json status` reads as naturally as `heapwatchctl status --socket S --json`:
    /// connection options written before the subcommand are moved after it.
    static func main() async {
        await main(hoistingConnectionOptions(Array(CommandLine.arguments.dropFirst())))
    }

    static func hoistingConnectionOptions(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--json" {
                leading.append(argument)
            } else if argument == "--socket", index + 1 < arguments.count {
                leading += [argument, arguments[index + 1]]
                index += 1
            } else if argument.hasPrefix("--socket=") {
                leading.append(argument)
            } else {
                break
            }
            index += 1
        }
        guard !leading.isEmpty, index < arguments.count else { return arguments }
        // `analyze` reads files and never the socket: a `--socket` in an alias or script is no error there.
        if arguments[index] == "analyze" { leading = leading.filter { $0 == "--json" } }
        return [arguments[index]] + leading + arguments[(index + 1)...]
    }
}

/// Options every command that talks to the daemon takes.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "heapwatchd's control socket (default: $HEAPWATCH_SOCKET or /run/heapwatch/control.sock).")
    var socket: String?

    @Flag(help: "Print JSON for scripts instead of a table.")
    var json = false

    var socketPath: String {
        socket ?? ProcessInfo.processInfo.environment["HEAPWATCH_SOCKET"] ?? DaemonSettings.defaultSocket
    }

    /// Sends the request; exits 2 when the daemon cannot be reached, 1 on an error reply.
    func send(_ request: ControlRequest, timeout: Duration = .seconds(30)) async throws -> [UInt8] {
        let reply: [UInt8]
        do {
            reply = try await ControlClient.send(request, socketPath: socketPath, timeout: timeout)
        } catch {
            Output.error("heapwatchctl: \(error)")
            throw ExitCode(2)
        }
        if let failure = try? JSONDecoder().decode(ErrorReply.self, from: Data(reply)), !failure.ok {
            if json { Output.line(String(decoding: reply, as: UTF8.self)) }
            Output.error("heapwatchctl: \(failure.error)")
            throw ExitCode(1)
        }
        return reply
    }

    func decode<T: Decodable>(_ type: T.Type, _ reply: [UInt8]) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(reply))
        } catch {
            Output.error("heapwatchctl: unexpected reply from heapwatchd: \(String(decoding: reply.prefix(200), as: UTF8.self))")
            throw ExitCode(1)
        }
    }
}

enum Output {
    static func line(_ text: String) { print(text) }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// How every JSON heapwatchctl prints is written: indented, sorted keys, `/` not escaped.
    static func jsonEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// JSON for scripts: sorted keys, the wire's `ok` left out.
    static func json(_ value: some Encodable) throws {
        let data = try jsonEncoder().encode(value)
        guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        object["ok"] = nil
        let cleaned = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: cleaned, as: UTF8.self))
    }

    /// Columns padded to their widest cell.
    static func table(_ header: [String], _ rows: [[String]]) {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        for row in all {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            print(cells.joined(separator: "  "))
        }
    }
}
