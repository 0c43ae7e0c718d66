import HeapwatchTrend

/// The synthetic corpus: leaks of 5–200 MiB/h under noise and sawtooth, leaks after warm-up and
/// steps, and non-leaks (warm-up then plateau, big sawtooth, large flat, bursty, steps, wander),
/// all at 5 s ticks with the default policy (window 15 min, growth_max 20 MiB/h).
enum Corpus {
    static let mib = SyntheticTrace.mib
    static let hour = 3600.0
    /// The group of leaks whose traces end at a crash inside their first window.
    static let diesInFirstWindow = "synthetic leak that crashes within its first window"

    /// `seedOffset` moves every case's seed by the same amount (`--seeds`): the same corpus with
    /// other noise, sawtooth phases and bursts.
    static func synthetic(policy: TrendPolicy, seedOffset: UInt64 = 0) -> [BenchCase] {
        var cases: [BenchCase] = []
        var seed: UInt64 = 1
        func nextSeed() -> UInt64 { seed += 1; return seed + seedOffset }

        // Leaks: rate × noise × sawtooth. The limit is set so the sawtooth's top crashes 4 h after
        // the start, or later for slow leaks so they start under 62 % of it.
        let saws: [(String, Double, Double)] = [("", 0, 60), (" saw30M/60s", 30 * mib, 60), (" saw100M/5m", 100 * mib, 300)]
        for rate in [5.0, 10, 30, 50, 100, 200] {
            for noise in [1.0, 4] {
                for (sawName, amplitude, period) in saws {
                    var t = SyntheticTrace(duration: 4 * hour)
                    t.leakBytesPerHour = rate * mib
                    t.noiseBytes = noise * mib
                    t.sawtoothAmplitude = amplitude
                    t.sawtoothPeriod = period
                    t.seed = nextSeed()
                    let start = t.baseBytes + amplitude + t.fileBytes
                    let crashAfter = max(4 * hour, 0.6 * start / (rate * mib) * hour)
                    t.duration = crashAfter + 600
                    var c = leak("leak \(Int(rate))M/h σ\(Int(noise))M\(sawName)", t, crashAfter: crashAfter, policy: policy)
                    c.stress = period >= policy.window / 3
                    cases.append(c)
                }
            }
        }
        // Leaks that start after a warm-up or a step, or under wander, 4 h each.
        func leakAfter(_ name: String, stress: Bool = false, seed: UInt64? = nil, _ configure: (inout SyntheticTrace) -> Void) {
            var t = SyntheticTrace(duration: 4 * hour)
            t.seed = seed.map { $0 + seedOffset } ?? nextSeed()
            configure(&t)
            var c = leak(name, t, crashAfter: 4 * hour, policy: policy)
            c.stress = stress
            cases.append(c)
        }
        leakAfter("leak 30M/h after exp warm-up") {
            $0.warmUp = .exponential(bytes: 150 * mib, tau: 180)
            $0.leakBytesPerHour = 30 * mib
            $0.leakStart = 1200
        }
        leakAfter("leak 30M/h after linear warm-up") {
            $0.warmUp = .linear(bytes: 200 * mib, duration: 600)
            $0.leakBytesPerHour = 30 * mib
            $0.leakStart = 1800
            $0.sawtoothAmplitude = 30 * mib
        }
        leakAfter("leak 50M/h after a step") {
            $0.steps = [.init(time: 1800, bytes: 120 * mib)]
            $0.leakBytesPerHour = 50 * mib
            $0.leakStart = 3600
        }
        leakAfter("leak 30M/h with wander") { $0.leakBytesPerHour = 30 * mib; $0.wanderBytes = 4 * mib }
        // Leaks whose pace changes later: no forecast can know before the change; they show how
        // fast the forecast follows it. Seeds of their own (the next after every other case's), so
        // adding them changed no other case.
        leakAfter("leak 20M/h, 60M/h from 2h", stress: true, seed: 64) {
            $0.leakBytesPerHour = 20 * mib
            $0.leakRateChanges = [(time: 2 * hour, bytesPerHour: 60 * mib)]
            $0.noiseBytes = 4 * mib
        }
        leakAfter("leak 60M/h, 30M/h from 1h", stress: true, seed: 65) {
            $0.leakBytesPerHour = 60 * mib
            $0.leakRateChanges = [(time: hour, bytesPerHour: 30 * mib)]
            $0.sawtoothAmplitude = 30 * mib
        }

        // Leaks that stop (a cache that reaches its bound, a queue that drains): how soon `leaking`
        // ends after the floor goes flat. 4 h each, seeds of their own.
        for (k, (rate, noise, saw, stop)) in [(50.0, 4.0, 30.0, 2.0), (30, 4, 0, 2), (30, 1, 30, 2), (100, 1, 0, 1)].enumerated() {
            var t = SyntheticTrace(duration: 4 * hour)
            t.seed = 66 + UInt64(k) + seedOffset
            t.leakBytesPerHour = rate * mib
            t.leakRateChanges = [(time: stop * hour, bytesPerHour: 0)]
            t.noiseBytes = noise * mib
            t.sawtoothAmplitude = saw * mib
            var c = nonLeak("stops: \(Int(rate))M/h σ\(Int(noise))M\(saw > 0 ? " saw\(Int(saw))M/60s" : "") at \(Int(stop))h", t, policy: policy)
            c.group = "synthetic leak that stops"
            c.leakStart = 0
            c.leakStop = stop * hour
            c.leakRate = t.leakBytesPerHour
            c.mustLeak = true
            cases.append(c)
        }

        // Leaks that crash before a window is full (a service leaking from its start, restarted
        // every few minutes): judged on whether a snapshot is taken before the crash. The trace
        // ends at the crash; seeds of their own.
        for (k, (rate, noise, saw, minutes)) in [(2048.0, 1.0, 0.0, 10.0), (1024, 4, 30, 12), (3072, 4, 0, 6),
                                                 (600, 4, 30, 14)].enumerated() {
            var t = SyntheticTrace(duration: minutes * 60)
            t.seed = 80 + UInt64(k) + seedOffset
            t.leakBytesPerHour = rate * mib
            t.noiseBytes = noise * mib
            t.sawtoothAmplitude = saw * mib
            let rateName = rate >= 1024 ? "\(Int(rate / 1024))G/h" : "\(Int(rate))M/h"
            var c = leak("\(rateName) σ\(Int(noise))M\(saw > 0 ? " saw\(Int(saw))M/60s" : ""), dies at \(Int(minutes))m",
                         t, crashAfter: minutes * 60, policy: policy)
            c.group = Self.diesInFirstWindow
            c.mustLeak = false
            cases.append(c)
        }

        // Leaks the kernel moves out to swap: anonymous memory in RAM stops at 30 MiB over the
        // start (the RAM it may use is full) and the rest goes to VmSwap, so RSS goes flat within the
        // first hour. The limit is the cgroup's, reached in RAM and swap together. Seeds of their own.
        for (k, (rate, noise, saw)) in [(30.0, 4.0, 30.0), (100, 1, 0)].enumerated() {
            var t = SyntheticTrace(duration: 4 * hour + 600)
            t.seed = 90 + UInt64(k) + seedOffset
            t.leakBytesPerHour = rate * mib
            t.noiseBytes = noise * mib
            t.sawtoothAmplitude = saw * mib
            var c = leak("swap: leak \(Int(rate))M/h σ\(Int(noise))M\(saw > 0 ? " saw\(Int(saw))M/60s" : "")", t,
                         crashAfter: 4 * hour, policy: policy)
            c.samples = c.samples.map { Self.swappingOut($0, over: t.baseBytes + 30 * mib) }
            c.group = Self.swapGroup
            cases.append(c)
        }
        // A flat process 200 MiB of whose heap another's pressure pushes out to swap over 10
        // minutes at 2 h: the memory is still held, not freed.
        do {
            var t = SyntheticTrace(duration: 6 * hour)
            t.seed = 92 + seedOffset
            t.baseBytes = 600 * mib
            t.sawtoothAmplitude = 20 * mib
            var c = nonLeak("swap: flat 600M, 200M out at 2h", t, policy: policy)
            c.samples = c.samples.map { sample in
                let moved = min(1, max(0, (sample.time - 2 * hour) / 600)) * 200 * mib
                return Self.swappingOut(sample, over: sample.anonBytes - moved)
            }
            c.group = Self.swapGroup
            cases.append(c)
        }

        // Non-leaks, 6 h each.
        func flat(_ name: String, stress: Bool = false, _ configure: (inout SyntheticTrace) -> Void) {
            var t = SyntheticTrace(duration: 6 * hour)
            t.seed = nextSeed()
            configure(&t)
            var c = nonLeak(name, t, policy: policy)
            c.stress = stress
            cases.append(c)
        }
        flat("flat 200M σ2M") { _ in }
        flat("large flat 2G σ8M") { $0.baseBytes = 2048 * mib; $0.noiseBytes = 8 * mib }
        for (tau, bytes) in [(120.0, 100.0), (300, 300), (600, 300)] {
            flat("warm-up exp τ\(Int(tau / 60))m +\(Int(bytes))M", stress: tau > 300) {
                $0.warmUp = .exponential(bytes: bytes * mib, tau: tau)
                $0.sawtoothAmplitude = 20 * mib
            }
        }
        for (minutes, bytes) in [(5.0, 150.0), (10, 300)] {
            flat("warm-up linear \(Int(minutes))m +\(Int(bytes))M") {
                $0.warmUp = .linear(bytes: bytes * mib, duration: minutes * 60)
            }
        }
        for period in [30.0, 120, 300, 600] {
            flat("sawtooth 100M/\(period < 60 ? "\(Int(period))s" : "\(Int(period / 60))m")") {
                $0.sawtoothAmplitude = 100 * mib
                $0.sawtoothPeriod = period
            }
        }
        flat("sawtooth 300M/2m σ4M") { $0.sawtoothAmplitude = 300 * mib; $0.sawtoothPeriod = 120; $0.noiseBytes = 4 * mib }
        for k in 1...4 {
            flat("bursty uploads ≤200M #\(k)") { $0.burstsPerHour = 30; $0.burstMaxBytes = 200 * mib; $0.burstHold = 90 }
        }
        for k in 1...2 {
            flat("bursty uploads ≤500M #\(k)") { $0.burstsPerHour = 60; $0.burstMaxBytes = 500 * mib; $0.burstHold = 30 }
        }
        flat("bursty uploads ≤200M seed 1") { $0.burstsPerHour = 30; $0.burstMaxBytes = 200 * mib; $0.burstHold = 90; $0.seed = 1 + seedOffset }
        flat("step +80M at 1h") { $0.steps = [.init(time: 3600, bytes: 80 * mib)] }
        flat("steps +300M, −200M") {
            $0.steps = [.init(time: 3600, bytes: 300 * mib), .init(time: 7200, bytes: -200 * mib)]
        }
        flat("wander σ4M τ30m", stress: true) { $0.wanderBytes = 4 * mib }
        return cases
    }

