/// The snapshot's `strings` array as one UTF-8 byte arena plus offsets: no per-string object.
public struct StringTable: Sendable {
    var arena: [UInt8] = []
    /// `offsets[i] ..< offsets[i + 1]` are the bytes of string `i`.
    var offsets: [Int] = [0]

    public var count: Int { offsets.count - 1 }

    public subscript(index: Int) -> String {
        guard index >= 0 && index < count else { return "" }
        return arena.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[offsets[index]..<offsets[index + 1]]),
                   as: UTF8.self)
        }
    }

    /// The string at `index` read as a non-negative decimal integer, if it is one.
    func integer(at index: Int) -> Int? {
        let start = offsets[index], end = offsets[index + 1]
        guard end > start, end - start < 18 else { return nil }
        var value = 0
        for position in start..<end {
            let digit = arena[position] &- 0x30
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    /// The index of the first string equal to each of `texts`; absent texts are left out.
    func indexes(of texts: Set<String>) -> [String: Int] {
        var wanted: [Int: [[UInt8]]] = [:]
        for text in texts { wanted[text.utf8.count, default: []].append(Array(text.utf8)) }
        var found: [String: Int] = [:]
        arena.withUnsafeBufferPointer { buffer in
            for index in 0..<count {
                let start = offsets[index]
                let length = offsets[index + 1] - start
                guard let candidates = wanted[length] else { continue }
                for candidate in candidates
                where candidate.withUnsafeBufferPointer({ memcmpEqual($0, buffer, start) }) {
                    let text = String(decoding: candidate, as: UTF8.self)
                    if found[text] == nil { found[text] = index }
                }
            }
        }
        return found
    }
}

private func memcmpEqual(_ small: UnsafeBufferPointer<UInt8>, _ big: UnsafeBufferPointer<UInt8>, _ at: Int) -> Bool {
    for index in 0..<small.count where small[index] != big[at + index] { return false }
    return true
}
