/// A few ticks of samples reduced to their extremes. `minAnon` is the post-GC floor.
struct FloorBucket: Sendable, Equatable {
    /// ⌊(time − origin) / bucketSeconds⌋.
    var index: Int
    var minAnon: Double
    var maxAnon: Double
    /// Floor of `heapUsedBytes` over the samples that had one; nil when none had.
    var minHeap: Double?
    var count: Int

    init(index: Int, sample: TrendSample) {
        self.index = index
        minAnon = sample.anonBytes
        maxAnon = sample.anonBytes
        minHeap = sample.heapUsedBytes
        count = 1
    }

    mutating func add(_ sample: TrendSample) {
        minAnon = min(minAnon, sample.anonBytes)
        maxAnon = max(maxAnon, sample.anonBytes)
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
