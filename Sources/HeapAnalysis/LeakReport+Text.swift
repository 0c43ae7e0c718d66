extension LeakReport {
    /// The report for a person: snapshots, then the top `top` findings with their paths; for a
    /// single snapshot, the classes and objects retaining the most.
    public func text(top: Int = 10) -> String {
        var lines: [String] = []
        for (index, snapshot) in snapshots.enumerated() {
            lines.append("snapshot \(index + 1): \(snapshot.path) — \(Format.count(snapshot.nodes)) nodes, "
                + "\(Format.count(snapshot.edges)) edges, \(Format.bytes(snapshot.totalBytes))")
        }
        if snapshots.count >= 2 {
            lines.append("")
            if findings.isEmpty {
                lines.append("No growing listeners, timers, collections or classes across these snapshots.")
            } else {
                let shown = findings.prefix(top)
                lines.append("Findings (\(shown.count) of \(findings.count)): growing listeners, timers and collections, "
                    + "then growing classes, each by retained growth:")
                for (index, finding) in shown.enumerated() {
                    lines.append("")
                    lines.append("\(index + 1). [\(finding.kind.rawValue)] \(finding.summary)")
                    lines.append("   retained: " + finding.retainedBytes.map(Format.bytes).joined(separator: " → "))
                    if let location = finding.location { lines.append("   defined at: \(location)") }
                    if !finding.path.isEmpty { lines.append("   path: " + finding.path.joined(separator: " → ")) }
                }
            }
        }
        if snapshots.count == 1 || findings.isEmpty {
            if !topClasses.isEmpty {
                lines.append("")
                lines.append("Top classes by retained size:")
                for entry in topClasses.prefix(top) {
                    lines.append("  \(pad(Format.bytes(entry.retainedBytes), 10))  \(pad(Format.count(entry.count), 11)) × \(entry.className)")
                }
            }
            if !largestDominators.isEmpty {
                lines.append("")
                lines.append("Largest dominators:")
                for entry in largestDominators.prefix(top) {
                    lines.append("  \(pad(Format.bytes(entry.retainedBytes), 10))  \(entry.className) @\(entry.id)")
                    if !entry.path.isEmpty { lines.append("              path: " + entry.path.joined(separator: " → ")) }
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
