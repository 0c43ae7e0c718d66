import Testing
@testable import HeapwatchTrend

private let mib = SyntheticTrace.mib

@Suite("Forecast: effective limit and time to crash")
struct ForecastTests {
    private let sample = TrendSample(time: 0, anonBytes: 500 * mib, rssBytes: 540 * mib)
    // Floor 500 MiB now, rising 100 MiB/h (95 % interval 50–200 MiB/h).
    private let anon = Forecast.Line(level: 500 * mib, slope: 100 * mib / 3600, slopeLower: 50 * mib / 3600, slopeUpper: 200 * mib / 3600)

    @Test func etaIsGapOverSlopeWithBounds() throws {
        // 1040 MiB limit − 40 MiB file-backed − 500 MiB floor − 0 excursion = 500 MiB: 5 h.
        let f = Forecast(anon: anon, excursion: 0, heap: nil, sample: sample, limits: MemoryLimits(cgroupBytes: 1040 * mib))
        #expect(f.effectiveLimit == 1040 * mib)
        #expect(abs(try #require(f.eta) - 5 * 3600) < 1e-6)
        #expect(abs(try #require(f.etaLower) - 2.5 * 3600) < 1e-6)
        #expect(abs(try #require(f.etaUpper) - 10 * 3600) < 1e-6)
    }

    /// The range is at least `minSpread` either side of the forecast: 0.2 widens it to 4–6.25 h
    /// around 5 h; the slope's own interval (2.5–10 h) is wider already and kept.
    @Test func rangeIsWidenedToTheLeastSpread() throws {
        let narrow = Forecast.Line(level: 500 * mib, slope: 100 * mib / 3600, slopeLower: 95 * mib / 3600, slopeUpper: 105 * mib / 3600)
        let limits = MemoryLimits(cgroupBytes: 1040 * mib)
        let f = Forecast(anon: narrow, excursion: 0, heap: nil, sample: sample, limits: limits, minSpread: 0.2)
        #expect(abs(try #require(f.etaLower) - 4 * 3600) < 1e-6)
        #expect(abs(try #require(f.etaUpper) - 6.25 * 3600) < 1e-6)
        let g = Forecast(anon: anon, excursion: 0, heap: nil, sample: sample, limits: limits, minSpread: 0.2)
        #expect(abs(try #require(g.etaLower) - 2.5 * 3600) < 1e-6)
        #expect(abs(try #require(g.etaUpper) - 10 * 3600) < 1e-6)
    }

    @Test func excursionBringsTheCrashForward() throws {
        // The sawtooth's top is 100 MiB above the floor: the kernel kills at the top.
        let f = Forecast(anon: anon, excursion: 100 * mib, heap: nil, sample: sample, limits: MemoryLimits(cgroupBytes: 1040 * mib))
        #expect(abs(try #require(f.eta) - 4 * 3600) < 1e-6)
    }

    @Test func smallestLimitWins() throws {
        let limits = MemoryLimits(cgroupBytes: 2048 * mib, cgroupHighBytes: 840 * mib, rssMaxBytes: 1040 * mib)
        let f = Forecast(anon: anon, excursion: 0, heap: nil, sample: sample, limits: limits)
        #expect(f.effectiveLimit == 840 * mib)
        #expect(abs(try #require(f.eta) - 3 * 3600) < 1e-6) // (840 − 40 − 500) / 100
        #expect(f.etaLimit == ForecastLimit(kind: .cgroupHigh, bytes: 840 * mib))
    }

    /// The anon line above, with a heapUsed floor at `level` MiB rising `rate` MiB/h (interval ±20 %).
    private func forecast(heapAt level: Double, rising rate: Double, limits: MemoryLimits) -> Forecast {
        let heap = Forecast.Line(level: level * mib, slope: rate * mib / 3600, slopeLower: 0.8 * rate * mib / 3600,
                                 slopeUpper: 1.2 * rate * mib / 3600)
        return Forecast(anon: anon, excursion: 0, heap: heap, sample: sample, limits: limits)
    }

    /// The forecast names the limit the trend reaches first, which need not be the smallest: a
    /// 512 MiB V8 heap whose heapUsed barely grows outlasts a 600 MiB cgroup the anon floor fills.
    @Test func theLimitReachedFirstIsNamed() throws {
        let f = forecast(heapAt: 300, rising: 1, limits: MemoryLimits(cgroupBytes: 600 * mib, v8HeapLimitBytes: 512 * mib))
        #expect(f.effectiveLimit == 512 * mib)
        #expect(abs(try #require(f.eta) - 0.6 * 3600) < 1e-6) // (600 − 40 − 500) / 100
        #expect(f.etaLimit == ForecastLimit(kind: .cgroup, bytes: 600 * mib))
        #expect(MemoryLimitKind.cgroup.label == "cgroup memory limit")
    }

