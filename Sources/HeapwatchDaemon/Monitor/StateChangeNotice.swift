import HeapwatchCore
import HeapwatchTrend
import Logging

/// How heapwatchd tells of a process's change of state: a warning with its journald MESSAGE_ID
/// for what someone should act on, info for the rest.
struct StateChangeNotice: Equatable {
    var level: Logger.Level
    /// Put before the summary: "leak detected: ", "over limit: ", "near its limit: ", or "".
    var prefix: String
    var messageID: String?
    var kind: DaemonEvent.Kind

    /// The notice for a change into `assessment`'s state. A change into `growing` with a crash
    /// forecast within `captureBefore` is a warning too: that process may not live to its next
    /// change (a slow leak at its limit, or one that dies before its first window is judged).
    static func of(_ assessment: TrendAssessment, captureBefore: Double) -> StateChangeNotice {
        switch assessment.state {
        case .leaking:
            StateChangeNotice(level: .warning, prefix: "leak detected: ", messageID: MessageID.leakDetected, kind: .leakDetected)
        case .overLimit:
            StateChangeNotice(level: .warning, prefix: "over limit: ", messageID: MessageID.overLimit, kind: .overLimit)
        case .growing where assessment.forecastsCrash(within: captureBefore):
            StateChangeNotice(level: .warning, prefix: "near its limit: ", messageID: nil, kind: .stateChange)
        default:
            StateChangeNotice(level: .info, prefix: "", messageID: nil, kind: .stateChange)
        }
    }
}
