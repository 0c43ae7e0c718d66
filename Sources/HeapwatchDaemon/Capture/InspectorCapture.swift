import Foundation
import HeapwatchCore
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Captures a heap snapshot through the Node inspector, from any Node process, prepared or not:
/// SIGUSR1 opens the inspector on loopback, `HeapProfiler.takeHeapSnapshot` streams the snapshot
/// as JSON-escaped chunks straight into the store's `.partial` file, and the inspector is closed
/// again. Anyone who can reach the port can run code in the target, so the window is kept short,
/// it is logged, and it is refused when the port belongs to another process.
struct InspectorCapture {
    let procFS: ProcFS
    let signaller: any Signaller
    let logger: Logger
    /// Where heapwatch notes the inspectors it opened (`<pid>-<start time>` holding the port), so
    /// that one left open by a crash is closed at the next start.
    let markerDirectory: String
    /// Seconds to wait for the inspector to listen after SIGUSR1.
    var openTimeout: Double = 10
    var pollInterval: Double = 0.1

    /// Why an inspector capture of this process is not allowed, or nil.
    static func refusal(status: ProcStatus, flags: NodeFlags, alreadyListening: Bool) -> String? {
        if alreadyListening { return nil }
        if flags.disableSigusr1 { return "started with --disable-sigusr1: the inspector cannot be opened from outside" }
        if !status.catchesSIGUSR1 {
            return "SIGUSR1 is not caught (SigCgt=\(String(status.caughtSignals, radix: 16))); sending it would kill the process, so no signal was sent"
        }
        return nil
    }

    /// Streams a snapshot of `job`'s process into `output`. Throws a readable reason.
    func capture(_ job: CaptureJob, status: ProcStatus, into output: SnapshotWriter, deadline: ContinuousClock.Instant) async throws {
        try await withSession(identity: job.identity, target: job.target, flags: job.flags, status: status, deadline: deadline) { session in
            _ = try await session.call("HeapProfiler.enable")
            var chunkError: (any Error)?
            _ = try await session.call("HeapProfiler.takeHeapSnapshot", ["reportProgress": false, "captureNumericValue": false]) { event, params in
                guard event == "HeapProfiler.addHeapSnapshotChunk", chunkError == nil,
                      let chunk = params["chunk"] as? String else { return }
                do { try output.write(Array(chunk.utf8)) } catch { chunkError = error }
            }
            if let chunkError { throw chunkError }
        }
    }

    /// V8's own figures: `process.memoryUsage()` and the heap limit. Opening and closing the
    /// inspector is logged at notice level when `announce` is true (the first reading of a
    /// process), else at debug: a reading once a minute would fill the journal.
    func heapFigures(identity: ProcessIdentity, target: String, flags: NodeFlags, status: ProcStatus,
                     announce: Bool = true) async throws -> HeapFigures {
        try await withSession(identity: identity, target: target, flags: flags, status: status, deadline: .now + .seconds(15),
                              openedLevel: announce ? .notice : .debug,
                              purpose: announce
                                  ? " for heap figures (again every \(Units.formatDuration(HeapSource.inspectorSpacing)), logged at debug level)"
                                  : " for heap figures") { session in
            let value = try await session.evaluate(
                "(() => { const m = process.memoryUsage(); const v8 = process.getBuiltinModule ? process.getBuiltinModule('v8') : null; "
                + "return { heapUsed: m.heapUsed, heapTotal: m.heapTotal, heapLimit: v8 ? v8.getHeapStatistics().heap_size_limit : null }; })()")
            guard let object = value as? [String: Any], let figures = HeapFigures(json: object) else {
                throw InspectorError("process.memoryUsage() gave no heapUsed")
            }
            return figures
        }
    }

    /// Opens (when needed) and checks the inspector of one process, runs `body` in a CDP session,
    /// and closes the inspector again if heapwatch opened it.
    private func withSession<T: Sendable>(identity: ProcessIdentity, target: String, flags: NodeFlags, status: ProcStatus,
                                          deadline: ContinuousClock.Instant, openedLevel: Logger.Level = .notice, purpose: String = "",
                                          _ body: (InspectorSession) async throws -> T) async throws -> T {
        let pid = identity.pid
        let port = flags.inspectPort ?? 9229
        guard try sameNetworkNamespace(pid) else {
            throw InspectorError("pid \(pid) is in another network namespace; its inspector is not reachable on this host's loopback")
        }
        let metadata: Logger.Metadata = [LogField.target: "\(target)", LogField.pid: "\(pid)"]
        let openedByUs: Bool
        switch try listener(of: port, pid: pid) {
        case .ours: openedByUs = false
        case .someoneElse:
            throw InspectorError("port \(port) is taken by another process; not opening pid \(pid)'s inspector")
        case .nobody:
            if let refusal = Self.refusal(status: status, flags: flags, alreadyListening: false) { throw InspectorError(refusal) }
            try writeMarker(identity, port: port)
            try signaller.send(SIGUSR1, to: identity)
            openedByUs = true
            logger.log(level: openedLevel, "opened the inspector of \(target) pid \(pid) on 127.0.0.1:\(port)\(purpose)", metadata: metadata)
            try await waitForListener(port: port, pid: pid, deadline: min(deadline, .now + .seconds(openTimeout)))
        }
        defer {
            if openedByUs {
                logger.log(level: openedLevel, "inspector of \(target) pid \(pid) closed", metadata: metadata)
                unlink(markerPath(identity))
            }
        }
        let debuggerURL = try await webSocketURL(port: port, deadline: deadline)
        let result = try await InspectorSession.with(url: debuggerURL) { session in
            do {
                let reported = try await session.evaluate("process.pid")
                guard (reported as? Int) == Int(pid) else {
                    throw InspectorError("the inspector on port \(port) belongs to pid \(reported.map { "\($0)" } ?? "?"), not \(pid)")
                }
                let value = try await body(session)
                if openedByUs { try? await closeInspector(session) }
                return value
            } catch {
                if openedByUs { try? await closeInspector(session) }
                throw error
            }
        }
        if openedByUs, case .ours = (try? listener(of: port, pid: pid)) ?? .nobody {
            logger.warning("pid \(pid)'s inspector still listens on 127.0.0.1:\(port) after close()", metadata: metadata)
        }
        return result
    }

