import HeapwatchTrend
import TOMLKit

/// A `[[target]]` as read, with what the cross-table checks need to place their diagnostics.
struct DecodedTarget {
    /// Position in the `target` array.
    var index: Int
    var config: TargetConfig
    var windowGiven: Bool
}

extension ConfigLoader {
    /// The `[[target]]` tables (or an array of inline tables); empty when there are none.
    static func decodeTargets(_ root: TOMLTable, _ out: inout ConfigDiagnosticCollector) -> [DecodedTarget] {
        guard let value = root["target"] else { return [] }
        let path: ConfigPath = [.key("target")]
        if value.type == .table {
            out.atTable(path, "'target' must be an array of tables: write [[target]], not [target]")
            return []
        }
        guard let array = value.array else {
            out.atValue(
                path,
                "'target' must be an array of tables ([[target]]), got \(ConfigValueReader.typeName(value.type))")
            return []
        }
        var targets: [DecodedTarget] = []
        /// First use of each name: its target index.
        var firstUse: [String: Int] = [:]
        for index in 0..<array.count {
            let elementPath = path + [.index(index)]
            guard let table = array[index].table else {
                out.atValue(
                    elementPath,
                    "each target must be a table, got \(ConfigValueReader.typeName(array[index].type))")
                continue
            }
            let target = decodeTarget(table, at: elementPath, &out)
            targets.append(DecodedTarget(index: index, config: target, windowGiven: table["window"] != nil))
            let namePath = elementPath + [.key("name")]
            guard table["name"] != nil, !out.rejected.contains(namePath) else { continue }
            if let first = firstUse[target.name] {
                let firstLine = out.map.position(ofValue: path + [.index(first), .key("name")]).line
                out.atValue(namePath, "duplicate target name '\(target.name)' (first used on line \(firstLine))")
            } else {
                firstUse[target.name] = index
            }
        }
        return targets
    }

    private static func decodeTarget(
        _ table: TOMLTable, at path: ConfigPath, _ out: inout ConfigDiagnosticCollector
    ) -> TargetConfig {
        var target = TargetConfig(name: "", matchers: [])
        decodeFields(table, at: path, display: "[[target]]", ConfigSchema.target, into: &target, &out)
        let keys = table.keys
        for required in ConfigSchema.targetRequired where !keys.contains(required) {
            out.atTable(path, "[[target]] is missing required key '\(required)'")
        }
        if !ConfigSchema.targetMatchers.contains(where: keys.contains) {
            let which = target.name.isEmpty ? "[[target]]" : "target '\(target.name)'"
            out.atTable(path, "\(which) needs at least one matcher: 'command', 'unit' or 'pidfile'")
        }
        return target
    }

    /// Samples a window must hold for the trend to be judged at all: the detector needs
    /// `minBuckets` buckets of `minTicksPerBucket` samples (a shorter window never says `leaking`).
    static var samplesPerWindow: Int {
        let policy = TrendPolicy()
        return policy.minBuckets * policy.minTicksPerBucket
    }

    /// A trend needs samples: each target's window must hold `samplesPerWindow` intervals.
    static func checkWindows(_ targets: [DecodedTarget], interval: Double, _ out: inout ConfigDiagnosticCollector) {
        guard !out.rejected.contains([.key("daemon"), .key("interval")]) else { return }
        let needed = Double(samplesPerWindow) * interval
        for decoded in targets where decoded.config.window < needed {
            let target = decoded.config
            let path: ConfigPath = [.key("target"), .index(decoded.index)]
            let windowPath = path + [.key("window")]
            let rule = "at least \(samplesPerWindow) × [daemon] interval (\(samplesPerWindow) × \(format(interval)) = \(format(needed))), "
                + "or the trend can never be judged"
            if decoded.windowGiven {
                guard !out.rejected.contains(windowPath) else { continue }
                out.atValue(windowPath, "'window' (\(format(target.window))) must be \(rule)")
            } else {
                out.atTable(
                    path,
                    "target '\(target.name)': the default 'window' (\(format(target.window))) must be \(rule); "
                        + "set 'window' to at least \(format(needed))")
            }
        }
    }

    /// With no `[[target]]` the default node target's window must still hold two intervals.
    static func checkDefaultWindow(interval: Double, _ out: inout ConfigDiagnosticCollector) {
        let intervalPath: ConfigPath = [.key("daemon"), .key("interval")]
        guard !out.rejected.contains(intervalPath) else { return }
        let window = TargetConfig.defaultNode.window
        guard window < Double(samplesPerWindow) * interval else { return }
        out.atValue(
            intervalPath,
            "'interval' (\(format(interval))) must be at most 1/\(samplesPerWindow) of the default target's window "
                + "(\(format(window))); lower it, or add a [[target]] with a longer 'window'")
    }

    private static func format(_ seconds: Double) -> String {
        ConfigValueReader.formatDuration(seconds)
    }
}
