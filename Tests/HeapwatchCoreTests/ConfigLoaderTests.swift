import Testing
@testable import HeapwatchCore

/// The diagnostics for `text` as `FILE:LINE:COL: message` lines; empty when it loads.
func diagnostics(_ text: String) -> [String] {
    do {
        _ = try ConfigLoader.parse(text, file: "t.toml")
        return []
    } catch {
        return error.diagnostics.map(\.description)
    }
}

func load(_ text: String) throws -> HeapwatchConfig {
    try ConfigLoader.parse(text, file: "t.toml")
}

@Suite struct ConfigLoaderValidTests {
    @Test func emptyFileGivesDefaultsAndTheNodeTarget() throws {
        let config = try load("")
        #expect(config == HeapwatchConfig())
        #expect(config.targets == [.defaultNode])
        #expect(config.targets[0].matchers == [.anyNode])
        #expect(config.daemon.interval == 5)
        #expect(config.daemon.socket == "/run/heapwatch/control.sock")
        #expect(config.daemon.stateDir == "/var/lib/heapwatch")
        #expect(config.daemon.logLevel == .info)
        #expect(config.storage.dir == "/var/lib/heapwatch/snapshots")
        #expect(config.storage.keepPerTarget == 5)
        #expect(config.storage.maxBytes == 10 * 1024 * 1024 * 1024)
    }

    @Test func emptyTablesGiveDefaults() throws {
        #expect(try load("[daemon]\n[storage]\n") == HeapwatchConfig())
    }

    @Test func everyKeySet() throws {
        let config = try load(
            """
            [daemon]
            interval = "500ms"
            socket = "/tmp/hw.sock"
            state_dir = "/srv/hw/"
            log_level = "debug"

            [storage]
            keep_per_target = 2
            max_bytes = 1048576

            [[target]]
            name = "api"
            command = 'node .*server\\.js'
            unit = "api.service"
            pidfile = "/run/api.pid"
            capture = "http://127.0.0.1:3000/heap-snapshot"
            rss_max = "1.5GiB"
            growth_max = "50MiB/h"
            window = "10m"
            cooldown = 120

            [[target]]
            name = "worker"
            unit = "worker.service"
            capture = "none"
            """)
        #expect(config.daemon == DaemonSettings(interval: 0.5, socket: "/tmp/hw.sock", stateDir: "/srv/hw/", logLevel: .debug))
        #expect(config.storage == StorageSettings(dir: "/srv/hw/snapshots", keepPerTarget: 2, maxBytes: 1_048_576))
        #expect(config.targets.count == 2)
        let api = try #require(config.targets.first)
        #expect(api.name == "api")
        #expect(api.matchers == [.command(pattern: "node .*server\\.js"), .unit("api.service"), .pidfile("/run/api.pid")])
        #expect(api.capture == .http(url: "http://127.0.0.1:3000/heap-snapshot"))
        #expect(api.rssMax == 1_610_612_736)
        #expect(api.growthMax == 50 * 1024 * 1024)
        #expect(api.window == 600)
        #expect(api.cooldown == 120)
        let worker = config.targets[1]
        #expect(worker == TargetConfig(name: "worker", matchers: [.unit("worker.service")], capture: .none))
    }

    @Test func storageDirFollowsStateDirUnlessGiven() throws {
        #expect(try load("[daemon]\nstate_dir = \"/data\"").storage.dir == "/data/snapshots")
        #expect(try load("[daemon]\nstate_dir = \"/\"").storage.dir == "/snapshots")
        let given = try load("[daemon]\nstate_dir = \"/data\"\n[storage]\ndir = \"/snaps\"")
        #expect(given.storage.dir == "/snaps")
    }

    @Test(arguments: [
        ("\"5s\"", 5.0), ("\"500ms\"", 0.5), ("\"30m\"", 1800), ("\"1h\"", 3600), ("\"2d\"", 172_800),
        ("7", 7), ("0.25", 0.25), ("\"1.5s\"", 1.5),
    ])
    func durationForms(value: String, seconds: Double) throws {
        let config = try load("[[target]]\nname = \"a\"\nunit = \"a.service\"\ncooldown = \(value)")
        #expect(config.targets[0].cooldown == seconds)
        if seconds <= 900 {
            #expect(try load("[daemon]\ninterval = \(value)").daemon.interval == seconds)
        }
    }

    @Test(arguments: [
        ("\"512MiB\"", UInt64(536_870_912)), ("\"1.5GiB\"", 1_610_612_736), ("\"500MB\"", 500_000_000),
        ("\"4096\"", 4096), ("4096", 4096), ("\"1KiB\"", 1024),
    ])
    func sizeForms(value: String, bytes: UInt64) throws {
        #expect(try load("[storage]\nmax_bytes = \(value)").storage.maxBytes == bytes)
    }

    @Test(arguments: [
        ("signal", CaptureMethod.signal), ("none", .none),
        ("http://localhost:8080/snap", .http(url: "http://localhost:8080/snap")),
        ("http://[::1]:9000/", .http(url: "http://[::1]:9000/")),
        ("http://app", .http(url: "http://app")),
    ])
    func captureForms(value: String, method: CaptureMethod) throws {
        let config = try load("[[target]]\nname = \"a\"\nunit = \"a.service\"\ncapture = \"\(value)\"")
        #expect(config.targets[0].capture == method)
    }

    @Test func inlineTargetsAreAccepted() throws {
        let config = try load(#"target = [{ name = "a", unit = "a.service" }, { name = "b", pidfile = "/b.pid" }]"#)
        #expect(config.targets.map(\.name) == ["a", "b"])
    }

    @Test func dottedKeysAreAccepted() throws {
        let config = try load("daemon.interval = \"2s\"\nstorage.keep_per_target = 9")
        #expect(config.daemon.interval == 2)
        #expect(config.storage.keepPerTarget == 9)
    }

    @Test func byteOrderMarkAndCRLFAreFine() throws {
        let config = try load("\u{FEFF}[daemon]\r\ninterval = \"3s\"\r\n")
        #expect(config.daemon.interval == 3)
    }
}
