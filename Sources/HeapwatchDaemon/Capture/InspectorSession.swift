import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A Chrome DevTools Protocol session with a Node inspector over a SwiftNIO WebSocket.
/// (Foundation's `URLSessionWebSocketTask` does not work on Linux here: libcurl lacks ws.)
final class InspectorSession {
    private let channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>
    private var nextID = 1

    private init(channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>) {
        self.channel = channel
    }

    enum Upgrade: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case refused
    }

    /// Opens the debugger WebSocket `ws://127.0.0.1:PORT/<uuid>`, runs `body`, and closes it.
    static func with<T: Sendable>(url: String, maxMessageBytes: Int = 32 << 20,
                                  _ body: (InspectorSession) async throws -> T) async throws -> T {
        guard let parsed = URL(string: url), parsed.scheme == "ws", let host = parsed.host, let port = parsed.port else {
            throw InspectorError("'\(url)' is not a ws://host:port/… debugger URL")
        }
        guard host == "127.0.0.1" || host == "localhost" || host == "[::1]" || host == "::1" else {
            throw InspectorError("refusing a non-loopback inspector at \(host)")
        }
        let path = parsed.path
        let upgrade: EventLoopFuture<Upgrade> = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .connect(host: host == "localhost" ? "127.0.0.1" : host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(
                        maxFrameSize: 1 << 24,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(
                                    NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 4096,
                                                                maxAccumulatedFrameSize: maxMessageBytes))
                                return Upgrade.websocket(try NIOAsyncChannel(wrappingChannelSynchronously: channel))
                            }
                        })
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "127.0.0.1:\(port)")
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in channel.eventLoop.makeCompletedFuture { Upgrade.refused } })
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: .init(upgradeConfiguration: configuration))
                }
            }
        guard case .websocket(let channel) = try await upgrade.get() else {
            throw InspectorError("the inspector at \(url) refused the WebSocket upgrade")
        }
        let session = InspectorSession(channel: channel)
        return try await channel.executeThenClose { inbound, outbound in
            session.inbound = inbound.makeAsyncIterator()
            session.outbound = outbound
            return try await body(session)
        }
    }

    private var inbound: NIOAsyncChannelInboundStream<WebSocketFrame>.AsyncIterator?
    private var outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>?

    /// Sends a command without waiting for its reply; returns the command's id.
    @discardableResult
    func send(_ method: String, _ params: [String: Any] = [:]) async throws -> Int {
        let id = nextID
        nextID += 1
        let message: [String: Any] = ["id": id, "method": method, "params": params]
        let data = try JSONSerialization.data(withJSONObject: message)
        guard let outbound else { throw InspectorError("session not open") }
        // RFC 6455: what a client sends must be masked.
        try await outbound.write(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(bytes: data)))
        return id
    }

    /// Sends a command; `onEvent` sees every event until the command's reply, which is returned.
    func call(_ method: String, _ params: [String: Any] = [:], onEvent: (String, [String: Any]) throws -> Void = { _, _ in }) async throws -> [String: Any] {
        let id = try await send(method, params)
        while true {
            guard let frame = try await inbound?.next() else {
                throw InspectorError("the inspector closed the connection during \(method)")
            }
            switch frame.opcode {
            case .text, .binary:
                var payload = frame.unmaskedData
                let bytes = payload.readBytes(length: payload.readableBytes) ?? []
                guard let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { continue }
                if let replyID = object["id"] as? Int, replyID == id {
                    if let error = object["error"] as? [String: Any] {
                        throw InspectorError("\(method) failed: \(error["message"] as? String ?? "\(error)")")
                    }
                    return object["result"] as? [String: Any] ?? [:]
                }
                if let event = object["method"] as? String {
                    try onEvent(event, object["params"] as? [String: Any] ?? [:])
                }
            case .connectionClose:
                throw InspectorError("the inspector closed the connection during \(method)")
            default:
                continue
            }
        }
    }

    /// `Runtime.evaluate` with `returnByValue`, returning the value.
    func evaluate(_ expression: String) async throws -> Any? {
        let result = try await call("Runtime.evaluate", ["expression": expression, "returnByValue": true])
        if let exception = result["exceptionDetails"] as? [String: Any] {
            throw InspectorError("evaluating in the target failed: \(exception["text"] as? String ?? "exception")")
        }
        return (result["result"] as? [String: Any])?["value"]
    }
}

struct InspectorError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
