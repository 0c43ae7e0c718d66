import Testing
@testable import HeapwatchTrend

@Suite("FloorEstimate: the floor of a group of samples")
struct FloorEstimateTests {
    @Test func fewerThanSixSamplesGiveTheirMinimum() {
        #expect(FloorEstimate.floor(of: [5]) == 5)
        #expect(FloorEstimate.floor(of: [9, 4, 7, 6, 8]) == 4)
    }

    /// The mean of the lowest third, at most four: 6 samples average 2, 12 average 4, 30 still 4.
    @Test func theLowestThirdIsAveragedUpToFour() {
        #expect(FloorEstimate.floor(of: [10, 2, 8, 4, 9, 7]) == 3)
        #expect(FloorEstimate.floor(of: [12, 1, 11, 3, 10, 5, 9, 7, 8, 6, 4, 2]) == 2.5)
        let thirty = (1...30).map(Double.init).reversed()
        #expect(FloorEstimate.floor(of: Array(thirty)) == 2.5)
    }

    /// A bucket keeps its four lowest samples whatever the order they come in, and merged
    /// buckets give the floor of all their samples.
    @Test func bucketsKeepTheirLowestAndMergeToTheGroupsFloor() {
        let values: [Double] = [50, 20, 70, 10, 60, 40, 30, 80]
        var bucket = FloorBucket(index: 0, sample: TrendSample(time: 0, anonBytes: values[0], rssBytes: 0))
        for (k, value) in values.enumerated().dropFirst() {
            bucket.add(TrendSample(time: Double(k), anonBytes: value, rssBytes: 0))
        }
        #expect(bucket.lowest == [10, 20, 30, 40] && bucket.count == 8 && bucket.maxAnon == 80)
        #expect(bucket.floor == 15) // 8 samples: the lowest 2
        var other = FloorBucket(index: 1, sample: TrendSample(time: 10, anonBytes: 5, rssBytes: 0))
        for k in 1..<4 { other.add(TrendSample(time: 10 + Double(k), anonBytes: 100 + Double(k), rssBytes: 0)) }
        let points = FloorPoints(times: [0, 10], buckets: [bucket, other], scale: 2)
        #expect(points.floors == [(5 + 10 + 20 + 30) / 4.0]) // 12 samples: the lowest 4 of both
        #expect(points.times == [5])
    }
}