    // MARK: - Leftovers

    private func markerPath(_ identity: ProcessIdentity) -> String {
        "\(markerDirectory)/\(identity.pid)-\(identity.startTime)"
    }

    private func writeMarker(_ identity: ProcessIdentity, port: Int) throws {
        try Sys.makeDirectory(markerDirectory, mode: 0o700)
        try FileCopier.writeAtomically(Array("\(port)\n".utf8), to: markerPath(identity))
    }

    /// Closes inspectors an earlier run opened and could not close (it was killed mid-capture).
    func closeLeftovers() async {
        for name in (try? Sys.listDirectory(markerDirectory)) ?? [] where !name.hasSuffix(".partial") {
            let path = markerDirectory + "/" + name
            defer { unlink(path) }
            let parts = name.split(separator: "-")
            guard parts.count == 2, let pid = Int32(parts[0]), let start = UInt64(parts[1]),
                  let port = (try? Sys.readText(path)).flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }),
                  let stat = try? procFS.stat(pid), stat.startTime == start,
                  (try? listener(of: port, pid: pid)) == .ours else { continue }
            do {
                let url = try await webSocketURL(port: port, deadline: .now + .seconds(5))
                try await InspectorSession.with(url: url) { session in
                    guard (try await session.evaluate("process.pid") as? Int) == Int(pid) else { return }
                    try await closeInspector(session)
                }
                logger.notice("closed the inspector of pid \(pid) on 127.0.0.1:\(port), left open by an earlier run",
                              metadata: [LogField.pid: "\(pid)"])
            } catch {
                logger.warning("could not close the inspector of pid \(pid) on 127.0.0.1:\(port) left open by an earlier run: \(error)",
                               metadata: [LogField.pid: "\(pid)"])
            }
        }
    }

    private func closeInspector(_ session: InspectorSession) async throws {
        // Node ≥ 20.16 has process.getBuiltinModule; close() ends this very session, so no reply is awaited.
        try await session.send("Runtime.evaluate", [
            "expression": "(process.getBuiltinModule ? process.getBuiltinModule('inspector') : process.mainModule.require('inspector')).close()",
        ])
    }

    // MARK: - Finding the inspector

    enum PortOwner { case ours, someoneElse, nobody }

    /// Who listens on loopback `port` in the target's network namespace.
    func listener(of port: Int, pid: Int32) throws -> PortOwner {
        var listeners: [ProcNetTCP.Listener] = []
        for file in ["net/tcp", "net/tcp6"] {
            if let text = try? Sys.readText(procFS.path(pid, file)) { listeners += ProcNetTCP.listeners(text) }
        }
        let onPort = listeners.filter { $0.port == port && ($0.isLoopback || $0.isWildcard) }
        guard !onPort.isEmpty else { return .nobody }
        let sockets = try procFS.openFileTargets(pid)
        return onPort.contains { sockets.contains("socket:[\($0.inode)]") } ? .ours : .someoneElse
    }

    private func waitForListener(port: Int, pid: Int32, deadline: ContinuousClock.Instant) async throws {
        while true {
            switch try listener(of: port, pid: pid) {
            case .ours: return
            case .someoneElse: throw InspectorError("port \(port) was taken by another process while pid \(pid) opened its inspector")
            case .nobody: break
            }
            if ContinuousClock.now >= deadline {
                throw InspectorError("pid \(pid) did not open its inspector on port \(port) after SIGUSR1")
            }
            try await Task.sleep(for: .seconds(pollInterval))
        }
    }

    private func webSocketURL(port: Int, deadline: ContinuousClock.Instant) async throws -> String {
        let response = try await HTTPClient.fetch("http://127.0.0.1:\(port)/json/list", timeout: .seconds(5))
        guard response.status == 200,
              let targets = try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]],
              let url = targets.compactMap({ $0["webSocketDebuggerUrl"] as? String }).first else {
            throw InspectorError("http://127.0.0.1:\(port)/json/list gave no webSocketDebuggerUrl")
        }
        return url
    }

    private func sameNetworkNamespace(_ pid: Int32) throws -> Bool {
        let theirs = try Sys.readLink(procFS.path(pid, "ns/net"))
        let ours = try Sys.readLink(procFS.root + "/self/ns/net")
        return theirs == ours
    }
}
