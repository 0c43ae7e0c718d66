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
            guard line.hasPrefix("# "), isKey || ["[[target]]", "[[sink]]", "[metrics]"].contains(body) else { return String(line) }
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
        var storage = HeapwatchConfig().storage
        storage.maxAge = 30 * 86400  // the one example that is not a default: max_age is off unless set
        #expect(config.storage == storage)
        let target = try #require(config.targets.first)
        #expect(config.targets.count == 1)
        #expect(target.name == "api")
        #expect(target.matchers.count == 3)
        #expect(target.capture == .signal)
        #expect(target.growthMax == TargetConfig.defaultGrowthMax)
        #expect(target.window == TargetConfig.defaultWindow)
        #expect(target.cooldown == TargetConfig.defaultCooldown)
        #expect(target.heapSource == .http(url: "http://127.0.0.1:3000/memory"))
        #expect(config.metrics == MetricsSettings(host: "127.0.0.1", port: 9464))
        #expect(config.sinks.map(\.name) == ["slack"])
        #expect(config.sinks.first?.kind == .webhook(url: "http://127.0.0.1:9093/hook", retries: 3))
    }

    @Test func shippedFileDocumentsEveryKeyWithItsDefault() throws {
        let text = try String(contentsOfFile: Self.shippedPath, encoding: .utf8)
        let fields: [(String, String?)] =
            ConfigSchema.daemon.map { ($0.name, $0.defaultText) }
            + ConfigSchema.storage.map { ($0.name, $0.defaultText) }
            + ConfigSchema.target.map { ($0.name, $0.defaultText) }
            + ConfigSchema.metrics.map { ($0.name, $0.defaultText) }
            + ConfigSchema.sink.map { ($0.name, $0.defaultText) }
        for (name, defaultText) in fields {
            #expect(text.contains("# \(name) = "), "\(name) is not in the shipped config")
            if let defaultText, !defaultText.hasPrefix("<") {
                #expect(text.contains("# \(name) = \"\(defaultText)\"") || text.contains("# \(name) = \(defaultText)\n"),
                        "\(name) default \(defaultText) is not the one shown")
            }
        }
    }

    /// A default as TOML: numbers and booleans bare, everything else quoted.
    static func literal(_ text: String) -> String {
        Double(text) != nil || text == "true" || text == "false" ? text : "\"\(text)\""
    }

    @Test func schemaDefaultsAreTheModelDefaults() throws {
        var daemon = "[daemon]\n"
        for field in ConfigSchema.daemon { daemon += "\(field.name) = \(Self.literal(field.defaultText ?? ""))\n" }
        #expect(try ConfigLoader.parse(daemon, file: "d").daemon == DaemonSettings())

        var storage = "[storage]\n"
        for field in ConfigSchema.storage where field.name != "dir" {
            guard let value = field.defaultText else { continue }
            storage += "\(field.name) = \(Self.literal(value))\n"
        }
        #expect(try ConfigLoader.parse(storage, file: "s").storage == HeapwatchConfig().storage)

        var target = "[[target]]\nname = \"node\"\nunit = \"n.service\"\n"
        for field in ConfigSchema.target {
            guard let value = field.defaultText else { continue }
            target += "\(field.name) = \(Self.literal(value))\n"
        }
        let parsed = try #require(try ConfigLoader.parse(target, file: "t").targets.first)
        #expect(parsed == TargetConfig(name: "node", matchers: [.unit("n.service")]))
    }
}
