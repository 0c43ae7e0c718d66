/// A small JSON value, used only for the `snapshot` header (meta, counts): a few kilobytes.
enum JSONValue {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    var strings: [String]? {
        guard case .array(let items) = self else { return nil }
        var result: [String] = []
        for item in items {
            guard case .string(let text) = item else { return nil }
            result.append(text)
        }
        return result
    }

    var int: Int? {
        guard case .number(let value) = self, value >= 0, value < 9e15, value == value.rounded()
        else { return nil }
        return Int(value)
    }
}

/// Byte-level JSON scanning over a `SnapshotInput`, one chunk at a time. The hot paths
/// (`nextUInt`, `appendString`) touch each byte once and never build a JSON tree.
struct ByteScanner {
    let input: SnapshotInput
    private var bytes: UnsafeMutablePointer<UInt8>
    private var pos = 0
    private var end = 0
    /// What is being read, for truncation messages ("the nodes array").
    var context = "the top-level object"
    /// Called after each chunk with the number of bytes read so far.
    var progress: ((Int) -> Void)?

    init(input: SnapshotInput) {
        self.input = input
        bytes = input.bytes
    }

    /// Offset in the (uncompressed) stream of the next byte.
    var offset: Int { input.chunkOffset + pos }

    func malformed(_ what: String) -> HeapSnapshotError {
        HeapSnapshotError(path: input.path, reason: .malformed(what), offset: offset)
    }

    func truncated() -> HeapSnapshotError {
        if input.chunkOffset == 0 && end == 0 {
            return HeapSnapshotError(path: input.path, reason: .empty)
        }
        return HeapSnapshotError(path: input.path, reason: .truncated(context: context), offset: offset)
    }

    /// Loads the next chunk; false at the end of the stream.
    private mutating func refill() throws -> Bool {
        guard try input.refill() else {
            pos = 0
            end = 0
            return false
        }
        bytes = input.bytes
        pos = 0
        end = input.count
        progress?(input.chunkOffset)
        return true
    }

    /// The next byte that is not JSON whitespace, not consumed. Throws at the end of the stream.
    @inline(__always)
    mutating func peekNonSpace() throws -> UInt8 {
        guard try !atEndOfStream() else { throw truncated() }
        return bytes[pos]
    }

    /// Skips whitespace; true when nothing else remains.
    @inline(__always)
    mutating func atEndOfStream() throws -> Bool {
        while true {
            if pos == end {
                guard try refill() else { return true }
            }
            let byte = bytes[pos]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return false }
            pos += 1
        }
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws {
        guard try peekNonSpace() == byte else { throw malformed("expected \(what)") }
        pos += 1
    }

    /// After an array or object element: true for ',', false for `close`.
    mutating func separator(close: UInt8) throws -> Bool {
        let byte = try peekNonSpace()
        pos += 1
        if byte == UInt8(ascii: ",") { return true }
        if byte == close { return false }
        pos -= 1
        throw malformed("expected ',' or '\(Character(Unicode.Scalar(close)))'")
    }

    /// Reads the next element of an array of non-negative integers. Returns -1 at the closing
    /// bracket. `first` tells whether a comma must come before the number.
    @inline(__always)
    mutating func nextUInt(first: Bool) throws -> Int {
        // Fast path: the whole element lies in this chunk; nothing is consumed unless it parses.
        if end - pos > 48 {
            var index = pos
            var byte = bytes[index]
            while byte == 0x0A || byte == 0x20 || byte == 0x0D || byte == 0x09 {
                index += 1
                guard index < end else { return try nextUIntSlow(first: first) }
                byte = bytes[index]
            }
            if !first && byte == UInt8(ascii: ",") {
                index += 1
                guard index < end else { return try nextUIntSlow(first: first) }
                byte = bytes[index]
                while byte == 0x0A || byte == 0x20 || byte == 0x0D || byte == 0x09 {
                    index += 1
                    guard index < end else { return try nextUIntSlow(first: first) }
                    byte = bytes[index]
                }
            } else {
                return try nextUIntSlow(first: first)
            }
            var digit = byte &- 0x30
            if digit < 10 {
                var value = Int(digit)
                let limit = min(index + 18, end)
                index += 1
                while index < limit {
                    digit = bytes[index] &- 0x30
                    if digit >= 10 {
                        pos = index
                        return value
                    }
                    value = value &* 10 &+ Int(digit)
                    index += 1
                }
            }
        }
        return try nextUIntSlow(first: first)
    }

    @inline(never)
    private mutating func nextUIntSlow(first: Bool) throws -> Int {
        var byte = try peekNonSpace()
        if byte == UInt8(ascii: "]") {
            pos += 1
            return -1
        }
        if !first {
            guard byte == UInt8(ascii: ",") else { throw malformed("expected ',' or ']' in \(context)") }
            pos += 1
            byte = try peekNonSpace()
        }
        var digit = byte &- 0x30
        guard digit < 10 else { throw malformed("expected a non-negative integer in \(context)") }
        var value = 0
        while true {
            guard value < 922_337_203_685_477_580 else { throw malformed("number too large in \(context)") }
            value = value &* 10 &+ Int(digit)
            pos += 1
            if pos == end {
                guard try refill() else { throw truncated() }
            }
            digit = bytes[pos] &- 0x30
            if digit >= 10 { return value }
        }
    }

