import CLinux
import HeapwatchControl
import HeapwatchCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// The control socket: a unix stream socket, mode 0660, one request line and one reply line per
/// connection. A client that sends nothing within `requestTimeout` is dropped, as is one whose line
/// passes 64 KiB; at most `maxConnections` are served at once. Sampling never waits on a client.
public struct ControlService<C: Clock>: Service where C.Duration == Duration {
    let socketPath: String
    let handler: ControlHandler<C>
    let readiness: Readiness
    let logger: Logger
    var requestTimeout: TimeAmount = .seconds(10)
    var maxConnections = 32

    public func run() async throws {
        try prepareDirectory()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .bind(unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(IdleStateHandler(readTimeout: requestTimeout), name: "idle")
                    try sync.addHandler(CloseOnIdleHandler(), name: "close-on-idle")
                    try sync.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLength: ControlProtocol.maxLineBytes)))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        guard chmod(socketPath, 0o660) == 0 else {
            throw SystemError("chmod", path: socketPath, errno: errno)
        }
        logger.info("control socket listening on \(socketPath)")
        await readiness.markSocketBound()
        let active = ConnectionCounter()
        try await withGracefulShutdownHandler {
            try await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in connections {
                        guard await active.enter(limit: maxConnections) else {
                            try? await connection.executeThenClose { _, outbound in
                                try await outbound.write(ByteBuffer(bytes: ControlProtocol.errorReply("too many connections; try again")))
                            }
                            continue
                        }
                        group.addTask {
                            await serve(connection, policy: currentPolicy())
                            await active.leave()
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
        unlink(socketPath)
    }

    /// The socket's group is read per connection: an admin may `chgrp` it while the daemon runs.
    private func currentPolicy() -> ControlAccessPolicy {
        let socketGID = (try? Sys.fileStatus(socketPath)).map { UInt32($0.st_gid) } ?? getgid()
        return ControlAccessPolicy(daemonUID: getuid(), socketGID: socketGID)
    }

    private func prepareDirectory() throws {
        guard let slash = socketPath.lastIndex(of: "/"), slash != socketPath.startIndex else { return }
        let directory = String(socketPath[..<slash])
        if access(directory, F_OK) != 0 { try Sys.makeDirectory(directory, mode: 0o755) }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, policy: ControlAccessPolicy) async {
        let peer = await peerCredentials(connection.channel)
        do {
            try await connection.executeThenClose { inbound, outbound in
                do {
                    for try await line in inbound {
                        // The request is in: waiting for a capture is not being idle.
                        try? await connection.channel.pipeline.removeHandler(name: "idle")
                        let reply = await handler.reply(to: Array(line.readableBytesView), peer: peer, policy: policy)
                        try await outbound.write(ByteBuffer(bytes: reply))
                        return
                    }
                } catch let error as LineTooLongError {
                    logger.info("control client sent an over-long request; dropped")
                    try await outbound.write(ByteBuffer(bytes: ControlProtocol.errorReply("\(ControlProtocolError.tooLong(limit: error.limit))")))
                }
            }
        } catch {
            logger.debug("control connection ended: \(error)")
        }
    }

    private func peerCredentials(_ channel: any Channel) async -> PeerCredentials? {
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        let future: EventLoopFuture<heapwatch_ucred> = provider.unsafeGetSocketOption(
            level: NIOBSDSocket.OptionLevel.socket, name: NIOBSDSocket.Option(rawValue: SO_PEERCRED))
        guard let credentials = try? await future.get() else { return nil }
        return PeerCredentials(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid)
    }
}

struct PeerCredentials: Sendable {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32
}

/// Closes a connection that stayed silent past the idle handler's read timeout.
final class CloseOnIdleHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}

actor ConnectionCounter {
    private var count = 0

    func enter(limit: Int) -> Bool {
        guard count < limit else { return false }
        count += 1
        return true
    }

    func leave() { count -= 1 }
}
