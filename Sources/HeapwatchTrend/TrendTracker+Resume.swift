/// A sample an earlier run of the daemon took of a process instance, and whether one of its
/// captures of the process was under way then.
public struct RecordedTrendSample: Sendable, Equatable {
    public var sample: TrendSample
    /// A capture ran or began since the sample before.
    public var capturing: Bool
    /// A capture ended since the sample before without reaching the process (refused): no step.
    public var captureEndedUntouched: Bool

    public init(_ sample: TrendSample, capturing: Bool = false, captureEndedUntouched: Bool = false) {
        self.sample = sample
        self.capturing = capturing
        self.captureEndedUntouched = captureEndedUntouched
    }
}

extension TrendTracker {
    /// Takes in, oldest first, the samples an earlier run of the daemon took of this process
    /// instance, so a restart goes on from the trend it had (a leak hours old is still `leaking`
    /// at the first tick, its forecast still drawn from the long history) instead of warming up
    /// for a window. Captures are replayed as they ran: the samples taken meanwhile are left out
    /// and the step each left is measured and spliced from the samples after it. A capture the
    /// earlier run did not see end (it stopped mid-capture) ends at its last sample, so its step
    /// is measured from the samples that come next. Samples are judged against `limits`, the
    /// process's limits of now.
    @discardableResult
    public mutating func resume(from recorded: [RecordedTrendSample], limits: MemoryLimits) -> TrendAssessment {
        var capturing = false
        var lastCapturing = 0.0
        for item in recorded {
            if item.captureEndedUntouched {
                // Refused: it left nothing to measure, as the live trend knew. Both bits with no
                // capture under way: one begun and refused between two ticks, no capture at all;
                // with one under way, another began after its refusal (below).
                let beganAnother = capturing && item.capturing
                if capturing { captureEnded(at: item.sample.time, touched: false) }
                capturing = false
                guard beganAnother else {
                    record(item.sample, limits: limits)
                    continue
                }
            }
            if capturing, !item.capturing {
                // It ended between the two ticks; the earlier run recorded the sample after it uncaptured.
                captureEnded(at: item.sample.time, touched: true)
                capturing = false
            }
            record(item.sample, limits: limits)
            if item.capturing {
                // It began just after the tick that first recorded it (the sample was read before).
                if !capturing { captureStarted(at: item.sample.time) }
                capturing = true
                lastCapturing = item.sample.time
            }
        }
        if capturing { captureEnded(at: lastCapturing, touched: true) }
        return assessment
    }
}
