// Test helper: records ticks into a history database as the daemon would, printing
// `committed N` after each commit, then sleeps until killed. The SIGKILL test kills it mid-run.
//
// heapwatch-history-writer DIRECTORY TICKS START_EPOCH_SECONDS
import Foundation
import HeapwatchHistory

let arguments = CommandLine.arguments
guard arguments.count == 4, let ticks = Int(arguments[2]), let start = Double(arguments[3]) else {
    FileHandle.standardError.write(Data("usage: heapwatch-history-writer DIRECTORY TICKS START_EPOCH_SECONDS\n".utf8))
    exit(2)
}
do {
    let store = try HistoryStore(directory: arguments[1])
    for tick in 0..<ticks {
        let sample = HistorySample(target: "api", pid: 4242, startTime: 777, rssBytes: UInt64(1_000_000 + tick),
                                   anonBytes: UInt64(500_000 + tick), state: "ok")
        try store.recordSynchronously(tick: [sample], at: start + Double(tick))
        FileHandle.standardOutput.write(Data("committed \(tick)\n".utf8))
    }
    while true { sleep(60) }
} catch {
    FileHandle.standardError.write(Data("heapwatch-history-writer: \(error)\n".utf8))
    exit(1)
}
