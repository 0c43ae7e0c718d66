/// Metadata keys the daemon logs with. They are journald field names as they are, so the journal
/// handler passes them through and `journalctl -o json` shows them under these names.
public enum LogField {
    public static let messageID = "MESSAGE_ID"
    public static let target = "HEAPWATCH_TARGET"
    public static let pid = "TARGET_PID"
    public static let rssBytes = "RSS_BYTES"
    /// Set only when some of the process's memory is in swap.
    public static let swapBytes = "SWAP_BYTES"
    public static let slopeBytesPerHour = "SLOPE_BYTES_PER_HOUR"
    public static let snapshotPath = "SNAPSHOT_PATH"
    public static let state = "HEAPWATCH_STATE"
    public static let reason = "HEAPWATCH_REASON"
    public static let finding = "HEAPWATCH_FINDING"
    public static let reportPath = "HEAPWATCH_REPORT"
    /// How a process died of memory: `oom_kill` or `heap_limit` (`ProcessEnd.cause`).
    public static let cause = "HEAPWATCH_CAUSE"
}

/// Fixed `MESSAGE_ID`s, one per kind of event, so `journalctl MESSAGE_ID=…` finds every occurrence.
public enum MessageID {
    public static let leakDetected = "43560567e8a84b95b8a0880709165392"
    public static let overLimit = "fe387bd84dc14653aa7315e5efe324ed"
    public static let snapshotCaptured = "52414fcb6b264f24a8f7132100749f3f"
    public static let captureRefused = "57d5e0552dd146908259f03b749d6452"
    public static let captureFailed = "1ee42fcaf8d2416cab1602583919623e"
    public static let configRejected = "ef395e95e93d4b09a951f5b7f00ce661"
    public static let leakReport = "9c1f4e2a7b6d4d1e8a3c5f0b2d7e6a19"
    public static let outOfMemory = "d3b8a5c4f1e94a7b9c2e6f0a8b5d1c37"
}
