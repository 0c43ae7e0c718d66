/// The version heapwatchd reports in `status` and both commands print for `--version`.
public enum HeapwatchVersion {
    public static let current = "0.1.0"
}
