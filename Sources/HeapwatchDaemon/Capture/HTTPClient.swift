import Foundation
import HeapwatchControl
import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal HTTP/1.1 client over SwiftNIO: GET an app's local snapshot or memory endpoint, POST a
/// webhook. Plain http only. (AsyncHTTPClient would do, at the cost of minutes of build time.)
enum HTTPClient {
    struct Response: Sendable {
        var status: Int
        var body: [UInt8]
    }

    /// - Parameter maxBody: larger bodies are an error: an endpoint answers with a file name, not a file.
    static func fetch(_ urlString: String, method: HTTPMethod = .GET, body: [UInt8]? = nil, contentType: String = "application/json",
                      timeout: Duration, maxBody: Int = 1 << 20) async throws -> Response {
        guard let url = URL(string: urlString), url.scheme == "http", let host = url.host else {
            throw HTTPClientError.badURL(urlString)
        }
        let port = url.port ?? 80
        var path = url.path.isEmpty ? "/" : url.path
        if let query = url.query { path += "?" + query }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        let requestPath = path
        let hostHeader = url.port.map { "\(host):\($0)" } ?? host
        return try await withTimeout(timeout, error: HTTPClientError.timedOut(urlString, timeout: timeout)) {
            try await channel.executeThenClose { inbound, outbound in
                var head = HTTPRequestHead(version: .http1_1, method: method, uri: requestPath)
                head.headers.add(name: "Host", value: hostHeader)
                head.headers.add(name: "User-Agent", value: "heapwatchd")
                head.headers.add(name: "Connection", value: "close")
                if let body {
                    head.headers.add(name: "Content-Type", value: contentType)
                    head.headers.add(name: "Content-Length", value: String(body.count))
                }
                try await outbound.write(.head(head))
                if let body { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
                try await outbound.write(.end(nil))
                var status = 0
                var body: [UInt8] = []
                for try await part in inbound {
                    switch part {
                    case .head(let responseHead): status = Int(responseHead.status.code)
                    case .body(let buffer):
                        body.append(contentsOf: buffer.readableBytesView)
                        if body.count > maxBody { throw HTTPClientError.bodyTooLarge(urlString, limit: maxBody) }
                    case .end: return Response(status: status, body: body)
                    }
                }
                throw HTTPClientError.closedEarly(urlString)
            }
        }
    }
}

enum HTTPClientError: Error, CustomStringConvertible {
    case badURL(String)
    case bodyTooLarge(String, limit: Int)
    case closedEarly(String)
    case timedOut(String, timeout: Duration)

    var description: String {
        switch self {
        case .badURL(let url): "'\(url)' is not an http:// URL"
        case .bodyTooLarge(let url, let limit): "\(url) answered with more than \(limit) bytes"
        case .closedEarly(let url): "\(url) closed the connection before the response ended"
        case .timedOut(let url, let timeout): "\(url) did not answer within \(timeout.components.seconds)s"
        }
    }
}
