/// V8's heap figures for one process, from `process.memoryUsage()` (bytes).
public struct HeapFigures: Sendable, Equatable {
    public var heapUsed: UInt64
    public var heapTotal: UInt64?
    /// `v8.getHeapStatistics().heap_size_limit`, when known.
    public var heapLimit: UInt64?

    public init(heapUsed: UInt64, heapTotal: UInt64? = nil, heapLimit: UInt64? = nil) {
        self.heapUsed = heapUsed
        self.heapTotal = heapTotal
        self.heapLimit = heapLimit
    }

    /// From a decoded JSON object like `process.memoryUsage()`'s.
    init?(json: [String: Any]) {
        func number(_ key: String) -> UInt64? {
            if let value = json[key] as? Int, value >= 0 { return UInt64(value) }
            if let value = json[key] as? Double, value >= 0, value.isFinite { return UInt64(value) }
            return nil
        }
        guard let used = number("heapUsed") else { return nil }
        self.init(heapUsed: used, heapTotal: number("heapTotal"), heapLimit: number("heapLimit") ?? number("heap_size_limit"))
    }
}
