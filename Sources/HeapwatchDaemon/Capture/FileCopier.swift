import Foundation

/// Small durable writes into the store (manifests, reports, markers) through `DurableFile`.
enum FileCopier {
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let file = try DurableFile(path: path)
        try file.write(bytes)
        _ = try file.commit()
    }

    /// `value` as pretty, sorted JSON with a final newline, written durably (0600).
    static func writeJSON(_ value: some Encodable, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try writeAtomically(Array(try encoder.encode(value)) + [UInt8(ascii: "\n")], to: path)
    }
}
