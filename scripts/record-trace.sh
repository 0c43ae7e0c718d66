#!/usr/bin/env bash
# Record a memory trace of one process at 1 s: time_s,rss_bytes,anon_bytes (from /proc/PID/status).
#
#   scripts/record-trace.sh PID SECONDS OUT.csv
#   scripts/record-trace.sh --run SECONDS OUT.csv -- COMMAND [ARGS...]   (starts, records, stops it)
#
# The time column is seconds since recording started. Rows stop early if the process exits.
set -euo pipefail

usage() { sed -n '2,7p' "$0" >&2; exit 2; }

started=""
if [[ "${1:-}" == "--run" ]]; then
  [[ $# -ge 5 && "$4" == "--" ]] || usage
  seconds=$2; out=$3; shift 4
  "$@" >/dev/null 2>&1 &
  pid=$!
  started=$pid
  trap '[[ -n "$started" ]] && kill "$started" 2>/dev/null || true' EXIT
else
  [[ $# -eq 3 ]] || usage
  pid=$1; seconds=$2; out=$3
fi

read_kib() { # FIELD -> value in KiB, empty if the process is gone
  awk -v f="$1:" '$1 == f { print $2; exit }' "/proc/$pid/status" 2>/dev/null || true
}

echo "time_s,rss_bytes,anon_bytes" > "$out"
start=$(date +%s.%N)
for ((i = 0; i < seconds; i++)); do
  rss=$(read_kib VmRSS); anon=$(read_kib RssAnon)
  [[ -n "$rss" && -n "$anon" ]] || break
  now=$(date +%s.%N)
  printf '%.3f,%d,%d\n' "$(echo "$now - $start" | bc)" $((rss * 1024)) $((anon * 1024)) >> "$out"
  # Sleep to the next whole second after start, so ticks do not drift.
  next=$(echo "$start + $i + 1 - $(date +%s.%N)" | bc)
  if [[ "$next" != -* ]]; then sleep "$next"; fi
done
