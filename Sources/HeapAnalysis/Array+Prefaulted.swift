#if canImport(Glibc)
import Glibc
#endif

extension Array where Element: BitwiseCopyable {
    /// `count` copies of `value`, like `init(repeating:count:)`, with the pages of a large array
    /// mapped in one call before they are written instead of one fault at a time (see
    /// `Prefault.populate`).
    init(prefaulted value: Element, count: Int) {
        self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            Prefault.populate(UnsafeMutableRawPointer(base), bytes: count * MemoryLayout<Element>.stride)
            base.initialize(repeating: value, count: count)
            initialized = count
        }
    }
}

enum Prefault {
    /// Below this, the faults saved are not worth a system call.
    static let minimumBytes = 1 << 22

    /// Maps the whole pages of `bytes` at `start` writable now (`MADV_POPULATE_WRITE`, Linux 5.14),
    /// so a big array about to be written takes one system call instead of a page fault per 4 KiB:
    /// the analysis of a 400 MB snapshot touches about 750 MB of fresh memory, and a fault costs
    /// microseconds in a VM. Best effort: on an older kernel (EINVAL) the writes fault as before.
    static func populate(_ start: UnsafeMutableRawPointer, bytes: Int) {
        #if os(Linux)
        guard bytes >= minimumBytes else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let low = (Int(bitPattern: start) + page - 1) & ~(page - 1)
        let high = (Int(bitPattern: start) + bytes) & ~(page - 1)
        guard high > low, let aligned = UnsafeMutableRawPointer(bitPattern: low) else { return }
        _ = madvise(aligned, high - low, MADV_POPULATE_WRITE)
        #endif
    }
}
