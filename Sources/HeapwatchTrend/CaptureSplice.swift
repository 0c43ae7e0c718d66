/// Takes the step our own heap snapshots leave in a process's memory out of what the trend sees.
///
/// V8 builds a snapshot's graph and JSON in C++ memory, and much of it stays resident after the
/// file is written (the allocator keeps the freed pages). Measured on `examples/leaky-app.js`: a
/// 54 MiB snapshot left anonymous memory 155 MiB higher for good, and the window's slope went
/// from 2.6 to 4.6 GiB/h at once. Read as growth, that step makes a flat process look like it
/// leaks, shortens a leak's forecast, and so asks for the next capture sooner: each capture would
/// bring the process closer to its limit.
///
/// Across each capture the splice measures the step as the trend itself sees the floor: the floor
/// points after the capture (the floor of each `width` seconds as `FloorEstimate` gives it,
/// `width` being the window's floor resolution) against the line of the floor's current regime
/// before it (the tracker's forecast line: the part since a change when the window holds one),
/// extended over the capture when it is growth (a leak keeps growing while it is captured; a fall
/// is not extrapolated).
/// The median of the points' distances over a third of the window after the capture (at least
/// three points) is the step; every later sample the trend is fed has
/// it taken off. Before the window has a line, its latest floor bucket is the level (and before
/// it has a bucket, its first few ticks, nothing is spliced).
/// A step the process's own variation could make (within three times the floor's noise, or the
/// usual swing above it: a slow sawtooth or uploads put the points anywhere on it) is not
/// spliced: measured without a real step, splicing it anyway put bogus steps into the corpus of
/// `make bench-detect` (the ETA within ±20 % fell from 94 % to 9 % of `leaking` ticks under a
/// 100 MiB, 5-minute sawtooth), and the detector already takes a small step in its stride.
/// Samples taken while the capture runs are left out; those after it are held back while the
/// floor after it is measured, then fed (unless another capture begins meanwhile and reaches the
/// process: they are left out too, and the two captures are spliced as one). Limits and the
/// forecast's level keep the memory the process really holds: only the slope and the
/// classification see the spliced series.
/// Pure and clock-free: times are the samples' seconds.
struct CaptureSplice: Sendable {
    /// The floor line before a capture, spliced: bytes at `time` and bytes per second (0 when it
    /// falls: a fall is not extrapolated), and the least step that is not the process's own
    /// variation, bytes.
    struct Reference: Sendable, Equatable {
        var time: Double
        var level: Double
        var slope: Double
        var minStep: Double = 0

        func value(at t: Double) -> Double { level + slope * (t - time) }
    }

    /// What the step of one capture is measured against: the line before it and the seconds per
    /// floor point.
    struct Capture: Sendable {
        var reference: Reference?
        var width: Double
        /// Floor points the step is measured on.
        var points: Int
    }

    /// An ended capture whose aftermath is being measured: when it ended, the samples held since.
    struct Settling: Sendable {
        var end: Double
        var held: [TrendSample] = []
    }

    enum Phase: Sendable {
        case idle
        /// A capture runs. `earlier`: the aftermath of the capture before it, when this one began
        /// while that was being measured (taken up again should this one be refused).
        case capturing(Capture, earlier: Settling?)
        /// Samples are held back until the capture's `points` floor points after it are complete.
        case settling(Capture, Settling)
    }

    /// Bytes taken off every sample's anon before the trend sees it: the sum of the steps so far.
    private(set) var offset: Double = 0
    private var phase = Phase.idle
    /// Seconds of floor points the step after a capture is measured over (at least `minPoints`).
    let settleSeconds: Double

    /// `settleSeconds`: for a trend window of `w` seconds, `w × settleShareOfWindow`; 0 measures
    /// the step on `minPoints` points.
    init(settleSeconds: Double) {
        self.settleSeconds = max(settleSeconds, 0)
    }

    /// A capture runs or its aftermath is being measured: the trend has not seen the samples since.
    var isBusy: Bool {
        if case .idle = phase { return false }
        return true
    }

    /// The share of the trend's window the step after a capture is measured over (5 minutes of
    /// the default 15). Each floor point is the floor of a few samples, so under sample noise it
    /// errs by about the noise. Measured on a flat process under 2 MiB of noise with a 150 MiB
    /// step at its capture, 40 seeds, 15-minute window: the median of 3 points (45 s at 5 s
    /// ticks and one-bucket points) got the step wrong by 0.69 MiB on average and up to 2.6 MiB,
    /// and the slope after the capture rose over the uncaptured run's by more than 3 MiB/h on 3
    /// seeds; over 5 minutes, by 0.53 and 1.5 MiB, and on no seed (180 s: 3 seeds; 480 s: none).
    /// The trend pauses that long after each capture (the limits do not: they see the memory as
    /// read), then takes in the samples held meanwhile.
    static let settleShareOfWindow = 1.0 / 3
    static let minPoints = 3
    /// Samples held at most (a bound on memory whatever the spacing): when a long window at short
    /// ticks needs more, the step is measured on the points they complete.
    static let maxHeld = 1024

