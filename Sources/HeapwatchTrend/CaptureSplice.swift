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
/// points after the capture (the least anon of each `width` seconds, `width` being the window's
/// floor resolution) against the line of the floor's current regime before it (the tracker's
/// forecast line: the part since a change when the window holds one), extended over the capture
/// when it is growth (a leak keeps growing while it is captured; a fall is not extrapolated).
/// The median of three points' distances is the step; every later sample the trend is fed has
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
        /// Samples are held back until `points` floor points after the capture are complete.
        case settling(Capture, Settling)
    }

    /// Bytes taken off every sample's anon before the trend sees it: the sum of the steps so far.
    private(set) var offset: Double = 0
    private var phase = Phase.idle

    /// A capture runs or its aftermath is being measured: the trend has not seen the samples since.
    var isBusy: Bool {
        if case .idle = phase { return false }
        return true
    }

    /// Floor points measured after a capture.
    static let points = 3
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
            phase = .capturing(Capture(reference: reference, width: max(width, 1)), earlier: nil)
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
            guard sample.time >= settling.end + Double(Self.points) * capture.width || settling.held.count >= Self.maxHeld else {
                phase = .settling(capture, settling)
                return []
            }
            if let reference = capture.reference, let step = step(after: settling, width: capture.width, reference: reference),
               abs(step) > reference.minStep {
                offset += step
            }
            phase = .idle
            return settling.held.map(spliced)
        }
    }

    /// Median distance of the floor points after the capture (spliced so far) from the line
    /// before it.
    private func step(after settling: Settling, width: Double, reference: Reference) -> Double? {
        var floors: [Int: Double] = [:]
        for sample in settling.held {
            let index = Int(((sample.time - settling.end) / width).rounded(.down))
            guard index >= 0, index < Self.points else { continue }
            floors[index] = min(floors[index] ?? .infinity, sample.anonBytes - offset)
        }
        return Statistics.median(floors.map { index, floor in
            floor - reference.value(at: settling.end + (Double(index) + 0.5) * width)
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
