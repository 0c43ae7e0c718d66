import Foundation
import Testing
@testable import HeapwatchCore

/// `config/heapwatch.toml` and the schema must tell the same story as the model's defaults.
@Suite struct ConfigShippedFileTests {
    static let shippedPath: String = {
        // …/Tests/HeapwatchCoreTests/ThisFile.swift → …/config/heapwatch.toml
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/config/heapwatch.toml"
    }()

    /// The shipped file with its example lines (`# key = value`, `# [[target]]`) switched on.
    static func uncommented(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            let body = line.dropFirst(2)
            let isKey = body.first.map { $0.isLowercase } == true && body.contains(" = ")
            guard line.hasPrefix("# "), isKey || body == "[[target]]" else { return String(line) }
            return String(body)
        }.joined(separator: "\n")
    }

    @Test func shippedFileLoadsWithDocumentedDefaults() throws {
        let config = try ConfigLoader.load(path: Self.shippedPath)
        #expect(config == HeapwatchConfig())
        #expect(config.targets == [.defaultNode])
    }

    @Test func shippedExampleValuesAreTheDefaultsAndValid() throws {
        let text = Self.uncommented(try String(contentsOfFile: Self.shippedPath, encoding: .utf8))
        let config = try ConfigLoader.parse(text, file: "uncommented")
        #expect(config.daemon == DaemonSettings())
        #expect(config.storage == HeapwatchConfig().storage)
        let target = try #require(config.targets.first)
        #expect(config.targets.count == 1)
        #expect(target.name == "api")
        #expect(target.matchers.count == 3)
        #expect(target.capture == .signal)
        #expect(target.growthMax == TargetConfig.defaultGrowthMax)
        #expect(target.window == TargetConfig.defaultWindow)
        #expect(target.cooldown == TargetConfig.defaultCooldown)
    }

    @Test func shippedFileDocumentsEveryKeyWithItsDefault() throws {
        let text = try String(contentsOfFile: Self.shippedPath, encoding: .utf8)
        let fields: [(String, String?)] =
            ConfigSchema.daemon.map { ($0.name, $0.defaultText) }
            + ConfigSchema.storage.map { ($0.name, $0.defaultText) }
            + ConfigSchema.target.map { ($0.name, $0.defaultText) }
        for (name, defaultText) in fields {
            #expect(text.contains("# \(name) = "), "\(name) is not in the shipped config")
            if let defaultText, !defaultText.hasPrefix("<") {
                #expect(text.contains("# \(name) = \"\(defaultText)\"") || text.contains("# \(name) = \(defaultText)\n"),
                        "\(name) default \(defaultText) is not the one shown")
            }
        }
    }

    @Test func schemaDefaultsAreTheModelDefaults() throws {
        var daemon = "[daemon]\n"
        for field in ConfigSchema.daemon { daemon += "\(field.name) = \"\(field.defaultText ?? "")\"\n" }
        #expect(try ConfigLoader.parse(daemon, file: "d").daemon == DaemonSettings())

        var storage = "[storage]\n"
        for field in ConfigSchema.storage where field.name != "dir" {
            storage += "\(field.name) = \(field.name == "keep_per_target" ? "" : "\"")\(field.defaultText ?? "")"
                + "\(field.name == "keep_per_target" ? "" : "\"")\n"
        }
        #expect(try ConfigLoader.parse(storage, file: "s").storage == HeapwatchConfig().storage)

        var target = "[[target]]\nname = \"node\"\nunit = \"n.service\"\n"
        for field in ConfigSchema.target {
            guard let value = field.defaultText else { continue }
            target += "\(field.name) = \"\(value)\"\n"
        }
        let parsed = try #require(try ConfigLoader.parse(target, file: "t").targets.first)
        #expect(parsed == TargetConfig(name: "node", matchers: [.unit("n.service")]))
    }
}
