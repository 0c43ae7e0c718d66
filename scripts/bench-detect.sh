#!/usr/bin/env bash
# Evaluation harness for the trend detector: synthetic corpus + recorded traces, side by side with
# a PM2-style threshold and node-memwatch's consecutive-increase rule. Not a CI test.
#   scripts/bench-detect.sh [--window SECONDS] [--case TEXT] [TRACES_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
exec swift run -c release heapwatch-bench-detect "$@"