    static let swapGroup = "synthetic, with swap (RSS and RssAnon flat, the rest in VmSwap)"

    /// The sample with its anonymous memory over `ramBytes` moved out to swap.
    static func swappingOut(_ sample: TrendSample, over ramBytes: Double) -> TrendSample {
        var moved = sample
        let out = max(0, sample.anonBytes - ramBytes)
        moved.anonBytes -= out
        moved.rssBytes -= out
        moved.swapBytes += out
        return moved
    }

    static func leak(_ name: String, _ t: SyntheticTrace, crashAfter: Double, policy: TrendPolicy) -> BenchCase {
        let limit = t.floor(at: crashAfter) + t.sawtoothAmplitude + t.fileBytes
        var c = BenchCase(
            name: name, group: "synthetic leak",
            samples: t.samples(),
            limits: MemoryLimits(cgroupBytes: limit),
            policy: policy,
            leakStart: t.leakStart,
            leakRate: t.leakBytesPerHour,
            crashTime: t.crashTime(limit: limit),
            thresholdBytes: 0.8 * limit,
            mustLeak: t.leakBytesPerHour > policy.growthMax
        )
        c.seed = t.seed
        return c
    }

    /// Non-leaks get a cgroup limit with headroom over their settled size: 1.5 × (floor + file +
    /// sawtooth), a limit a careful user would pick. PM2's threshold is 80 % of it.
    static func nonLeak(_ name: String, _ t: SyntheticTrace, policy: TrendPolicy) -> BenchCase {
        let settled = t.floor(at: t.duration) + t.fileBytes + t.sawtoothAmplitude
        let limit = 1.5 * settled
        var c = BenchCase(
            name: name, group: "synthetic non-leak",
            samples: t.samples(),
            limits: MemoryLimits(cgroupBytes: limit),
            policy: policy,
            leakStart: nil, leakRate: 0, crashTime: nil,
            thresholdBytes: 0.8 * limit,
            mustLeak: false
        )
        c.seed = t.seed
        return c
    }
}
