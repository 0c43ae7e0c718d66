extension Array {
    /// In an array sorted by `key`, the index of the first element whose key is not below
    /// `target`; `count` when there is none.
    func lowerBound<Key: Comparable>(of target: Key, by key: (Element) -> Key) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if key(self[middle]) < target { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
