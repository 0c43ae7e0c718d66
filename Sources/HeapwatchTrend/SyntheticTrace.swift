#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A deterministic, parameterised memory trace of a Node process, for tests and the
/// `heapwatch-bench-detect` harness. anon(t) = base + warm-up + steps + leak + sawtooth + bursts
/// + slow wander + noise; RSS = anon + `fileBytes`. Bytes and seconds throughout.
public struct SyntheticTrace: Sendable {
    public enum WarmUp: Sendable, Equatable {
        case none
        /// Grows by `bytes` as 1 − e^(−t/τ).
        case exponential(bytes: Double, tau: Double)
        /// Grows by `bytes` linearly over `duration`, then stays.
        case linear(bytes: Double, duration: Double)
    }

    public var duration: Double
    public var tick: Double = 5
    public var baseBytes: Double = 200 * mib
    /// RSS − anon (file-backed resident memory), constant.
    public var fileBytes: Double = 40 * mib
    public var leakBytesPerHour: Double = 0
    /// The leak starts at this time.
    public var leakStart: Double = 0
    /// Later changes of the leak rate (traffic grows, a second leak starts), in time order.
    public var leakRateChanges: [(time: Double, bytesPerHour: Double)] = []
    public var warmUp: WarmUp = .none
    /// Permanent steps of the floor: (time, bytes).
    public var steps: [Step] = []
    /// GC sawtooth: rises by `amplitude` over each `period`, then drops back.
    public var sawtoothAmplitude: Double = 0
    public var sawtoothPeriod: Double = 60
    /// Uploads: about `burstsPerHour` arrivals, each holding up to `burstMaxBytes` for up to `burstHold` s.
    public var burstsPerHour: Double = 0
    public var burstMaxBytes: Double = 0
    public var burstHold: Double = 60
    /// Slow mean-reverting wander (Ornstein–Uhlenbeck): stationary σ and time constant.
    public var wanderBytes: Double = 0
    public var wanderTau: Double = 1800
    /// Independent Gaussian noise per sample, σ in bytes.
    public var noiseBytes: Double = 2 * mib
    public var seed: UInt64 = 1

    public struct Step: Sendable, Equatable {
        public var time: Double
        public var bytes: Double
        public init(time: Double, bytes: Double) {
            self.time = time
            self.bytes = bytes
        }
    }

    public static let mib = 1_048_576.0

    public init(duration: Double) {
        self.duration = duration
    }

    /// The floor without noise, sawtooth, bursts or wander: what a perfect detector would see.
    public func floor(at t: Double) -> Double {
        var value = baseBytes
        switch warmUp {
        case .none: break
        case let .exponential(bytes, tau): value += bytes * (1 - exp(-t / tau))
        case let .linear(bytes, length): value += bytes * min(1, max(0, t / length))
        }
        for step in steps where t >= step.time { value += step.bytes }
        if t > leakStart {
            var (since, rate) = (leakStart, leakBytesPerHour)
            for change in leakRateChanges where change.time > leakStart && change.time < t {
                value += rate * (change.time - since) / 3600
                (since, rate) = (change.time, change.bytesPerHour)
            }
            value += rate * (t - since) / 3600
        }
        return value
    }

    /// First time the top of the sawtooth (floor + amplitude + `fileBytes`) reaches `limit`,
    /// searched at tick resolution; nil if not within `duration`. Noise and bursts are left out.
    public func crashTime(limit: Double) -> Double? {
        var t = 0.0
        while t <= duration {
            if floor(at: t) + sawtoothAmplitude + fileBytes >= limit { return t }
            t += tick
        }
        return nil
    }

    public func samples() -> [TrendSample] {
        var rng = SplitMix64(seed: seed)
        var out: [TrendSample] = []
        out.reserveCapacity(Int(duration / tick) + 1)
        var bursts: [(end: Double, bytes: Double)] = []
        var wander = 0.0
        let burstChance = burstsPerHour * tick / 3600
        var t = 0.0
        while t <= duration {
            var anon = floor(at: t)
            if sawtoothAmplitude > 0 {
                let phase = (t + Double(seed % 97) * 7).truncatingRemainder(dividingBy: sawtoothPeriod) / sawtoothPeriod
                anon += sawtoothAmplitude * phase
            }
            if burstChance > 0 {
                if rng.nextUnit() < burstChance {
                    let hold = burstHold * (0.1 + 0.9 * rng.nextUnit())
                    bursts.append((t + hold, burstMaxBytes * (0.1 + 0.9 * rng.nextUnit())))
                }
                bursts.removeAll { $0.end < t }
                anon += bursts.reduce(0) { $0 + $1.bytes }
            }
            if wanderBytes > 0 {
                let a = exp(-tick / wanderTau)
                wander = a * wander + wanderBytes * (1 - a * a).squareRoot() * rng.nextGaussian()
                anon += wander
            }
            anon += noiseBytes * rng.nextGaussian()
            anon = max(anon, 1)
            out.append(TrendSample(time: t, anonBytes: anon, rssBytes: anon + fileBytes))
            t += tick
        }
        return out
    }
}

/// SplitMix64: a tiny deterministic generator, so traces (and the tests that draw random input)
/// are the same on every run.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Standard normal (Box–Muller).
    mutating func nextGaussian() -> Double {
        let u1 = max(nextUnit(), 1e-300)
        let u2 = nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
