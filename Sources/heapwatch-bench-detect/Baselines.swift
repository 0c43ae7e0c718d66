import HeapwatchTrend

/// A naive detector fed the same samples; `alert` is true while it would alert (or restart).
protocol BaselineDetector {
    mutating func alert(_ sample: TrendSample) -> Bool
}

/// PM2's `max_memory_restart`: one sample over the threshold is enough. RSS, as PM2 reads it: memory
/// in swap is not in it.
struct ThresholdBaseline: BaselineDetector {
    var thresholdBytes: Double
    mutating func alert(_ sample: TrendSample) -> Bool { sample.rssBytes > thresholdBytes }
}

/// node-memwatch's `leak` event: the post-GC size grew `required` times in a row. Without GC
/// events, the post-GC size is the minimum of `blockTicks` consecutive samples. memwatch reads V8's
/// heap from inside, where swapped-out pages count as any other: anon + swap.
struct ConsecutiveIncreaseBaseline: BaselineDetector {
    var required = 5
    var blockTicks = 3
    private var block: [Double] = []
    private var lastFloor: Double?
    private var increases = 0

    init(required: Int = 5, blockTicks: Int = 3) {
        self.required = required
        self.blockTicks = blockTicks
    }

    mutating func alert(_ sample: TrendSample) -> Bool {
        block.append(sample.heldAnonBytes)
        guard block.count == blockTicks else { return increases >= required }
        let floor = block.min() ?? sample.heldAnonBytes
        block.removeAll(keepingCapacity: true)
        if let lastFloor, floor > lastFloor { increases += 1 } else { increases = 0 }
        lastFloor = floor
        return increases >= required
    }
}
