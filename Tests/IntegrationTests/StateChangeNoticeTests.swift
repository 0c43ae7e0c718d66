@testable import HeapwatchDaemon
import HeapwatchTrend
import Logging
import Testing

/// How heapwatchd logs a change of state: warnings for what someone must act on.
struct StateChangeNoticeTests {
    let captureBefore = 1800.0

    @Test func leaksAndLimitsAreWarningsWithTheirMessageIDs() {
        let leak = StateChangeNotice.of(TrendAssessment(state: .leaking, etaSeconds: 7200), captureBefore: captureBefore)
        #expect(leak == StateChangeNotice(level: .warning, prefix: "leak detected: ", messageID: MessageID.leakDetected, kind: .leakDetected))
        let over = StateChangeNotice.of(TrendAssessment(state: .overLimit), captureBefore: captureBefore)
        #expect(over == StateChangeNotice(level: .warning, prefix: "over limit: ", messageID: MessageID.overLimit, kind: .overLimit))
    }

    /// `growing` with its crash forecast within capture_before is a warning; hours away, or with
    /// no forecast, it is info like every other change.
    @Test func growingIsAWarningOnlyNearItsLimit() {
        let near = StateChangeNotice.of(TrendAssessment(state: .growing, etaSeconds: captureBefore - 60), captureBefore: captureBefore)
        #expect(near == StateChangeNotice(level: .warning, prefix: "near its limit: ", messageID: nil, kind: .stateChange))
        let info = StateChangeNotice(level: .info, prefix: "", messageID: nil, kind: .stateChange)
        #expect(StateChangeNotice.of(TrendAssessment(state: .growing, etaSeconds: 4 * 3600), captureBefore: captureBefore) == info)
        #expect(StateChangeNotice.of(TrendAssessment(state: .growing), captureBefore: captureBefore) == info)
        // A forecast near the limit makes no warning of a calmer state.
        #expect(StateChangeNotice.of(TrendAssessment(state: .ok, etaSeconds: 60), captureBefore: captureBefore) == info)
    }
}
