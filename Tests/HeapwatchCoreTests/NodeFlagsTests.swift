import HeapwatchCore
import Testing

struct NodeFlagsTests {
    @Test func readsFlagsFromTheCommandLine() {
        let flags = NodeFlags.parse(arguments: ["node", "--heapsnapshot-signal=SIGUSR2", "--max-old-space-size=4096",
                                                "--diagnostic-dir", "/var/tmp/diag", "--inspect-port=9230", "server.js"], nodeOptions: nil)
        #expect(flags.snapshotsOnSIGUSR2)
        #expect(flags.maxOldSpaceSizeMiB == 4096)
        #expect(flags.diagnosticDir == "/var/tmp/diag")
        #expect(flags.inspectPort == 9230)
        #expect(!flags.disableSigusr1)
    }

    @Test func ignoresTheScriptsOwnArguments() {
        let flags = NodeFlags.parse(arguments: ["node", "server.js", "--heapsnapshot-signal=SIGUSR2"], nodeOptions: nil)
        #expect(!flags.snapshotsOnSIGUSR2)
        let afterRequire = NodeFlags.parse(arguments: ["node", "-r", "dotenv/config", "--heapsnapshot-signal=SIGUSR2", "app.js"], nodeOptions: nil)
        #expect(afterRequire.snapshotsOnSIGUSR2)
    }

    @Test func readsNodeOptionsAndLetsTheCommandLineWin() {
        let fromEnvironment = NodeFlags.parse(arguments: ["node", "app.js"], nodeOptions: "--heapsnapshot-signal=SIGUSR2 --max_old_space_size=512")
        #expect(fromEnvironment.snapshotsOnSIGUSR2)
        #expect(fromEnvironment.maxOldSpaceSizeMiB == 512)
        let overridden = NodeFlags.parse(arguments: ["node", "--max-old-space-size=2048", "app.js"], nodeOptions: "--max-old-space-size=512")
        #expect(overridden.maxOldSpaceSizeMiB == 2048)
    }

    @Test func readsHowManySnapshotsNodeTakesNearItsHeapLimit() {
        #expect(NodeFlags.parse(arguments: ["node", "--heapsnapshot-near-heap-limit=3", "a.js"], nodeOptions: nil).heapsnapshotNearHeapLimit == 3)
        #expect(NodeFlags.parse(arguments: ["node", "--heapsnapshot-near-heap-limit", "2", "a.js"], nodeOptions: nil).heapsnapshotNearHeapLimit == 2)
        #expect(NodeFlags.parse(arguments: ["node", "a.js"], nodeOptions: "--heapsnapshot_near_heap_limit=1").heapsnapshotNearHeapLimit == 1)
        #expect(NodeFlags.parse(arguments: ["node", "a.js", "--heapsnapshot-near-heap-limit=3"], nodeOptions: nil).heapsnapshotNearHeapLimit == nil)
    }

    @Test func otherSignalsDoNotCount() {
        #expect(!NodeFlags.parse(arguments: ["node", "--heapsnapshot-signal=SIGUSR1", "a.js"], nodeOptions: nil).snapshotsOnSIGUSR2)
        #expect(NodeFlags.parse(arguments: ["node", "--heapsnapshot-signal", "SIGUSR2", "a.js"], nodeOptions: nil).snapshotsOnSIGUSR2)
    }

    @Test func readsInspectorPortsAndDisableSigusr1() {
        #expect(NodeFlags.parse(arguments: ["node", "--inspect=127.0.0.1:9333", "a.js"], nodeOptions: nil).inspectPort == 9333)
        #expect(NodeFlags.parse(arguments: ["node", "--inspect", "a.js"], nodeOptions: nil).inspectPort == nil)
        #expect(NodeFlags.parse(arguments: ["node", "--disable-sigusr1", "a.js"], nodeOptions: nil).disableSigusr1)
    }

    @Test func handlesARewrittenTitle() {
        // process.title rewrites argv into one string.
        let flags = NodeFlags.parse(arguments: ["node --heapsnapshot-signal=SIGUSR2 app.js"], nodeOptions: nil)
        #expect(flags.snapshotsOnSIGUSR2)
    }

    @Test func tokenizesNodeOptionsWithQuotes() {
        let flags = NodeFlags.parse(arguments: ["node", "a.js"], nodeOptions: "--diagnostic-dir=\"/var/tmp/my dir\" --heapsnapshot-signal=SIGUSR2")
        #expect(flags.diagnosticDir == "/var/tmp/my dir")
        #expect(flags.snapshotsOnSIGUSR2)
    }
}
