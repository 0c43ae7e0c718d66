import Testing
@testable import HeapAnalysis

@Suite("Array(prefaulted:count:): the same array as init(repeating:count:)")
struct PrefaultedArrayTests {
    /// Sizes below, at and above `Prefault.minimumBytes`, and ones that end inside a page.
    @Test(arguments: [0, 1, 4095, Prefault.minimumBytes / 4 - 1, Prefault.minimumBytes / 4 + 1_027, 3_000_001])
    func holdsCountCopiesOfTheValue(count: Int) {
        let value = UInt32(0xDEAD_BEEF)
        let array = [UInt32](prefaulted: value, count: count)
        #expect(array.count == count)
        #expect(array == [UInt32](repeating: value, count: count))
    }

    @Test func bytesAndWordsToo() {
        #expect([UInt8](prefaulted: 7, count: Prefault.minimumBytes + 3) == [UInt8](repeating: 7, count: Prefault.minimumBytes + 3))
        #expect([Int](prefaulted: -1, count: 600_001) == [Int](repeating: -1, count: 600_001))
    }
}
