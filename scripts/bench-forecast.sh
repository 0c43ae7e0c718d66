#!/usr/bin/env bash
# Benchmark of the crash forecast on real crashes (issue 3), not run in CI: two copies of
# examples/leaky-app.js with a small V8 heap (--max-old-space-size) leak until node dies with
# "Reached heap limit"; heapwatchd watches both, one with heap_source (heapUsed forecast to the
# heap limit) and one without heap figures (no forecast to the heap limit is possible: the one
# shown is about the host's memory). Every 10 s the forecast is recorded; once a process is dead,
# each forecast is compared with the time it really had left.
#
#   scripts/bench-forecast.sh            (about 10 minutes)
#
# Environment: HEAP_MIB (--max-old-space-size, default 256), RATE (simulated requests per second,
# default 100), WINDOW (the targets' window, default 2m), KEEP=1 keeps the scratch directory.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
heap_mib=${HEAP_MIB:-256}
rate=${RATE:-100}
window=${WINDOW:-2m}
scratch=$(mktemp -d /tmp/heapwatch-bench-forecast.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "${KEEP:-0}" != 1 ]; then rm -rf "$scratch"; else echo "kept $scratch" >&2; fi
}
trap cleanup EXIT

echo "building heapwatchd and heapwatchctl…" >&2
swift build --package-path "$repo" --product heapwatchd >&2
swift build --package-path "$repo" --product heapwatchctl >&2
bin=$(swift build --package-path "$repo" --show-bin-path)

# start_app NAME: a leaky app tagged NAME; prints its pid and port.
start_app() {
    (cd "$scratch" && PORT=0 REQUESTS_PER_SEC="$rate" exec node --max-old-space-size="$heap_mib" \
        "$repo/examples/leaky-app.js" "hwbench-$1-$$" >"$scratch/$1.log" 2>&1) &
    local pid=$!
    for _ in $(seq 100); do
        if grep -q "^listening on " "$scratch/$1.log" 2>/dev/null; then break; fi
        sleep 0.1
    done
    echo "$pid $(sed -n 's/^listening on \([0-9]*\).*/\1/p' "$scratch/$1.log")"
}
read -r anon_pid _ < <(start_app anon)
read -r heap_pid heap_port < <(start_app heap)
pids+=("$anon_pid" "$heap_pid")

cat >"$scratch/heapwatch.toml" <<EOF
[daemon]
interval = "1s"
[[target]]
name = "anon-floor"
command = "hwbench-anon-$$"
capture = "none"
window = "$window"
growth_max = "5MiB/h"
[[target]]
name = "heap-source"
command = "hwbench-heap-$$"
capture = "none"
window = "$window"
growth_max = "5MiB/h"
heap_source = "http://127.0.0.1:$heap_port/memory"
EOF
"$bin/heapwatchd" --config "$scratch/heapwatch.toml" --state-dir "$scratch/state" --socket "$scratch/control.sock" \
    >"$scratch/heapwatchd.log" 2>&1 &
pids+=("$!")
start=$(date +%s.%N)
echo "watching pids $anon_pid (no heap figures) and $heap_pid (heap_source), --max-old-space-size=$heap_mib, $rate requests/s" >&2

# Every 10 s: one status line per target. Every second: is each app still alive?
declare -A died=()
next=0
while [ ${#died[@]} -lt 2 ]; do
    now=$(date +%s.%N)
    for app in anon heap; do
        pid_var=${app}_pid
        if [ -z "${died[$app]:-}" ] && ! kill -0 "${!pid_var}" 2>/dev/null; then died[$app]=$now; fi
    done
    if awk -v n="$now" -v s="$start" -v k="$next" 'BEGIN { exit !(n - s >= k) }'; then
        if "$bin/heapwatchctl" --socket "$scratch/control.sock" --json status >"$scratch/status.json" 2>/dev/null; then
            echo "$now $(tr -d '\n' <"$scratch/status.json")" >>"$scratch/forecasts"
        fi
        next=$((next + 10))
    fi
    if awk -v n="$now" -v s="$start" 'BEGIN { exit !(n - s > 3600) }'; then echo "no crash within an hour" >&2; exit 1; fi
    sleep 1
done

for app in anon heap; do
    grep -qE "heap limit|heap out of memory" "$scratch/$app.log" || echo "warning: the $app app did not die of its heap limit" >&2
done
node - "$scratch/forecasts" "$start" "${died[anon]}" "${died[heap]}" "$heap_mib" "$rate" <<'EOF'
const fs = require('node:fs');
const [file, start, anonDied, heapDied, heapMiB, rate] = process.argv.slice(2);
const died = { 'anon-floor': Number(anonDied), 'heap-source': Number(heapDied) };
const rows = { 'anon-floor': [], 'heap-source': [] };
for (const line of fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
  const space = line.indexOf(' ');
  const time = Number(line.slice(0, space));
  for (const t of JSON.parse(line.slice(space + 1)).targets) {
    if (!(t.name in rows) || time >= died[t.name]) continue;
    rows[t.name].push({ at: time - Number(start), left: died[t.name] - time, state: t.state, eta: t.eta_seconds,
                        limit: t.eta_limit, limitBytes: t.eta_limit_bytes });
  }
}
const fmt = (s) => s == null ? '-' : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
console.log(`--max-old-space-size=${heapMiB}, ${rate} simulated requests/s; the true time left is until node died`);
for (const [name, list] of Object.entries(rows)) {
  console.log(`\n${name}: died ${fmt(died[name] - Number(start))} after the start`);
  console.log('| since start | state | forecast | limit | true time left | error |');
  console.log('|---|---|---|---|---|---|');
  for (const r of list) {
    const error = r.eta == null ? '-' : `${r.eta >= r.left ? '+' : ''}${Math.round((r.eta - r.left) / r.left * 100)}%`;
    const limit = r.limit ? `${r.limit} ${Math.round(r.limitBytes / 1048576)}MiB` : '-';
    console.log(`| ${fmt(r.at)} | ${r.state} | ${fmt(r.eta)} | ${limit} | ${fmt(r.left)} | ${error} |`);
  }
  const leaking = list.filter((r) => r.state === 'leaking' && r.eta != null);
  const within = leaking.filter((r) => Math.abs(r.eta - r.left) <= 0.2 * r.left).length;
  const first = leaking[0];
  console.log(`${name}: within ±20 % on ${within} of ${leaking.length} leaking forecasts`
    + (first ? `; the first, ${fmt(first.at)} after the start: ${fmt(first.eta)} for ${fmt(first.left)}` : ''));
}
EOF
