import Foundation
import HeapwatchCore
@testable import HeapwatchDaemon
import Logging
import TestSupport
import Testing

extension IntegrationSuite {
    /// The store's order of snapshots taken in one second (a manual capture beside an automatic
    /// one): the name's attempt, not string order, says which came later.
    @Suite struct SnapshotStoreOrderTests {
        @Test func snapshotsInOneSecondKeepTheOrderTheyWereTakenIn() throws {
            let directory = try TempDirectory()
            let store = SnapshotStore(settings: StorageSettings(dir: directory.path + "/snapshots", keepPerTarget: 20),
                                      logger: Logger(label: "test"))
            try store.prepare()
            let identity = ProcessIdentity(pid: 4242, startTime: 77)
            let epoch: Int64 = 1_795_569_753
            // Eleven captures in one second: attempts 0…10, so `-10` comes after `-9` and `-1` after none.
            var taken: [String] = []
            for index in 0...10 {
                let source = try directory.write(#"{"snapshot":{},"nodes":[],"strings":[]}"#, to: "Heap.\(index).heapsnapshot")
                let origin = SnapshotOrigin(target: "api", identity: identity, reason: index == 0 ? "baseline" : "manual", rssBytes: 1, anonBytes: 1)
                taken.append(try store.ingest(source: source, origin: origin, method: "signal", epochSeconds: epoch).path)
            }
            #expect(taken.last?.hasSuffix("-4242-10.heapsnapshot") == true, "\(taken)")
            #expect(store.list(target: "api").map(\.path) == taken.reversed(), "\(store.list(target: "api").map(\.path))")
            #expect(store.snapshots(of: "api", upTo: taken[10])?.paths == taken)
            #expect(store.snapshots(of: "api", upTo: taken[1])?.paths == Array(taken[0...1]))
            #expect(store.unanalyzed().map(\.path) == [taken[10]])
            // Each analysis writes its report beside its newest snapshot; the latest is the last one's.
            for path in taken[0...10] {
                try Data("{}".utf8).write(to: URL(fileURLWithPath: SnapshotStore.reportPath(of: path)))
            }
            #expect(store.reports(target: "api").first?.path == SnapshotStore.reportPath(of: taken[10]))
        }
    }
}
