import TOMLKit

/// Checks for the values of a `[[target]]` that are more than a type and a unit.
enum TargetValues {
    /// A target's name becomes its snapshot directory: `[A-Za-z0-9._-]+`, not `.` or `..`.
    static func name(_ value: TOMLValueConvertible) throws(ValueProblem) -> String {
        let name = try ConfigValueReader.string(value, key: "name")
        guard !name.isEmpty else { throw ValueProblem("'name' must not be empty") }
        let allowed = name.unicodeScalars.allSatisfy { c in
            c.isASCII && (c.properties.isAlphabetic || c.properties.numericType != nil || c == "." || c == "_" || c == "-")
        }
        guard allowed else {
            throw ValueProblem(
                "'name' may contain only letters A-Z a-z, digits, '.', '_' and '-' "
                    + "(it names the target's snapshot directory), got \"\(name)\"")
        }
        guard name != ".", name != ".." else {
            throw ValueProblem("'name' must not be \"\(name)\" (it names the target's snapshot directory)")
        }
        guard name.utf8.count <= 255 else {
            throw ValueProblem("'name' is too long: \(name.utf8.count) characters, at most 255")
        }
        return name
    }

    /// A regular expression that Swift's `Regex` compiles.
    static func commandPattern(_ value: TOMLValueConvertible) throws(ValueProblem) -> String {
        let pattern = try ConfigValueReader.string(value, key: "command")
        guard !pattern.isEmpty else {
            throw ValueProblem("'command' must not be empty (it would match every process)")
        }
        do {
            _ = try Regex(pattern)
        } catch {
            throw ValueProblem("'command' is not a valid regular expression: \(error)")
        }
        return pattern
    }

    /// Unit types whose processes live in the unit's own cgroup.
    static let unitSuffixes = [".service", ".scope", ".slice"]

    /// A full systemd unit name such as `api.service`.
    static func unit(_ value: TOMLValueConvertible) throws(ValueProblem) -> String {
        let unit = try ConfigValueReader.string(value, key: "unit")
        guard !unit.isEmpty else { throw ValueProblem("'unit' must not be empty") }
        guard !unit.contains("/"), !unit.unicodeScalars.contains(where: { $0.properties.isWhitespace }) else {
            throw ValueProblem("'unit' must be a unit name such as \"api.service\", not a path or text with spaces, got \"\(unit)\"")
        }
        guard unit.utf8.count <= 255 else {
            throw ValueProblem("'unit' is too long: \(unit.utf8.count) characters, at most 255")
        }
        guard unitSuffixes.contains(where: { unit.hasSuffix($0) && unit.count > $0.count }) else {
            var message = "'unit' must name a .service, .scope or .slice unit (processes live in those), got \"\(unit)\""
            if !unit.contains(".") { message += "; did you mean \"\(unit).service\"?" }
            throw ValueProblem(message)
        }
        return unit
    }

    /// `"signal"`, `"none"` or an `http://host[:port]/path` URL.
    static func capture(_ value: TOMLValueConvertible) throws(ValueProblem) -> CaptureMethod {
        let text = try ConfigValueReader.string(value, key: "capture")
        switch text {
        case "signal": return .signal
        case "inspector": return .inspector
        case "auto": return .auto
        case "none": return .none
        default: break
        }
        let lowered = text.lowercased()
        if lowered.hasPrefix("https://") {
            throw ValueProblem(
                "'capture' does not support https: the snapshot endpoint is fetched over plain http, "
                    + "normally on 127.0.0.1; use an http:// URL")
        }
        if lowered.hasPrefix("http://") {
            try checkHTTPURL(text)
            return .http(url: text)
        }
        if let schemeEnd = text.firstRange(of: "://") {
            throw ValueProblem("'capture' URL must start with http://, got \"\(text[..<schemeEnd.lowerBound])://\"")
        }
        var message = "'capture' must be \"signal\", \"inspector\", \"auto\", \"none\" or an http:// URL, got \"\(text)\""
        if let near = ConfigSpelling.nearest(to: text, among: ["signal", "inspector", "auto", "none"]) {
            message += "; did you mean \"\(near)\"?"
        }
        throw ValueProblem(message)
    }

    /// `heap_source`: `"inspector"` or an http:// URL answering `process.memoryUsage()` as JSON.
    static func heapSource(_ value: TOMLValueConvertible) throws(ValueProblem) -> HeapSource {
        let text = try ConfigValueReader.string(value, key: "heap_source")
        if text == "inspector" { return .inspector }
        guard text.lowercased().hasPrefix("http://") else {
            throw ValueProblem("'heap_source' must be \"inspector\" or an http:// URL answering process.memoryUsage() as JSON, got \"\(text)\"")
        }
        try checkHTTPURL(text, key: "heap_source")
        return .http(url: text)
    }

    /// `http://` then a host, an optional numeric port, and an optional path.
    static func checkHTTPURL(_ url: String, key: String = "capture") throws(ValueProblem) {
        guard !url.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 }) else {
            throw ValueProblem("'\(key)' URL must not contain spaces or control characters")
        }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        var hostAndPort = authority
        if let at = authority.lastIndex(of: "@") { hostAndPort = authority[authority.index(after: at)...] }
        var host = hostAndPort
        var port: Substring?
        if hostAndPort.hasPrefix("[") {
            // IPv6 literal: [::1] or [::1]:8080
            guard let close = hostAndPort.firstIndex(of: "]") else {
                throw ValueProblem("'\(key)' URL has an unterminated IPv6 address: \"\(url)\"")
            }
            host = hostAndPort[hostAndPort.index(after: hostAndPort.startIndex)..<close]
            let after = hostAndPort[hostAndPort.index(after: close)...]
            if after.hasPrefix(":") { port = after.dropFirst() } else if !after.isEmpty {
                throw ValueProblem("'\(key)' URL has junk after its IPv6 address: \"\(url)\"")
            }
        } else if let colon = hostAndPort.lastIndex(of: ":") {
            host = hostAndPort[..<colon]
            port = hostAndPort[hostAndPort.index(after: colon)...]
        }
        guard !host.isEmpty else { throw ValueProblem("'\(key)' URL has no host: \"\(url)\"") }
        if let port {
            guard let number = Int(port), (1...65535).contains(number) else {
                throw ValueProblem("'\(key)' URL has a bad port \"\(port)\"; use a number from 1 to 65535")
            }
        }
    }
}