    /// Reads a JSON string (the opening quote is next) and appends its UTF-8 bytes to `out`.
    mutating func appendString(to out: inout [UInt8]) throws {
        guard try peekNonSpace() == UInt8(ascii: "\"") else { throw malformed("expected a string") }
        pos += 1
        while true {
            if pos == end {
                guard try refill() else { throw truncated() }
            }
            // Copy the run of plain bytes in this chunk at once.
            var runEnd = pos
            while runEnd < end {
                let byte = bytes[runEnd]
                if byte == 0x22 || byte == 0x5C || byte < 0x20 { break }
                runEnd += 1
            }
            if runEnd > pos {
                out.append(contentsOf: UnsafeBufferPointer(start: bytes + pos, count: runEnd - pos))
                pos = runEnd
            }
            guard pos < end else { continue }
            let byte = bytes[pos]
            pos += 1
            if byte == 0x22 { return }
            if byte < 0x20 { pos -= 1; throw malformed("control character in a string") }
            try appendEscape(to: &out)
        }
    }

    private mutating func nextByte() throws -> UInt8 {
        if pos == end {
            guard try refill() else { throw truncated() }
        }
        let byte = bytes[pos]
        pos += 1
        return byte
    }

    private mutating func appendEscape(to out: inout [UInt8]) throws {
        let byte = try nextByte()
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(byte)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if scalar >= 0xD800 && scalar < 0xDC00 {
                // A high surrogate: combine with a following low one, else it stands alone.
                if try peekRaw() == UInt8(ascii: "\\") {
                    pos += 1
                    guard try nextByte() == UInt8(ascii: "u") else { throw malformed("bad escape") }
                    let low = try hex4()
                    if low >= 0xDC00 && low < 0xE000 {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        appendUTF8(0xFFFD, to: &out)
                        scalar = low
                    }
                }
            }
            appendUTF8(scalar, to: &out)
        default:
            pos -= 1
            throw malformed("bad escape in a string")
        }
    }

    private mutating func peekRaw() throws -> UInt8 {
        if pos == end {
            guard try refill() else { throw truncated() }
        }
        return bytes[pos]
    }

    private mutating func hex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = try nextByte()
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: pos -= 1; throw malformed("bad \\u escape")
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    private func appendUTF8(_ value: UInt32, to out: inout [UInt8]) {
        let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
        for unit in String(Character(scalar)).utf8 { out.append(unit) }
    }

    mutating func readString() throws -> String {
        var bytes: [UInt8] = []
        try appendString(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses a small JSON value into a tree. Only for the snapshot header.
    mutating func parseValue(depth: Int = 0) throws -> JSONValue {
        guard depth < 64 else { throw malformed("nesting too deep") }
        let byte = try peekNonSpace()
        switch byte {
        case UInt8(ascii: "{"):
            pos += 1
            var members: [(String, JSONValue)] = []
            if try peekNonSpace() == UInt8(ascii: "}") { pos += 1; return .object(members) }
            repeat {
                let key = try readString()
                try expect(UInt8(ascii: ":"), "':'")
                members.append((key, try parseValue(depth: depth + 1)))
            } while try separator(close: UInt8(ascii: "}"))
            return .object(members)
        case UInt8(ascii: "["):
            pos += 1
            var items: [JSONValue] = []
            if try peekNonSpace() == UInt8(ascii: "]") { pos += 1; return .array(items) }
            repeat {
                items.append(try parseValue(depth: depth + 1))
            } while try separator(close: UInt8(ascii: "]"))
            return .array(items)
        case UInt8(ascii: "\""):
            return .string(try readString())
        default:
            let word = try readBareWord()
            switch word {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            default:
                guard let number = Double(word) else { throw malformed("unexpected '\(word.prefix(20))'") }
                return .number(number)
            }
        }
    }

    /// Skips any JSON value without building it (iteratively: nesting depth costs nothing).
    mutating func skipValue() throws {
        var depth = 0
        // One buffer for every skipped string and number (a skipped section, such as the
        // trace tree of a snapshot taken with allocation tracking, can hold millions).
        var scratch: [UInt8] = []
        repeat {
            let byte = try peekNonSpace()
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                pos += 1
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard depth > 0 else { throw malformed("unexpected '\(Character(Unicode.Scalar(byte)))'") }
                pos += 1
                depth -= 1
            case UInt8(ascii: ","), UInt8(ascii: ":"):
                guard depth > 0 else { throw malformed("unexpected separator") }
                pos += 1
            case UInt8(ascii: "\""):
                scratch.removeAll(keepingCapacity: true)
                try appendString(to: &scratch)
            default:
                scratch.removeAll(keepingCapacity: true)
                try appendBareWord(to: &scratch)
            }
        } while depth > 0
    }

    /// A number or literal: the bytes up to the next delimiter.
    private mutating func readBareWord() throws -> String {
        var word: [UInt8] = []
        try appendBareWord(to: &word)
        return String(decoding: word, as: UTF8.self)
    }

    /// Appends the bytes of a number or literal (at most 64) to `word`, which starts empty.
    private mutating func appendBareWord(to word: inout [UInt8]) throws {
        while true {
            if pos == end {
                guard try refill() else { throw truncated() }
            }
            let byte = bytes[pos]
            let isWordByte = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "E")
            guard isWordByte, word.count < 64 else { break }
            word.append(byte)
            pos += 1
        }
        guard !word.isEmpty else {
            throw malformed("unexpected byte 0x\(String(bytes[pos], radix: 16))")
        }
    }
}
