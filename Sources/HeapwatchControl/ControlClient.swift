import HeapwatchCore
import NIOCore
import NIOPosix

/// Sends one request over the control socket and returns the reply line.
public enum ControlClient {
    /// - Parameter timeout: how long to wait for the whole exchange; a waited-for capture can take minutes.
    public static func send(_ request: ControlRequest, socketPath: String, timeout: Duration = .seconds(30)) async throws(ControlClientError) -> [UInt8] {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(unixDomainSocketPath: socketPath) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(LineFrameDecoder(maxLength: 64 * 1024 * 1024)))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw .unreachable(socketPath: socketPath, reason: Self.describe(error))
        }
        do {
            return try await withTimeout(timeout) {
                try await channel.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(bytes: request.encodedLine()))
                    for try await line in inbound {
                        return Array(line.readableBytesView)
                    }
                    throw ControlClientError.closed(socketPath: socketPath)
                }
            }
        } catch let error as ControlClientError {
            throw error
        } catch {
            throw .failed(socketPath: socketPath, reason: Self.describe(error))
        }
    }

    /// A system call's error as the system says it ("No such file or directory", "Permission
    /// denied"), not NIO's debugging form ("connect(descriptor:addr:size:): … (errno: 2)").
    static func describe(_ error: any Error) -> String {
        guard let error = error as? IOError else { return "\(error)" }
        return String(cString: strerror(error.errnoCode))
    }
}

public enum ControlClientError: Error, Sendable, CustomStringConvertible {
    case unreachable(socketPath: String, reason: String)
    case closed(socketPath: String)
    case timedOut(seconds: Double)
    case failed(socketPath: String, reason: String)

    public var description: String {
        switch self {
        case .unreachable(let path, let reason):
            "cannot reach heapwatchd at \(path): \(reason) (is heapwatchd running? is --socket right?)"
        case .closed(let path): "heapwatchd at \(path) closed the connection without a reply"
        case .timedOut(let seconds): "no reply from heapwatchd within \(Int(seconds))s"
        case .failed(let path, let reason): "talking to heapwatchd at \(path) failed: \(reason)"
        }
    }
}

/// Runs `body`, cancelling it and throwing `timeoutError` (default `ControlClientError.timedOut`) after `timeout`.
public func withTimeout<T: Sendable>(_ timeout: Duration, error timeoutError: (any Error & Sendable)? = nil,
                                     _ body: @Sendable @escaping () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            let seconds = timeout.inSeconds
            throw timeoutError ?? ControlClientError.timedOut(seconds: seconds)
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        return first
    }
}
