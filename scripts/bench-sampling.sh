#!/usr/bin/env bash
# The daemon's own cost: heapwatchd (release) watching N idle Node processes for a while.
# Reports its RSS (VmRSS, VmHWM), CPU (% of one core), and the mean sampling tick from /metrics.
#   N=100 SECONDS_TO_RUN=60 INTERVAL=1s scripts/bench-sampling.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100}
RUN_FOR=${SECONDS_TO_RUN:-60}
INTERVAL=${INTERVAL:-1s}
BIN=$(swift build -c release --show-bin-path)
WORK=$(mktemp -d /tmp/heapwatch-bench-XXXXXX)
PORT=$((30000 + RANDOM % 5000))
pids=()
cleanup() {
  [ -n "${DAEMON:-}" ] && kill "$DAEMON" 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for i in $(seq 1 "$N"); do
  node -e 'setInterval(() => {}, 1000)' "hwbench-$$-$i" &
  pids+=($!)
done
cat > "$WORK/heapwatch.toml" <<TOML
[daemon]
interval = "$INTERVAL"
socket = "$WORK/control.sock"
state_dir = "$WORK/state"

[[target]]
name = "bench"
command = "hwbench-$$-"
capture = "none"

[metrics]
listen = "127.0.0.1:$PORT"
TOML
"$BIN/heapwatchd" --config "$WORK/heapwatch.toml" 2>"$WORK/daemon.log" &
DAEMON=$!
# Processes the daemon watches now (0 while its socket is not up yet).
watched_count() {
  "$BIN/heapwatchctl" --socket "$WORK/control.sock" status --json 2>/dev/null | grep -c '"pid" : [0-9]' || true
}
# Measure from when every node process is watched, not from an arbitrary pause after the start.
deadline=$(( $(date +%s) + 60 ))
until [ "$(watched_count)" -ge "$N" ]; do
  kill -0 "$DAEMON" 2>/dev/null || { echo "heapwatchd exited:" >&2; cat "$WORK/daemon.log" >&2; exit 1; }
  [ "$(date +%s)" -lt "$deadline" ] || { echo "heapwatchd watches $(watched_count) of $N processes after 60 s" >&2; exit 1; }
  sleep 0.5
done
ticks() { awk '{print $14 + $15}' "/proc/$DAEMON/stat"; }
start_ticks=$(ticks); start=$(date +%s.%N)
sleep "$RUN_FOR"
end_ticks=$(ticks); end=$(date +%s.%N)
hz=$(getconf CLK_TCK)
watched=$(watched_count)
cpu=$(echo "($end_ticks - $start_ticks) / $hz / ($end - $start) * 100" | bc -l)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$DAEMON/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$DAEMON/status")
metrics=$(curl -s "127.0.0.1:$PORT/metrics")
sum=$(echo "$metrics" | awk '/^heapwatch_sample_duration_seconds_sum/ {print $2}')
count=$(echo "$metrics" | awk '/^heapwatch_sample_duration_seconds_count/ {print $2}')
printf 'watched processes      %s (of %s started)\n' "$watched" "$N"
printf 'interval               %s, measured over %ss\n' "$INTERVAL" "$RUN_FOR"
printf 'daemon RSS             %.1f MiB (peak %.1f MiB)\n' "$(echo "$rss/1024" | bc -l)" "$(echo "$hwm/1024" | bc -l)"
printf 'daemon CPU             %.2f %% of one core\n' "$cpu"
printf 'mean sampling tick     %.2f ms over %s ticks\n' "$(echo "$sum / $count * 1000" | bc -l)" "$count"
