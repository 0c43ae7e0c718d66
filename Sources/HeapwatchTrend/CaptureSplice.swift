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
/// it taken off. Before the window has a line, the last floor point before the capture is used.
/// A step the process's own variation could make (within three times the floor's noise, or the
/// usual swing above it: a slow sawtooth or uploads put the points anywhere on it) is not
/// spliced: measured without a real step, splicing it anyway put bogus steps into the corpus of
/// `make bench-detect` (the ETA within ±20 % fell from 94 % to 9 % of `leaking` ticks under a
/// 100 MiB, 5-minute sawtooth), and the detector already takes a small step in its stride.
/// Samples taken while the capture runs are left out; those after it are held back while the
/// floor after it is measured, then fed (unless another capture begins meanwhile and reaches the
/// process: they are left out too, and the two captures are spliced as one). Limits and the forecast's level keep the
/// memory the process really holds: only the slope and the classification see the spliced series.
/// Pure and clock-free: times are the samples' seconds.
struct CaptureSplice: Sendable {
    /// The floor line before a capture, spliced: bytes at `time`, bytes per second, and the
    /// least step that is not the process's own variation, bytes.
    struct Reference: Sendable, Equatable {
        var time: Double
        var level: Double
        var slope: Double
        var minStep: Double = 0

        func value(at t: Double) -> Double { level + slope * (t - time) }
    }

    /// Bytes taken off every sample's anon before the trend sees it: the sum of the steps so far.
    private(set) var offset: Double = 0
    private var phase = Phase.idle
    /// The last samples (spliced) while no capture runs: the floor point before one when the
    /// window has no line yet.
    private var recent: [TrendSample] = []

    /// Floor points measured on each side of a capture.
    static let points = 3
    /// Samples held at most (a bound on memory whatever the spacing): when a long window at short
    /// ticks needs more, the step is measured on the points they complete. And remembered.
    static let maxHeld = 1024
    static let maxRecent = 32

    /// An ended capture whose aftermath is being measured.
    struct Settling: Sendable {
        var end: Double
        var held: [TrendSample]
    }

    enum Phase: Sendable {
        case idle
        /// A capture runs. `earlier`: the capture before it, when this one began while that one's
        /// aftermath was being measured (taken up again should this one be refused).
        case capturing(reference: Reference?, width: Double, earlier: Settling?)
        /// The capture ended at `end`: samples are held back until `points` floor points
        /// after it are complete.
        case settling(reference: Reference?, width: Double, end: Double, held: [TrendSample])
    }

    /// A capture of this process begins. `line` is the floor's line now (nil before the window
    /// has one); `width` the seconds per floor point.
    mutating func captureStarted(at time: Double, line: Reference?, width: Double) {
        switch phase {
        case .capturing:
            return
        case let .settling(reference, width, end, held):
            // Another capture before the floor after the last one was measured: one longer
            // capture, the samples between them left out.
            phase = .capturing(reference: reference, width: width, earlier: Settling(end: end, held: held))
        case .idle:
            let width = max(width, 1)
            let lastFloor = recent.filter { $0.time > time - width }.map(\.anonBytes).min()
            let reference = line.map { Reference(time: $0.time, level: $0.level, slope: max(0, $0.slope), minStep: $0.minStep) }
                ?? lastFloor.map { Reference(time: time, level: $0, slope: 0) }
            phase = .capturing(reference: reference, width: width, earlier: nil)
        }
        recent = []
    }

    /// The capture ended. `touched` is false when it was refused before anything was sent to
    /// the process: it changed nothing, so it is not spliced (an earlier capture it began after
    /// goes on being measured).
    mutating func captureEnded(at time: Double, touched: Bool) {
        guard case let .capturing(reference, width, earlier) = phase else { return }
        if touched {
            phase = .settling(reference: reference, width: width, end: time, held: [])
        } else if let earlier {
            phase = .settling(reference: reference, width: width, end: earlier.end, held: earlier.held)
        } else {
            phase = .idle
        }
    }

    /// Takes a sample (anon as read) and returns the samples the trend is fed now, spliced: none
    /// while a capture runs or the floor after it is measured, then the held ones, else the
    /// sample itself.
    mutating func take(_ sample: TrendSample) -> [TrendSample] {
        switch phase {
        case .capturing:
            return []
        case let .settling(reference, width, end, held):
            var held = held
            held.append(sample)
            guard sample.time >= end + Double(Self.points) * width || held.count >= Self.maxHeld else {
                phase = .settling(reference: reference, width: width, end: end, held: held)
                return []
            }
            if let reference, let step = Self.step(after: held, end: end, width: width, reference: reference, offset: offset),
               abs(step) > reference.minStep {
                offset += step
            }
            phase = .idle
            remember(sample)
            return held.map(spliced)
        case .idle:
            remember(sample)
            return [spliced(sample)]
        }
    }

    /// Median distance of the floor points after `end` (spliced so far) from the line before
    /// the capture.
    static func step(after held: [TrendSample], end: Double, width: Double, reference: Reference, offset: Double) -> Double? {
        var floors: [Int: Double] = [:]
        for sample in held {
            let index = Int(((sample.time - end) / width).rounded(.down))
            guard index >= 0, index < points else { continue }
            floors[index] = min(floors[index] ?? .infinity, sample.anonBytes - offset)
        }
        return Statistics.median(floors.map { index, floor in floor - reference.value(at: end + (Double(index) + 0.5) * width) })
    }

    /// The sample as the trend sees it.
    func spliced(_ sample: TrendSample) -> TrendSample {
        var copy = sample
        copy.anonBytes -= offset
        return copy
    }

    private mutating func remember(_ sample: TrendSample) {
        recent.append(spliced(sample))
        if recent.count > Self.maxRecent { recent.removeFirst(recent.count - Self.maxRecent) }
    }

    /// Items held, for the bounded-memory test.
    var storedCount: Int {
        if case let .settling(_, _, _, held) = phase { return recent.count + held.count }
        return recent.count
    }
}
