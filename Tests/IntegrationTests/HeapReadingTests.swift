import Foundation
import HeapwatchCore
import Logging
import Synchronization
import Testing
import TestSupport
@testable import HeapwatchDaemon

extension IntegrationSuite {
    /// Heap figures through the inspector, once a minute: the first opening of a process's inspector
    /// is announced at notice level, the later ones at debug (a reading a minute must not fill the
    /// journal), and a failure is logged when it is new, not at every reading. Under
    /// `IntegrationSuite`, one test at a time: it opens a real inspector on port 9229, which the
    /// capture tests open too (beside them it failed as "port 9229 is taken by another process").
    @Suite("Heap readings")
    struct HeapReadingTests {
        @Test func theMonitorAnnouncesTheFirstReadingAndRemembersTheLastFailure() async throws {
            let directory = try TempDirectory()
            let app = try NodeApp(script: "fixed-app.js", directory: directory.path)
            let configPath = directory.path + "/heapwatch.toml"
            try """
                [daemon]
                state_dir = "\(directory.path)/state"
                [[target]]
                name = "app"
                command = "\(app.tag)"
                capture = "none"
                heap_source = "inspector"
                """.write(toFile: configPath, atomically: true, encoding: .utf8)
            let config = try ConfigLoader.load(path: configPath)
            let clock = ManualClock()
            let monitor = Monitor(config: config, procFS: ProcFS(), cgroups: CgroupReader(mounts: []), clock: clock,
                                  events: EventHub(), logger: Logger(label: "test"))
            _ = await monitor.tick()

            let first = try #require(await monitor.heapSourceRequests().first { $0.identity.pid == app.pid })
            #expect(first.firstReading && first.lastFailure == nil)
            await monitor.updateHeap(first.identity, nil, failure: "through the inspector: refused")
            #expect(await monitor.heapSourceRequests().isEmpty, "asked again within the minute")

            clock.advance(by: .seconds(HeapSource.inspectorSpacing + 1))
            let second = try #require(await monitor.heapSourceRequests().first)
            #expect(second.firstReading, "no reading has succeeded yet")
            #expect(second.lastFailure == "through the inspector: refused")
            await monitor.updateHeap(second.identity, HeapFigures(heapUsed: 5 << 20))

            clock.advance(by: .seconds(HeapSource.inspectorSpacing + 1))
            let third = try #require(await monitor.heapSourceRequests().first)
            #expect(!third.firstReading && third.lastFailure == nil)
        }

        @Test func onlyTheAnnouncedReadingOpensTheInspectorAtNoticeLevel() async throws {
            let directory = try TempDirectory()
            let app = try NodeApp(script: "fixed-app.js", directory: directory.path)
            let procFS = ProcFS()
            let identity = ProcessIdentity(pid: app.pid, startTime: try procFS.stat(app.pid).startTime)
            let status = try ProcessDirectory(procFS: procFS, identity: identity).status()
            let records = LogRecords()
            var logger = Logger(label: "test") { _ in RecordingLogHandler(records: records) }
            logger.logLevel = .debug
            let inspector = InspectorCapture(procFS: procFS, signaller: PidfdSignaller(procFS: procFS), logger: logger,
                                             markerDirectory: directory.path + "/markers")
            let flags = NodeFlags.parse(arguments: ["node", Paths.examples + "/fixed-app.js", app.tag], nodeOptions: nil)

            for announce in [true, false] {
                records.clear()
                let figures = try await inspector.heapFigures(identity: identity, target: "app", flags: flags, status: status, announce: announce)
                #expect(figures.heapUsed > 0)
                let opened = try #require(records.all.first { $0.message.hasPrefix("opened the inspector of app pid \(app.pid)") })
                let closed = try #require(records.all.first { $0.message == "inspector of app pid \(app.pid) closed" })
                #expect(opened.level == (announce ? .notice : .debug), "\(opened)")
                #expect(closed.level == opened.level)
                #expect(opened.message.contains("for heap figures"))
            }
            #expect(app.isAlive)
        }
    }
}

/// A clock that moves only when told.
final class ManualClock: Clock, Sendable {
    typealias Instant = ContinuousClock.Instant
    typealias Duration = Swift.Duration
    private let base = ContinuousClock.now
    private let offset = Mutex(Swift.Duration.zero)

    var now: Instant { base + offset.withLock { $0 } }
    var minimumResolution: Swift.Duration { .nanoseconds(1) }

    func advance(by duration: Swift.Duration) { offset.withLock { $0 += duration } }

    /// Nothing under test sleeps on it; a sleep would wait for an `advance` that never comes.
    func sleep(until deadline: Instant, tolerance: Swift.Duration?) async throws {
        Issue.record("ManualClock.sleep: advance the clock instead")
        throw CancellationError()
    }
}

/// Log lines kept for a test to read.
final class LogRecords: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata = [:]
    }
    private let records = Mutex<[Record]>([])
    var all: [Record] { records.withLock { $0 } }
    func append(_ record: Record) { records.withLock { $0.append(record) } }
    func clear() { records.withLock { $0 = [] } }
}

struct RecordingLogHandler: LogHandler {
    let records: LogRecords
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        records.append(.init(level: event.level, message: "\(event.message)",
                             metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
    }
}
