import HeapwatchCore
import Testing

struct UnitsTests {
    @Test(arguments: [
        ("512MiB", UInt64(512 * 1024 * 1024)), ("1.5GiB", UInt64(1536 * 1024 * 1024)), ("500MB", UInt64(500_000_000)),
        ("4096", UInt64(4096)), ("10 KiB", UInt64(10240)), ("0", UInt64(0)), ("2G", UInt64(2 * 1024 * 1024 * 1024)),
    ])
    func parsesSizes(text: String, bytes: UInt64) {
        #expect(Units.parseSize(text) == bytes)
    }

    @Test(arguments: ["", "MiB", "-5MiB", "12XB", "1.2.3GiB", "abc", "1e30TiB", ".MiB"])
    func rejectsBadSizes(text: String) {
        #expect(Units.parseSize(text) == nil)
    }

    @Test(arguments: [("500ms", 0.5), ("5s", 5.0), ("30m", 1800.0), ("1h", 3600.0), ("2d", 172_800.0), ("1.5h", 5400.0), ("7", 7.0)])
    func parsesDurations(text: String, seconds: Double) {
        #expect(Units.parseDuration(text) == seconds)
    }

    @Test(arguments: ["", "5x", "h", "-1s", "1hh"])
    func rejectsBadDurations(text: String) {
        #expect(Units.parseDuration(text) == nil)
    }

    @Test func parsesGrowthRates() {
        #expect(Units.parseGrowthRate("50MiB/h") == Double(50 * 1024 * 1024))
        #expect(Units.parseGrowthRate("1MiB/m") == Double(60 * 1024 * 1024))
        #expect(Units.parseGrowthRate("24MiB/d") == Double(1024 * 1024))
        #expect(Units.parseGrowthRate("50MiB") == nil)
        #expect(Units.parseGrowthRate("50MiB/week") == nil)
    }

    @Test func formatsBytesAndDurations() {
        #expect(Units.formatBytes(UInt64(1_288_490_189)) == "1.2GiB")
        #expect(Units.formatBytes(UInt64(40 * 1024 * 1024)) == "40MiB")
        #expect(Units.formatBytes(UInt64(512)) == "512B")
        #expect(Units.formatBytes(-2048.0) == "-2KiB")
        #expect(Units.formatDuration(45) == "45s")
        #expect(Units.formatDuration(0.5) == "500ms")
        #expect(Units.formatDuration(12 * 60) == "12m")
        #expect(Units.formatDuration(3 * 3600 + 20 * 60) == "3h20m")
        #expect(Units.formatDuration(2 * 86400 + 4 * 3600) == "2d4h")
        #expect(Units.formatDuration(.infinity) == "never")
    }
}
