import Foundation
import HeapwatchCore
import HeapwatchTrend
import Testing

struct ControlProtocolTests {
    func decode(_ text: String) throws(ControlProtocolError) -> ControlRequest {
        try ControlProtocol.decodeRequest(Array(text.utf8))
    }

    @Test func decodesRequests() throws {
        #expect(try decode(#"{"command":"status"}"#) == ControlRequest(command: .status))
        #expect(try decode(#"{"command":"snapshot","target":"api","wait":true}"#) == ControlRequest(command: .snapshot, target: "api", wait: true))
        #expect(try decode(#"{"command":"snapshot","pid":1234}"#) == ControlRequest(command: .snapshot, pid: 1234))
    }

    @Test(arguments: [
        ("not json", "not valid JSON"), ("[1]", "expected a JSON object"), (#"{"cmd":"status"}"#, "missing string field 'command'"),
        (#"{"command":"explode"}"#, "unknown command 'explode'"), (#"{"command":"snapshot"}"#, "needs 'target' or 'pid'"),
        (#"{"command":"snapshot","pid":-4}"#, "'pid' must be a positive integer"), (#"{"command":"snapshot","target":7}"#, "'target' must be a string"),
        (#"{"command":"snapshot","target":"a","wait":"yes"}"#, "'wait' must be true or false"),
    ])
    func rejectsBadRequests(text: String, message: String) {
        #expect {
            try decode(text)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func rejectsOverlongRequests() {
        let line = [UInt8](repeating: UInt8(ascii: " "), count: ControlProtocol.maxLineBytes + 1)
        #expect(throws: ControlProtocolError.tooLong(limit: ControlProtocol.maxLineBytes)) { try ControlProtocol.decodeRequest(line) }
    }

    @Test func requestsRoundTrip() throws {
        let request = ControlRequest(command: .snapshot, target: "api", pid: 9, wait: true)
        #expect(try ControlProtocol.decodeRequest(Array(request.encodedLine().dropLast())) == request)
    }

    @Test func statusRowsWriteNullsForAbsentValues() throws {
        let reply = StatusReply(version: "1", intervalSeconds: 5, targets: [TargetStatus(name: "api", state: "absent", snapshots: 0)])
        let text = String(decoding: ControlProtocol.encode(reply), as: UTF8.self)
        #expect(text.hasSuffix("\n"))
        #expect(text.contains(#""limit_bytes":null"#))
        #expect(text.contains(#""pid":null"#))
        #expect(text.contains(#""interval_seconds":5"#))
        #expect(text.contains(#""eta_lower_seconds":null"#))
        #expect(text.contains(#""eta_upper_seconds":null"#))
        #expect(text.contains(#""eta_limit":null"#) && text.contains(#""eta_limit_bytes":null"#))
        #expect(text.contains(#""capture_residue_bytes":null"#) && text.contains(#""trend_paused":null"#)
            && text.contains(#""snapshot_owed":null"#) && text.contains(#""next_capture":null"#))
        #expect(text.contains(#""ok":true"#))
        let decoded = try JSONDecoder().decode(StatusReply.self, from: Data(text.utf8))
        #expect(decoded == reply)
    }

    /// The forecast for people, with the range the slope's interval allows.
    @Test func forecastTextShowsTheRange() {
        #expect(TargetStatus.forecastText(eta: nil, earliest: nil, latest: nil) == nil)
        #expect(TargetStatus.forecastText(eta: 3 * 3600 + 300, earliest: 6720, latest: 31260) == "in 3h5m (1h52m to 8h41m)")
        #expect(TargetStatus.forecastText(eta: 7200, earliest: 3600, latest: nil) == "in 2h (1h or later)")
        // No interval (already past the limit, or a slope known exactly): the point alone.
        #expect(TargetStatus.forecastText(eta: 0, earliest: 0, latest: 0) == "in 0s")
        #expect(TargetStatus.forecastText(eta: 600, earliest: 600, latest: 600) == "in 10m")
        // The reply carries the range for scripts.
        let row = TargetStatus(name: "api", state: "leaking", snapshots: 1, etaSeconds: 7200, etaLowerSeconds: 3600, etaUpperSeconds: 9000)
        let text = String(decoding: ControlProtocol.encode(StatusReply(version: "1", intervalSeconds: 5, targets: [row])), as: UTF8.self)
        #expect(text.contains(#""eta_lower_seconds":3600"#))
        #expect(text.contains(#""eta_upper_seconds":9000"#))
    }

    /// The forecast says which limit it is about: a V8 heap limit is not a cgroup limit.
    @Test func forecastSentenceNamesTheLimit() throws {
        var row = TargetStatus(name: "api", state: "leaking", snapshots: 1, etaSeconds: 7200, etaLowerSeconds: 3600, etaUpperSeconds: 9000,
                               heapUsedBytes: 3 << 30, etaLimit: .v8Heap, etaLimitBytes: 4 << 30)
        #expect(row.forecastSentence == "hits its V8 heap limit (4GiB) in 2h (1h to 2h30m)")
        let text = String(decoding: ControlProtocol.encode(StatusReply(version: "1", intervalSeconds: 5, targets: [row])), as: UTF8.self)
        #expect(text.contains(#""eta_limit":"v8_heap""#) && text.contains(#""eta_limit_bytes":4294967296"#))
        let decoded = try JSONDecoder().decode(StatusReply.self, from: Data(text.utf8))
        #expect(decoded.targets == [row])
        row.etaLimit = .host
        row.etaLimitBytes = 23 << 30
        #expect(row.forecastSentence == "fills the host's memory (23GiB) in 2h (1h to 2h30m)")
        // Without heap figures, the V8 heap limit cannot be forecast, and may come first.
        row.heapUsedBytes = nil
        row.v8HeapLimitBytes = 4 << 30
        #expect(row.forecastSentence == "fills the host's memory (23GiB) in 2h (1h to 2h30m); its V8 heap limit (4GiB) may end it sooner (a heap_source would tell)")
        row.v8HeapLimitBytes = 30 << 30
        #expect(row.forecastSentence == "fills the host's memory (23GiB) in 2h (1h to 2h30m)")
        let json = String(decoding: ControlProtocol.encode(StatusReply(version: "1", intervalSeconds: 5, targets: [row])), as: UTF8.self)
        #expect(json.contains(#""v8_heap_limit_bytes":32212254720"#))
        row.v8HeapLimitBytes = nil
        row.etaLimit = nil
        row.etaLimitBytes = nil
        #expect(row.forecastSentence == "hits its limit in 2h (1h to 2h30m)")
        row.etaSeconds = nil
        #expect(row.forecastSentence == nil)
    }

    /// A row counts its own process's snapshots, and the target's beside them when there are more.
    @Test func snapshotsColumnCountsTheProcessAndTheTarget() throws {
        var row = TargetStatus(name: "api", pid: 7, state: "leaking", snapshots: 1)
        #expect(row.snapshotsColumn == "1")
        row.targetSnapshots = 1
        #expect(row.snapshotsColumn == "1")
        row.targetSnapshots = 4
        #expect(row.snapshotsColumn == "1 of 4")
        let text = String(decoding: ControlProtocol.encode(StatusReply(version: "1", intervalSeconds: 5, targets: [row])), as: UTF8.self)
        #expect(text.contains(#""snapshots":1,"#) && text.contains(#""target_snapshots":4"#), "\(text)")
        #expect(try JSONDecoder().decode(StatusReply.self, from: Data(text.utf8)).targets == [row])
    }

    /// What heapwatch's own snapshots did to the process, said under the table.
    @Test func captureNoteSaysWhatTheSnapshotsLeft() throws {
        var row = TargetStatus(name: "api", state: "leaking", snapshots: 1)
        #expect(row.captureNote == nil)
        row.captureResidueBytes = 155 << 20
        #expect(row.captureNote == "155MiB of its memory is what heapwatch's heap snapshots left (not counted as growth)")
        row.captureResidueBytes = -(30 << 20)
        #expect(row.captureNote == "its memory fell 30MiB at heapwatch's heap snapshots (not counted as a fall)")
        row.trendPaused = true
        #expect(row.captureNote?.hasPrefix("trend paused while a heap snapshot is taken") == true)
        // A snapshot still owed is what the user must know first: nothing more will be asked.
        row.snapshotOwed = true
        #expect(row.captureNote?.hasPrefix("owes the heap snapshot heapwatch asked for (its event loop was busy)") == true)
        let text = String(decoding: ControlProtocol.encode(StatusReply(version: "1", intervalSeconds: 5, targets: [row])), as: UTF8.self)
        #expect(text.contains(#""capture_residue_bytes":-31457280"#) && text.contains(#""trend_paused":true"#)
            && text.contains(#""snapshot_owed":true"#))
        #expect(try JSONDecoder().decode(StatusReply.self, from: Data(text.utf8)).targets == [row])
        var waiting = row
        waiting.nextCapture = NextCapture(reason: "follow_up", inSeconds: 780, wait: "cooldown", setting: "1h")
        let waitingText = String(decoding: ControlProtocol.encode(StatusReply(version: "1", intervalSeconds: 5, targets: [waiting])), as: UTF8.self)
        #expect(waitingText.contains(#""next_capture":{"in_seconds":780,"reason":"follow_up","setting":"1h","wait":"cooldown"}"#), "\(waitingText)")
        #expect(try JSONDecoder().decode(StatusReply.self, from: Data(waitingText.utf8)).targets == [waiting])
        #expect(waiting.nextCapture?.sentence == "next heap snapshot (follow-up) in 13m, once the cooldown (1h) since the last capture ends")
        #expect(NextCapture(reason: "follow_up", inSeconds: 150, wait: "before_crash", setting: "1h").sentence
            == "next heap snapshot (follow-up) in 2m, halfway to the forecast crash: the cooldown (1h) would outlast the process")
        // A reply without the keys (an older daemon) still decodes.
        let old = #"{"ok":true,"version":"1","interval_seconds":5,"targets":[{"name":"api","state":"ok","snapshots":0}]}"#
        let decodedOld = try #require(try JSONDecoder().decode(StatusReply.self, from: Data(old.utf8)).targets.first)
        #expect(decodedOld.captureResidueBytes == nil && decodedOld.snapshotOwed == nil && decodedOld.captureNote == nil)
    }

    @Test func accessPolicy() {
        let policy = ControlAccessPolicy(daemonUID: 990, socketGID: 990)
        #expect(policy.allows(.snapshot, peerUID: 0, peerGroups: []))
        #expect(policy.allows(.reload, peerUID: 990, peerGroups: []))
        #expect(policy.allows(.status, peerUID: 1000, peerGroups: [990]))
        #expect(!policy.allows(.snapshot, peerUID: 1000, peerGroups: [990]))
        #expect(!policy.allows(.status, peerUID: 1000, peerGroups: [1000]))
    }

    @Test func summaryLineNamesTheTroubledFirst() {
        let rows = [
            TargetStatus(name: "web", pid: 1, rssBytes: 100 * 1024 * 1024, slopeBytesPerHour: 0, state: "ok", snapshots: 0),
            TargetStatus(name: "api", pid: 2, rssBytes: 1_288_490_189, slopeBytesPerHour: 40 * 1024 * 1024, state: "leaking", snapshots: 1),
            TargetStatus(name: "idle", state: "absent", snapshots: 0),
        ]
        #expect(TargetStatus.summaryLine(rows) == "2 processes; api 1.2GiB +40MiB/h leaking; web 100MiB +0B/h ok")
        #expect(TargetStatus.summaryLine([rows[2]]) == "watching; no matching process")
        #expect(TargetStatus.summaryLine(rows, limit: 1) == "2 processes; api 1.2GiB +40MiB/h leaking; +1 more")
        var swapping = rows[1]
        (swapping.rssBytes, swapping.swapBytes) = (300 << 20, 80 << 20)
        #expect(TargetStatus.summaryLine([swapping]) == "1 process; api 300MiB+80MiB swap +40MiB/h leaking")
    }
}
