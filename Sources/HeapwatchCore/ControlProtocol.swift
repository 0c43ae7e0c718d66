import Foundation

/// The control socket's protocol: one JSON object per line each way.
///
/// Requests: `{"command": "status"}`, `{"command": "snapshots", "target": "api"}`,
/// `{"command": "snapshot", "target": "api", "wait": true}` (or `"pid": 1234`), `{"command": "reload"}`.
/// Every reply carries `"ok"`; failures are `{"ok": false, "error": "…"}`.
public enum ControlProtocol {
    /// Longest request line accepted, bytes. Longer lines get an error and the connection is closed.
    public static let maxLineBytes = 64 * 1024

    public static func decodeRequest(_ line: [UInt8]) throws(ControlProtocolError) -> ControlRequest {
        guard line.count <= maxLineBytes else { throw .tooLong(limit: maxLineBytes) }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(line))
        } catch {
            throw .malformed("not valid JSON")
        }
        guard let dictionary = object as? [String: Any] else { throw .malformed("expected a JSON object") }
        guard let commandName = dictionary["command"] as? String else { throw .malformed("missing string field 'command'") }
        guard let command = ControlCommand(rawValue: commandName) else {
            throw .unknownCommand(commandName)
        }
        var request = ControlRequest(command: command)
        if let target = dictionary["target"] {
            guard let name = target as? String else { throw .malformed("'target' must be a string") }
            request.target = name
        }
        if let pid = dictionary["pid"] {
            guard let number = pid as? Int, let value = Int32(exactly: number), value > 0 else { throw .malformed("'pid' must be a positive integer") }
            request.pid = value
        }
        if let since = dictionary["since_seconds"] {
            guard let seconds = (since as? NSNumber)?.doubleValue, seconds > 0, seconds.isFinite else {
                throw .malformed("'since_seconds' must be a positive number")
            }
            request.sinceSeconds = seconds
        }
        if let points = dictionary["max_points"] {
            guard let number = points as? Int, (2...20_000).contains(number) else { throw .malformed("'max_points' must be an integer from 2 to 20000") }
            request.maxPoints = number
        }
        if let wait = dictionary["wait"] {
            guard let flag = wait as? Bool else { throw .malformed("'wait' must be true or false") }
            request.wait = flag
        }
        if command == .snapshot, request.target == nil, request.pid == nil {
            throw .malformed("'snapshot' needs 'target' or 'pid'")
        }
        if command == .history || command == .report, request.target == nil {
            throw .malformed("'\(command.rawValue)' needs 'target'")
        }
        return request
    }

    /// One reply line, newline included.
    public static func encode(_ reply: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(reply)) ?? Data(#"{"ok":false,"error":"internal: reply not encodable"}"#.utf8)
        return Array(data) + [UInt8(ascii: "\n")]
    }

    public static func errorReply(_ message: String) -> [UInt8] {
        encode(ErrorReply(error: message))
    }
}

public enum ControlCommand: String, Sendable, CaseIterable {
    case status, snapshots, snapshot, reload, prune, history, report

    /// `snapshot`, `reload` and `prune` change things: only root and the daemon's own user may send them.
    public var changesState: Bool { self == .snapshot || self == .reload || self == .prune }
}

public struct ControlRequest: Sendable, Equatable {
    public var command: ControlCommand
    public var target: String?
    public var pid: Int32?
    public var wait = false
    /// `history`: how far back, seconds (default 6 h).
    public var sinceSeconds: Double?
    /// `history`: at most this many points.
    public var maxPoints: Int?

    public init(command: ControlCommand, target: String? = nil, pid: Int32? = nil, wait: Bool = false,
                sinceSeconds: Double? = nil, maxPoints: Int? = nil) {
        self.command = command
        self.target = target
        self.pid = pid
        self.wait = wait
        self.sinceSeconds = sinceSeconds
        self.maxPoints = maxPoints
    }

    /// The request as a wire line, for clients.
    public func encodedLine() -> [UInt8] {
        var object: [String: Any] = ["command": command.rawValue]
        if let target { object["target"] = target }
        if let pid { object["pid"] = Int(pid) }
        if wait { object["wait"] = true }
        if let sinceSeconds { object["since_seconds"] = sinceSeconds }
        if let maxPoints { object["max_points"] = maxPoints }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Array(data) + [UInt8(ascii: "\n")]
    }
}

public enum ControlProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case unknownCommand(String)
    case tooLong(limit: Int)

    public var description: String {
        switch self {
        case .malformed(let why): "malformed request: \(why)"
        case .unknownCommand(let name):
            "unknown command '\(name)' (known: \(ControlCommand.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .tooLong(let limit): "request longer than \(limit) bytes"
        }
    }
}

/// Who may do what over the socket, from the peer's credentials (`SO_PEERCRED`).
public struct ControlAccessPolicy: Sendable {
    public var daemonUID: UInt32
    /// The socket file's group: its members may read.
    public var socketGID: UInt32

    public init(daemonUID: UInt32, socketGID: UInt32) {
        self.daemonUID = daemonUID
        self.socketGID = socketGID
    }

    /// - Parameter peerGroups: the peer's primary and supplementary groups.
    public func allows(_ command: ControlCommand, peerUID: UInt32, peerGroups: Set<UInt32>) -> Bool {
        if peerUID == 0 || peerUID == daemonUID { return true }
        return !command.changesState && peerGroups.contains(socketGID)
    }
}

public struct ErrorReply: Codable, Sendable, Equatable {
    public var ok = false
    public var error: String
    /// Set when a capture was refused (not failed): the reason is in `error`.
    public var refused: Bool?

    public init(error: String, refused: Bool? = nil) {
        self.error = error
        self.refused = refused
    }
}

public struct OKReply: Codable, Sendable, Equatable {
    public var ok = true
    public var message: String

    public init(message: String) { self.message = message }
}
