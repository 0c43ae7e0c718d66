#!/usr/bin/env bash
# Benchmark of the heap-snapshot analysis (issue 4), not run in CI: heapwatch (release build)
# against a Node.js baseline that loads snapshots like DevTools/memlab (JSON.parse + typed arrays),
# on the same files, in the same run. Prints a Markdown table.
#
#   scripts/bench-analyze.sh [SCRATCH_DIR]     (default /tmp/heapwatch-bench; removed afterwards)
#
# Environment: BIG_UNITS (requests in the big snapshot, default 330000 ≈ 450 MB),
# HUGE_UNITS (default 760000 ≈ 1 GB; 0 to skip), GROW_UNITS (per growth step, default 100000),
# KEEP=1 keeps the generated files.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
scratch=${1:-/tmp/heapwatch-bench}
big_units=${BIG_UNITS:-330000}
huge_units=${HUGE_UNITS:-760000}
grow_units=${GROW_UNITS:-100000}
node_heap=(--max-old-space-size=20000)

mkdir -p "$scratch"
cleanup() { if [ "${KEEP:-0}" != 1 ]; then rm -rf "$scratch"; fi; }
trap cleanup EXIT

echo "building heapwatch-bench-analyze (release)…" >&2
swift build -c release --product heapwatch-bench-analyze --package-path "$repo" >&2
bench="$(swift build -c release --show-bin-path --package-path "$repo")/heapwatch-bench-analyze"
baseline=(node "${node_heap[@]}" "$repo/scripts/bench-analyze-baseline.js")
gen=(node "${node_heap[@]}" "$repo/scripts/bench-analyze-gen.js")

echo "generating snapshots in $scratch…" >&2
"${gen[@]}" big "$scratch/big.heapsnapshot" "$big_units"
if [ "$huge_units" != 0 ]; then "${gen[@]}" big "$scratch/huge.heapsnapshot" "$huge_units"; fi
mkdir -p "$scratch/growing"
"${gen[@]}" growing "$scratch/growing" "$grow_units"
growing=("$scratch"/growing/round-{1,2,3}.heapsnapshot)

# run COMMAND...: prints "wall_seconds|peak_rss_kB|status|error|cpu_seconds" (wall seconds from the
# tool's own line; CPU = user + system of the whole process, from /usr/bin/time).
run() {
    local out time_file status=0
    time_file=$(mktemp)
    out=$(/usr/bin/time -f "%M %U %S" -o "$time_file" "$@" 2>/dev/null) || status=$?
    local rss user sys
    read -r rss user sys < <(tail -n 1 "$time_file")
    rm -f "$time_file"
    local seconds error cpu
    seconds=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$out")
    error=$(sed -n 's/.*error="\([^"]*\)".*/\1/p' <<<"$out")
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    echo "${seconds:-?}|${rss}|${status}|${error}|${cpu}"
}

mb() { echo $(( $(stat -c %s "$1") / 1000000 )); }
fmt_row() { # name file_mb tool result
    IFS='|' read -r seconds rss status error cpu <<<"$4"
    local rss_mb=$((rss / 1000)) ratio
    ratio=$(awk -v r="$rss_mb" -v f="$2" 'BEGIN { printf "%.2f", r / f }')
    if [ "$status" != 0 ]; then
        echo "| $1 | $2 MB | $3 | failed: ${error:-exit $status} | | | $rss_mb MB ($ratio×) |"
    else
        local rate
        rate=$(awk -v f="$2" -v s="$cpu" 'BEGIN { if (s > 0) printf "%.0f MB/s", f / s; else print "-" }')
        echo "| $1 | $2 MB | $3 | $(printf %.2f "$seconds") s | $cpu s | $rate | $rss_mb MB ($ratio×) |"
    fi
}

echo
echo "| measurement | file | tool | wall time | CPU time | MB per CPU-second | peak RSS (× file) |"
echo "|---|---|---|---|---|---|---|"
files=("$scratch/big.heapsnapshot")
[ -f "$scratch/huge.heapsnapshot" ] && files+=("$scratch/huge.heapsnapshot")
for file in "${files[@]}"; do
    size=$(mb "$file")
    for phase in parse analyze; do
        label=$([ "$phase" = parse ] && echo "parse" || echo "full analysis (dominators)")
        fmt_row "$label" "$size" heapwatch "$(run "$bench" "$phase" "$file")"
        fmt_row "$label" "$size" "node baseline" "$(run "${baseline[@]}" "$phase" "$file")"
    done
    # heapwatchctl analyze's default: the dominator tree on a second thread (heapwatchd's worker uses one).
    fmt_row "full analysis, 2 threads" "$size" heapwatch "$(HEAPWATCH_BENCH_PARALLELISM=2 run "$bench" analyze "$file")"
done
newest=${growing[2]}
size=$(mb "$newest")
total=$(( $(mb "${growing[0]}") + $(mb "${growing[1]}") + size ))
fmt_row "parse newest of 3" "$size" heapwatch "$(run "$bench" parse "$newest")"
fmt_row "analyze newest of 3" "$size" heapwatch "$(run "$bench" analyze "$newest")"
fmt_row "analyze newest of 3, 2 threads" "$size" heapwatch "$(HEAPWATCH_BENCH_PARALLELISM=2 run "$bench" analyze "$newest")"
fmt_row "diff 3 snapshots, all 3 files read" "$total" heapwatch "$(run "$bench" diff "${growing[@]}")"
fmt_row "diff 3 snapshots, all 3 files read" "$total" "node baseline" "$(run "${baseline[@]}" diff "${growing[@]}")"
# What heapwatchd does: each snapshot is analyzed once when it is stored and its summary kept; the
# diff reads only the newest file.
summaries=("$scratch/growing/round-1.summary" "$scratch/growing/round-2.summary")
"$bench" summarize "${growing[0]}" "${summaries[0]}" >/dev/null
"$bench" summarize "${growing[1]}" "${summaries[1]}" >/dev/null
fmt_row "diff 3 snapshots, newest file + 2 kept summaries" "$size" heapwatch "$(run "$bench" diff "${summaries[@]}" "$newest")"
fmt_row "the same on 1 thread, as heapwatchd's worker" "$size" heapwatch "$(HEAPWATCH_BENCH_PARALLELISM=1 run "$bench" diff "${summaries[@]}" "$newest")"
echo
echo "top finding on the growing snapshots: $("$bench" diff "${growing[@]}" | sed -n 's/.*top="\(.*\)"/\1/p')"
echo "cores: $(nproc); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); node $(node --version); $(swift --version 2>&1 | head -n 1)"
