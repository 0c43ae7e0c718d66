import HeapwatchTrend

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--resume-cost`: what a restarted heapwatchd spends replaying a process's recorded samples into
/// its trend (`TrendTracker.resume`, 2 h of 5 s samples, the most it replays) before its first
/// tick, on three shapes; the median of 21 replays each.
enum ResumeCost {
    static func run() {
        let mib = SyntheticTrace.mib
        var flat = SyntheticTrace(duration: 7200)
        flat.noiseBytes = 4 * mib
        var leak = SyntheticTrace(duration: 7200)
        (leak.leakBytesPerHour, leak.noiseBytes, leak.sawtoothAmplitude) = (30 * mib, 4 * mib, 30 * mib)
        var saw = SyntheticTrace(duration: 7200)
        (saw.sawtoothAmplitude, saw.sawtoothPeriod, saw.noiseBytes) = (100 * mib, 300, 2 * mib)
        print("resume cost: 2 h of 5 s samples replayed into a fresh tracker (median of 21)")
        print("shape                         samples  per process  per 100 processes  state")
        for (name, trace) in [("flat σ4M", flat), ("leak 30M/h σ4M saw30M/60s", leak), ("100 MiB sawtooth, 5 min", saw)] {
            let recorded = trace.samples().map { RecordedTrendSample($0) }
            var times: [Double] = []
            var state = TrendState.warmingUp
            for _ in 0..<21 {
                var tracker = TrendTracker(policy: TrendPolicy())
                let start = seconds()
                state = tracker.resume(from: recorded, limits: .none).state
                times.append(seconds() - start)
            }
            let median = times.sorted()[times.count / 2]
            let columns: [(String, Int)] = [
                (name, 30), ("\(recorded.count)", 9), ("\(format(median * 1000)) ms", 13),
                ("\(format(median * 100)) s", 19), (state.rawValue, 0),
            ]
            print(columns.map { text, width in width == 0 ? text : text + String(repeating: " ", count: max(1, width - text.count)) }.joined())
        }
    }

    private static func seconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    private static func format(_ value: Double) -> String {
        let tenths = (value * 10).rounded() / 10
        return "\(tenths)"
    }
}