    @Test func v8HeapLimitCountsOnlyWithHeapFigures() throws {
        let limits = MemoryLimits(cgroupBytes: 4096 * mib, v8HeapLimitBytes: 512 * mib)
        let f = forecast(heapAt: 400, rising: 100, limits: limits)
        #expect(f.effectiveLimit == 512 * mib)
        // heapUsed reaches 512 MiB from 400 MiB at 100 MiB/h: 1 h 7 m 12 s.
        #expect(abs(try #require(f.eta) - 112.0 / 100 * 3600) < 1e-6)
        #expect(f.etaLimit == ForecastLimit(kind: .v8Heap, bytes: 512 * mib))

        let g = Forecast(anon: anon, excursion: 0, heap: nil, sample: sample, limits: limits)
        #expect(g.effectiveLimit == 4096 * mib)
        #expect(g.etaLimit?.kind == .cgroup)
        #expect(abs(try #require(g.eta) - 35.56 * 3600) < 1)
    }

    /// The host's memory (RSS + MemAvailable) is a limit like a cgroup's: the floor plus the rest of
    /// RSS reaches it. It is named when it comes first, even under a larger cgroup limit.
    @Test func theHostsMemoryIsALimitToo() throws {
        let f = Forecast(anon: anon, excursion: 0, heap: nil, sample: sample, limits: MemoryLimits(hostBytes: 1040 * mib))
        #expect(abs(try #require(f.eta) - 5 * 3600) < 1e-6) // (1040 − 40 − 500) / 100
        #expect(f.etaLimit == ForecastLimit(kind: .host, bytes: 1040 * mib))
        let g = Forecast(anon: anon, excursion: 0, heap: nil, sample: sample,
                         limits: MemoryLimits(cgroupBytes: 2048 * mib, hostBytes: 1040 * mib))
        #expect(g.etaLimit?.kind == .host)
        let h = Forecast(anon: anon, excursion: 0, heap: nil, sample: sample,
                         limits: MemoryLimits(cgroupBytes: 840 * mib, hostBytes: 1040 * mib))
        #expect(h.etaLimit?.kind == .cgroup)
        #expect(MemoryLimitKind.host.rawValue == "host" && MemoryLimitKind.host.label == "host memory")
    }

    @Test func noLimitOrNoGrowthMeansNoEta() throws {
        #expect(Forecast(anon: anon, excursion: 0, heap: nil, sample: sample, limits: .none).eta == nil)
        let flat = Forecast.Line(level: 500 * mib, slope: 0, slopeLower: -1, slopeUpper: 1)
        let f = Forecast(anon: flat, excursion: 0, heap: nil, sample: sample, limits: MemoryLimits(rssMaxBytes: 1024 * mib))
        #expect(f.eta == nil)
        #expect(f.etaLimit == nil)
        #expect(f.etaUpper == nil)
        #expect(try #require(f.etaLower) > 0)
    }

    @Test func pastTheLimitIsZero() {
        let f = Forecast(anon: anon, excursion: 0, heap: nil, sample: sample, limits: MemoryLimits(rssMaxBytes: 500 * mib))
        #expect(f.eta == 0 && f.etaLower == 0 && f.etaUpper == 0)
    }

    /// End to end: a 60 MiB/h leak from 240 MiB towards a 400 MiB cgroup (crash at 2 h 40 m); once
    /// leaking the ETA is within ±20 % of the true time left and the range `status` shows holds it.
    /// The slope's interval alone, 2 h into a steady leak, spans a few minutes and missed the truth.
    @Test(arguments: [(UInt64(1), 2.0), (2, 4), (3, 4)])
    func trackerEtaMatchesTheTrueCrash(seed: UInt64, noise: Double) throws {
        var t = SyntheticTrace(duration: 3 * 3600)
        t.seed = seed
        t.leakBytesPerHour = 60 * mib
        t.noiseBytes = noise * mib
        let limit = 400 * mib
        let crash = try #require(t.crashTime(limit: limit))
        var tracker = TrendTracker(policy: TrendPolicy())
        var checked = 0
        for s in t.samples() {
            let a = tracker.record(s, limits: MemoryLimits(cgroupBytes: limit))
            guard a.state == .leaking, Int(s.time) % 600 == 0 else { continue }
            let eta = try #require(a.etaSeconds)
            let left = crash - s.time
            #expect(abs(eta - left) / left < 0.2, "at \(Int(s.time)) s: eta \(Int(eta)) s, true \(Int(left)) s")
            let earliest = try #require(a.etaLowerSeconds)
            let latest = try #require(a.etaUpperSeconds)
            #expect(earliest <= 0.8 * eta * 1.000001 && latest >= 1.25 * eta * 0.999999)
            #expect(earliest <= left && left <= latest, "at \(Int(s.time)) s: \(Int(earliest))–\(Int(latest)) s, true \(Int(left)) s")
            #expect(a.effectiveLimitBytes == limit)
            checked += 1
        }
        #expect(checked >= 8)
    }

