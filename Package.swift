// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "heapwatch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "heapwatchd", targets: ["heapwatchd"]),
        .executable(name: "heapwatchctl", targets: ["heapwatchctl"]),
        .library(name: "HeapAnalysis", targets: ["HeapAnalysis"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // C libraries.
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(name: "CLinux"),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),

        // Pure code: no I/O beyond what a caller hands in.
        .target(name: "HeapwatchTrend"),
        .target(
            name: "HeapwatchCore",
            dependencies: [
                "HeapwatchTrend",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        .target(name: "HeapAnalysis", dependencies: ["CZlib"]),

        // The control socket's framing and client, shared by the daemon, heapwatchctl and the tests.
        .target(
            name: "HeapwatchControl",
            dependencies: [
                "HeapwatchCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),

        // The daemon's I/O shell.
        .target(
            name: "HeapwatchDaemon",
            dependencies: [
                "HeapwatchCore",
                "HeapwatchTrend",
                "HeapwatchControl",
                "HeapwatchHistory",
                "HeapAnalysis",
                "CSystemd",
                "CLinux",
                "CCrypto",
                "CZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "heapwatchd",
            dependencies: [
                "HeapwatchDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "heapwatchctl",
            dependencies: [
                "HeapwatchCore",
                "HeapwatchTrend",
                "HeapwatchControl",
                "HeapwatchHistory",
                "HeapAnalysis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Samples, rollups and events in SQLite under state_dir, and the history chart.
        .target(
            name: "HeapwatchHistory",
            dependencies: [
                "HeapwatchCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // Test helper: records ticks into a history database until killed.
        .executableTarget(name: "heapwatch-history-writer", dependencies: ["HeapwatchHistory"]),
        .testTarget(
            name: "HeapwatchHistoryTests",
            dependencies: ["HeapwatchHistory", "heapwatch-history-writer", "HeapwatchTrend", "TestSupport",
                           .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // Evaluation harness for the trend detector (`make bench-detect`), not a CI test.
        .executableTarget(name: "heapwatch-bench-detect", dependencies: ["HeapwatchTrend"]),
        // Benchmark driver for scripts/bench-analyze.sh (not a product).
        .executableTarget(name: "heapwatch-bench-analyze", dependencies: ["HeapAnalysis"]),

        // What the test targets share: temporary directories, test failures, child processes (`Child`)
        // and programs run to completion (`Tool`).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "HeapwatchTrendTests", dependencies: ["HeapwatchTrend"]),
        .testTarget(name: "HeapwatchCoreTests", dependencies: ["HeapwatchCore", "HeapwatchTrend", "TestSupport"]),
        .testTarget(name: "HeapAnalysisTests", dependencies: ["HeapAnalysis", "HeapwatchTrend", "TestSupport"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["HeapwatchCore", "HeapwatchControl", "HeapwatchDaemon", "TestSupport"]
        ),
    ]
)
