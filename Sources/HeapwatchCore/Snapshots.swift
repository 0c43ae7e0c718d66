/// What a stored snapshot's sidecar `.json` says about it.
public struct SnapshotManifest: Codable, Sendable, Equatable {
    public var target: String
    public var pid: Int32
    public var startTime: UInt64
    /// Why it was taken: `leaking`, `over_limit`, `manual`, …
    public var reason: String
    public var rssBytes: UInt64
    public var anonBytes: UInt64
    public var slopeBytesPerHour: Double?
    /// Size of the stored file, bytes (compressed when `compressed`).
    public var bytes: UInt64
    /// Size of the snapshot itself, bytes.
    public var originalBytes: UInt64
    public var compressed: Bool
    /// The stored file's name, beside the manifest.
    public var file: String
    public var sha256: String
    /// `signal`, `http`, …
    public var method: String
    /// UTC, ISO 8601, e.g. `2026-11-25T01:22:33Z`.
    public var time: String
    /// Where node wrote the file before heapwatch moved it.
    public var originalPath: String

    public init(target: String, pid: Int32, startTime: UInt64, reason: String, rssBytes: UInt64, anonBytes: UInt64,
                slopeBytesPerHour: Double?, bytes: UInt64, originalBytes: UInt64, compressed: Bool, file: String,
                sha256: String, method: String, time: String, originalPath: String) {
        self.target = target
        self.pid = pid
        self.startTime = startTime
        self.reason = reason
        self.rssBytes = rssBytes
        self.anonBytes = anonBytes
        self.slopeBytesPerHour = slopeBytesPerHour
        self.bytes = bytes
        self.originalBytes = originalBytes
        self.compressed = compressed
        self.file = file
        self.sha256 = sha256
        self.method = method
        self.time = time
        self.originalPath = originalPath
    }

    enum CodingKeys: String, CodingKey {
        case target, pid, reason, bytes, sha256, method, time, compressed, file
        case originalBytes = "original_bytes"
        case startTime = "start_time", rssBytes = "rss_bytes", anonBytes = "anon_bytes"
        case slopeBytesPerHour = "slope_bytes_per_hour", originalPath = "original_path"
    }
}

/// File names: node's, and the store's.
public enum SnapshotNaming {
    /// Whether `name` is a snapshot node wrote for `pid`: `Heap.YYYYMMDD.HHMMSS.PID.TID.SEQ.heapsnapshot`.
    public static func isNodeSnapshot(_ name: String, pid: Int32) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 7 && parts[0] == "Heap" && parts[6] == "heapsnapshot" && parts[3] == Substring(String(pid))
    }

    /// The stored name: `<UTC time>-<pid>.heapsnapshot`, e.g. `20261125T012233Z-4242.heapsnapshot`.
    /// Names sort by time. `attempt` > 0 adds a suffix for two captures in one second.
    public static func storedName(epochSeconds: Int64, pid: Int32, attempt: Int = 0) -> String {
        storedBase(epochSeconds: epochSeconds, pid: pid, attempt: attempt) + ".heapsnapshot"
    }

    /// Whether the snapshot stored at `path` at `time` (the manifest's) came before the one at
    /// `otherPath` at `otherTime`. Two captures in one second (a manual one beside an automatic one)
    /// share the time; the later one's name has the higher `attempt` (`…-4242-1` after `…-4242`,
    /// `-10` after `-9`), which plain string order would put first.
    public static func precedes<Time: Comparable>(_ time: Time, _ path: String, _ otherTime: Time, _ otherPath: String) -> Bool {
        (time, attempt(of: path), path) < (otherTime, attempt(of: otherPath), otherPath)
    }

    /// The `attempt` of a stored name or path (`<time>-<pid>[-<attempt>].<extension>`); 0 for any other name.
    public static func attempt(of path: String) -> Int {
        let parts = storedNameParts(path)
        return parts.count == 3 ? Int(parts[2]) ?? 0 : 0
    }

    /// The pid in a stored name or path (`<time>-<pid>[-<attempt>].<extension>`); nil for any other name.
    public static func pid(of path: String) -> Int32? {
        let parts = storedNameParts(path)
        return parts.count == 2 || parts.count == 3 ? Int32(parts[1]) : nil
    }

    /// `<time>`, `<pid>` and `<attempt>` of a stored name or path, as far as it has them.
    private static func storedNameParts(_ path: String) -> [Substring] {
        let name = path.split(separator: "/").last ?? Substring(path)
        return (name.split(separator: ".").first ?? name).split(separator: "-")
    }

    /// The stored name without extension; the manifest is `<base>.json`.
    public static func storedBase(epochSeconds: Int64, pid: Int32, attempt: Int = 0) -> String {
        let suffix = attempt == 0 ? "" : "-\(attempt)"
        return "\(compactUTC(epochSeconds))-\(pid)\(suffix)"
    }

    /// `20261125T012233Z`.
    public static func compactUTC(_ epochSeconds: Int64) -> String {
        let t = CivilTime(epochSeconds: epochSeconds)
        return "\(pad(t.year, 4))\(pad(t.month))\(pad(t.day))T\(pad(t.hour))\(pad(t.minute))\(pad(t.second))Z"
    }

    /// `2026-11-25T01:22:33Z`.
    public static func iso8601(_ epochSeconds: Int64) -> String {
        let t = CivilTime(epochSeconds: epochSeconds)
        return "\(pad(t.year, 4))-\(pad(t.month))-\(pad(t.day))T\(pad(t.hour)):\(pad(t.minute)):\(pad(t.second))Z"
    }

    private static func pad(_ value: Int, _ width: Int = 2) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

/// A UTC calendar time from Unix seconds (proleptic Gregorian; Howard Hinnant's days-to-civil).
struct CivilTime {
    var year, month, day, hour, minute, second: Int

    init(epochSeconds: Int64) {
        let seconds = Int(epochSeconds)
        var days = seconds / 86400
        var secondOfDay = seconds % 86400
        if secondOfDay < 0 { secondOfDay += 86400; days -= 1 }
        hour = secondOfDay / 3600
        minute = secondOfDay % 3600 / 60
        second = secondOfDay % 60
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }
}