    /// A step of 120 MiB at 30 min, a plateau, then a 50 MiB/h leak from 60 min: the window at the
    /// first `leaking` still holds part of the plateau, so a line through the whole window is too
    /// flat. The forecast must extrapolate the leak alone: within ±20 % of the true time left.
    @Test(arguments: [UInt64(11), 12, 13])
    func firstLeakingEtaAfterAStepFollowsTheLeak(seed: UInt64) throws {
        var t = SyntheticTrace(duration: 4 * 3600)
        t.steps = [.init(time: 1800, bytes: 120 * mib)]
        t.leakBytesPerHour = 50 * mib
        t.leakStart = 3600
        t.seed = seed
        let crashAfter = 4 * 3600.0
        let limit = t.floor(at: crashAfter) + t.fileBytes
        var tracker = TrendTracker(policy: TrendPolicy())
        for s in t.samples() {
            let a = tracker.record(s, limits: MemoryLimits(cgroupBytes: limit))
            guard a.state == .leaking else { continue }
            #expect(s.time >= 3600, "leaking before the leak, at \(Int(s.time)) s")
            let eta = try #require(a.etaSeconds)
            let left = crashAfter - s.time
            #expect(abs(eta - left) / left <= 0.2, "at \(Int(s.time)) s: eta \(Int(eta)) s, true \(Int(left)) s")
            return
        }
        Issue.record("never leaking")
    }

    /// A slow leak (10 MiB/h) under noise and a GC sawtooth, 7 h from its limit: the window's own
    /// slope swings by half either way, so once the long history covers the window the forecast
    /// takes the history's slope. Every 10 min from 1 h 30 on, the ETA is within ±20 % of the truth.
    @Test(arguments: [UInt64(21), 22, 23])
    func slowLeakForecastFollowsTheLongHistory(seed: UInt64) throws {
        var t = SyntheticTrace(duration: 4 * 3600)
        t.leakBytesPerHour = 10 * mib
        t.noiseBytes = 4 * mib
        t.sawtoothAmplitude = 30 * mib
        t.seed = seed
        let crashAfter = 7 * 3600.0
        let limit = t.floor(at: crashAfter) + t.sawtoothAmplitude + t.fileBytes
        var tracker = TrendTracker(policy: TrendPolicy())
        var checked = 0
        for s in t.samples() {
            let a = tracker.record(s, limits: MemoryLimits(cgroupBytes: limit))
            guard s.time >= 5400, Int(s.time) % 600 == 0 else { continue }
            let eta = try #require(a.etaSeconds, "no forecast at \(Int(s.time)) s (\(a.state))")
            let left = crashAfter - s.time
            #expect(abs(eta - left) / left <= 0.2, "at \(Int(s.time)) s: eta \(Int(eta)) s, true \(Int(left)) s")
            checked += 1
        }
        #expect(checked == 16)
    }

    /// With heap figures the V8 limit is the effective one when the heap reaches it first.
    @Test func trackerForecastsTheV8HeapLimitFromHeapUsed() throws {
        var tracker = TrendTracker(policy: TrendPolicy())
        let limits = MemoryLimits(cgroupBytes: 4096 * mib, v8HeapLimitBytes: 400 * mib)
        var last = TrendAssessment.warmingUp
        for k in 0...360 { // 30 min at 5 s
            let t = Double(k) * 5
            let heap = 100 * mib + 100 * mib * t / 3600 // 100 MiB/h
            let sample = TrendSample(time: t, anonBytes: heap + 50 * mib, rssBytes: heap + 90 * mib, heapUsedBytes: heap)
            last = tracker.record(sample, limits: limits)
        }
        #expect(last.state == .leaking)
        #expect(last.effectiveLimitBytes == 400 * mib)
        #expect(last.etaLimit == ForecastLimit(kind: .v8Heap, bytes: 400 * mib))
        // heapUsed is 150 MiB at 30 min: 250 MiB to go at 100 MiB/h.
        let eta = try #require(last.etaSeconds)
        #expect(abs(eta - 2.5 * 3600) < 0.05 * 2.5 * 3600)
    }
}
