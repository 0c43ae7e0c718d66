/// Fewer points, same extremes: points are grouped into at most `maxPoints` equal time buckets
/// over `span`, and each bucket becomes one point carrying the min and max of all it holds, the
/// count-weighted means and the mean time. A one-sample spike therefore survives as its bucket's max.
/// Each process is bucketed on its own (at most `maxPoints` each): two workers of one target side by
/// side stay two lines, never one point whose min is one's and max the other's.
public enum Downsampling {
    public static func bucket(_ points: [HistoryPoint], maxPoints: Int, span: ClosedRange<Double>) -> [HistoryPoint] {
        precondition(maxPoints > 0, "maxPoints must be positive")
        let byProcess = Dictionary(grouping: points, by: \.pid)
        guard byProcess.count > 1 else { return bucketOne(points, maxPoints: maxPoints, span: span) }
        return byProcess.values.flatMap { bucketOne($0, maxPoints: maxPoints, span: span) }
            .sorted { ($0.time, $0.pid ?? -1) < ($1.time, $1.pid ?? -1) }
    }

    private static func bucketOne(_ points: [HistoryPoint], maxPoints: Int, span: ClosedRange<Double>) -> [HistoryPoint] {
        guard points.count > maxPoints else { return points }
        let width = (span.upperBound - span.lowerBound) / Double(maxPoints)
        guard width > 0 else { return [merge(points[...])] }
        var result: [HistoryPoint] = []
        result.reserveCapacity(maxPoints)
        let sorted = points.sorted { $0.time < $1.time }
        var start = 0
        while start < sorted.count {
            let index = bucketIndex(sorted[start].time, span: span, width: width, count: maxPoints)
            var end = start + 1
            while end < sorted.count, bucketIndex(sorted[end].time, span: span, width: width, count: maxPoints) == index {
                end += 1
            }
            result.append(merge(sorted[start..<end]))
            start = end
        }
        return result
    }

    private static func bucketIndex(_ time: Double, span: ClosedRange<Double>, width: Double, count: Int) -> Int {
        min(count - 1, max(0, Int(((time - span.lowerBound) / width).rounded(.down))))
    }

    static func merge(_ points: ArraySlice<HistoryPoint>) -> HistoryPoint {
        guard points.count > 1, let first = points.first else { return points.first! }
        var total = 0.0, time = 0.0, rss = 0.0, anon = 0.0, swap = 0.0
        var merged = first
        for point in points {
            let weight = Double(point.count)
            total += weight
            time += point.time * weight
            rss += Double(point.rssBytes) * weight
            anon += Double(point.anonBytes) * weight
            swap += Double(point.swapBytes) * weight
            merged.rssMin = min(merged.rssMin, point.rssMin)
            merged.rssMax = max(merged.rssMax, point.rssMax)
            merged.anonMin = min(merged.anonMin, point.anonMin)
            merged.anonMax = max(merged.anonMax, point.anonMax)
            merged.swapMin = min(merged.swapMin, point.swapMin)
            merged.swapMax = max(merged.swapMax, point.swapMax)
            if merged.pid != point.pid { merged.pid = nil }
        }
        merged.count = Int(total)
        merged.time = time / total
        merged.rssBytes = UInt64((rss / total).rounded())
        merged.anonBytes = UInt64((anon / total).rounded())
        merged.swapBytes = UInt64((swap / total).rounded())
        return merged
    }
}