    /// A capture of this process begins: its step will be measured against `reference` (nil: not
    /// measured) with floor points of `width` seconds.
    mutating func captureStarted(reference: Reference?, width: Double) {
        switch phase {
        case .capturing:
            return
        case let .settling(capture, settling):
            // Another capture before the floor after the last one was measured: one longer
            // capture, the samples between them left out.
            phase = .capturing(capture, earlier: settling)
        case .idle:
            let width = max(width, 1)
            let points = max(Self.minPoints, Int((settleSeconds / width).rounded(.up)))
            phase = .capturing(Capture(reference: reference, width: width, points: points), earlier: nil)
        }
    }

    /// The capture ended. `touched` is false when it was refused before anything was sent to
    /// the process: it changed nothing, so it is not spliced (an earlier capture it began after
    /// goes on being measured).
    mutating func captureEnded(at time: Double, touched: Bool) {
        guard case let .capturing(capture, earlier) = phase else { return }
        if touched {
            phase = .settling(capture, Settling(end: time))
        } else if let earlier {
            phase = .settling(capture, earlier)
        } else {
            phase = .idle
        }
    }

    /// Takes a sample (anon as read) and returns the samples the trend is fed now, spliced: none
    /// while a capture runs or the floor after it is measured, then the held ones, else the
    /// sample itself.
    mutating func take(_ sample: TrendSample) -> [TrendSample] {
        switch phase {
        case .idle:
            return [spliced(sample)]
        case .capturing:
            return []
        case .settling(let capture, var settling):
            settling.held.append(sample)
            guard sample.time >= settling.end + Double(capture.points) * capture.width || settling.held.count >= Self.maxHeld else {
                phase = .settling(capture, settling)
                return []
            }
            if let reference = capture.reference,
               let step = step(after: settling, width: capture.width, points: capture.points, reference: reference),
               abs(step) > reference.minStep {
                offset += step
            }
            phase = .idle
            return settling.held.map(spliced)
        }
    }

    /// Median distance of the floor points after the capture (spliced so far) from the line
    /// before it.
    private func step(after settling: Settling, width: Double, points: Int, reference: Reference) -> Double? {
        var groups: [Int: [Double]] = [:]
        for sample in settling.held {
            let index = Int(((sample.time - settling.end) / width).rounded(.down))
            guard index >= 0, index < points else { continue }
            groups[index, default: []].append(sample.heldAnonBytes - offset)
        }
        return Statistics.median(groups.map { index, values in
            FloorEstimate.floor(of: values) - reference.value(at: settling.end + (Double(index) + 0.5) * width)
        })
    }

    /// `offset` and, while the aftermath of a capture is measured, the step its complete floor
    /// points give so far (also while a second capture runs over it): what the forecast's level
    /// and the floor shown add back to the spliced trend, so the memory a capture left counts
    /// towards the limit from its first point on, not only once the step is measured.
    var levelOffset: Double {
        let measuring: (Capture, Settling)?
        switch phase {
        case .idle: measuring = nil
        case let .capturing(capture, earlier): measuring = earlier.map { (capture, $0) }
        case let .settling(capture, settling): measuring = (capture, settling)
        }
        guard let (capture, settling) = measuring else { return offset }
        return offset + (stepSoFar(capture, settling, minPoints: 1) ?? 0)
    }

    /// The step the complete floor points after a capture give so far (0 when it is within the
    /// process's own variation, or has no line to be measured against); nil while fewer than
    /// `minPoints` are complete.
    private func stepSoFar(_ capture: Capture, _ settling: Settling, minPoints: Int) -> Double? {
        guard let reference = capture.reference else { return 0 }
        guard let last = settling.held.last else { return nil }
        let complete = min(capture.points, Int(((last.time - settling.end) / capture.width).rounded(.down)))
        guard complete >= minPoints,
              let step = step(after: settling, width: capture.width, points: complete, reference: reference)
        else { return nil }
        return abs(step) > reference.minStep ? step : 0
    }

    /// While the aftermath of a capture is measured: the step that `minPoints` or more complete
    /// floor points after it give, and the samples held so far spliced with it — what `take` will
    /// feed once the step is measured on all of them, as near as it can be told now. Nil at other
    /// times, and until that many points are complete. The tracker judges a copy of itself fed
    /// with these, so a leak is not kept waiting out the whole measurement.
    var provisional: (step: Double, samples: [TrendSample])? {
        guard case let .settling(capture, settling) = phase,
              let step = stepSoFar(capture, settling, minPoints: Self.minPoints)
        else { return nil }
        return (step, settling.held.map { sample in
            var copy = sample
            copy.anonBytes -= offset + step
            return copy
        })
    }

    /// The sample as the trend sees it.
    func spliced(_ sample: TrendSample) -> TrendSample {
        var copy = sample
        copy.anonBytes -= offset
        return copy
    }

    /// Samples held, for the bounded-memory test.
    var storedCount: Int {
        if case let .settling(_, settling) = phase { return settling.held.count }
        return 0
    }
}
