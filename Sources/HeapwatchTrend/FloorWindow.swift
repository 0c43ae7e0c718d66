/// The floor of a group of samples: the mean of its lowest third, at most `maxLowest` of them
/// (over a minute of 5 s ticks, the lowest 4 of 12), and for fewer than 6 samples their minimum.
/// After each collection one or two samples sit on the post-GC floor; the minimum alone carries
/// all of their noise, while the mean of a few more of the lowest spreads less and still leaves a
/// sawtooth's upper part out. Under Gaussian noise σ, the floor of 12 samples spreads by 0.37 σ
/// instead of the minimum's 0.57 σ (6 samples: 0.53 σ instead of 0.65 σ; 100,000 draws).
enum FloorEstimate {
    static let maxLowest = 4

    /// How many of a group's `count` lowest samples its floor averages.
    static func lowestCount(of count: Int) -> Int { max(1, min(maxLowest, count / 3)) }

    /// Inserts `value` into `lowest` (ascending), keeping at most `maxLowest`.
    static func insert(_ value: Double, into lowest: inout [Double]) {
        guard lowest.count < maxLowest || value < lowest[lowest.count - 1] else { return }
        let at = lowest.firstIndex { $0 > value } ?? lowest.count
        lowest.insert(value, at: at)
        if lowest.count > maxLowest { lowest.removeLast() }
    }

    /// The floor of a group of `count` samples whose lowest are `lowest` (ascending; at least
    /// `lowestCount(of: count)` of them, or all when fewer).
    static func floor(lowest: some Collection<Double>, count: Int) -> Double {
        let taken = lowest.prefix(lowestCount(of: count))
        guard !taken.isEmpty else { return 0 }
        return taken.reduce(0, +) / Double(taken.count)
    }

    /// The floor of `values`, in any order.
    static func floor(of values: [Double]) -> Double {
        floor(lowest: values.sorted(), count: values.count)
    }

    /// The floor of the samples of `buckets` together, from their lowest: no allocation on the
    /// heap (this runs for every merged point at every bucket close).
    static func floor(of buckets: ArraySlice<FloorBucket>) -> Double {
        guard buckets.count > 1 else { return buckets.first?.floor ?? 0 }
        let count = buckets.reduce(0) { $0 + $1.count }
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: buckets.count * maxLowest) { buffer in
            var filled = 0
            for bucket in buckets {
                for value in bucket.lowest {
                    buffer.initializeElement(at: filled, to: value)
                    filled += 1
                }
            }
            var lowest = UnsafeMutableBufferPointer(rebasing: buffer[0..<filled])
            lowest.sort()
            return floor(lowest: lowest, count: count)
        }
    }
}

/// A few ticks of samples reduced to their extremes. `minAnon` is the post-GC floor. The values are
/// `heldAnonBytes`: anon in RAM plus swap.
struct FloorBucket: Sendable, Equatable {
    /// ⌊(time − origin) / bucketSeconds⌋.
    var index: Int
    /// The lowest anon values, ascending, at most `FloorEstimate.maxLowest`.
    var lowest: [Double]
    var maxAnon: Double
    /// Floor of `heapUsedBytes` over the samples that had one; nil when none had.
    var minHeap: Double?
    var count: Int

    var minAnon: Double { lowest[0] }
    /// The bucket's floor as `FloorEstimate` gives it.
    var floor: Double { FloorEstimate.floor(lowest: lowest, count: count) }

    init(index: Int, sample: TrendSample) {
        self.index = index
        lowest = [sample.heldAnonBytes]
        maxAnon = sample.heldAnonBytes
        minHeap = sample.heapUsedBytes
        count = 1
    }

    mutating func add(_ sample: TrendSample) {
        FloorEstimate.insert(sample.heldAnonBytes, into: &lowest)
        maxAnon = max(maxAnon, sample.heldAnonBytes)
        if let heap = sample.heapUsedBytes {
            minHeap = min(minHeap ?? heap, heap)
        }
        count += 1
    }
}

/// The last `window` seconds of samples as floor buckets. Bounded: it never holds more than
/// `maxBuckets` + 2 buckets and `minTicksPerBucket` + 2 pending samples, however long it runs.
struct FloorWindow: Sendable {
    let window: Double
    let maxBuckets: Int
    let minTicksPerBucket: Int

    /// Seconds per bucket; nil until the sample spacing is known.
    private(set) var bucketSeconds: Double?
    /// Time of the first sample; bucket 0 starts here (for the tracker: when observation began).
    private(set) var origin: Double?
    /// Closed buckets inside the window, oldest first.
    private(set) var closed: [FloorBucket] = []
    private(set) var open: FloorBucket?
    /// Samples seen before the spacing is known.
    private var pending: [TrendSample] = []

    init(window: Double, maxBuckets: Int, minTicksPerBucket: Int) {
        self.window = window
        self.maxBuckets = max(8, maxBuckets)
        self.minTicksPerBucket = max(1, minTicksPerBucket)
    }

    /// Number of sample intervals used to estimate the spacing.
    private static let spacingIntervals = 3

    /// Adds a sample (times must increase). Returns true when at least one bucket was closed.
    mutating func add(_ sample: TrendSample) -> Bool {
        if origin == nil { origin = sample.time }
        guard bucketSeconds != nil else {
            pending.append(sample)
            guard pending.count > Self.spacingIntervals else { return false }
            let intervals = zip(pending.dropFirst(), pending).map { $0.time - $1.time }
            let spacing = Statistics.median(intervals) ?? 1
            bucketSeconds = max(Double(minTicksPerBucket) * spacing, window / Double(maxBuckets))
            let replay = pending
            pending = []
            var closedAny = false
            for sample in replay where place(sample) { closedAny = true }
            return closedAny
        }
        return place(sample)
    }

    private mutating func place(_ sample: TrendSample) -> Bool {
        guard let bucketSeconds, let origin else { return false }
        let index = Int(((sample.time - origin) / bucketSeconds).rounded(.down))
        var closedOne = false
        if var current = open {
            if index == current.index {
                current.add(sample)
                open = current
                return false
            }
            closed.append(current)
            closedOne = true
        }
        open = FloorBucket(index: index, sample: sample)
        // Drop buckets that ended before the window; the count cap guards against odd spacing.
        let oldestKept = index - Int((window / bucketSeconds).rounded(.up))
        closed.removeAll { $0.index < oldestKept }
        if closed.count > maxBuckets + 1 { closed.removeFirst(closed.count - maxBuckets - 1) }
        return closedOne
    }

    /// Midpoint time of a bucket, seconds on the caller's clock.
    func centerTime(of bucket: FloorBucket) -> Double {
        guard let bucketSeconds, let origin else { return 0 }
        return origin + (Double(bucket.index) + 0.5) * bucketSeconds
    }

    /// Seconds from the start of the oldest closed bucket to the end of the newest.
    var closedSpan: Double {
        guard let bucketSeconds, let first = closed.first, let last = closed.last else { return 0 }
        return Double(last.index - first.index + 1) * bucketSeconds
    }

    /// The floor of the newest bucket (open or closed); nil before the first.
    var latestFloor: Double? { open?.minAnon ?? closed.last?.minAnon }

    /// Buckets a window holds when no tick is missed.
    var bucketsPerWindow: Int {
        guard let bucketSeconds else { return 0 }
        return Int((window / bucketSeconds).rounded(.down))
    }

    /// Number of items held: for the bounded-memory test.
    var storedCount: Int { closed.count + pending.count + (open == nil ? 0 : 1) }
}
