#!/usr/bin/env bash
# HTTP API benchmark (one JSON line per figure, one process, one model load): POST /v1/generate and POST /v1/groups
# (generate + score with a built-in rule + advantages) for 4 prompts x G=8, each against the same groups generated
# directly on the engine in the same process and run (API overhead, target < 5%), and /healthz requests/s and p99
# (wrk, c=64) with the engine idle, while it decodes continuously, and while a real training run started over
# POST /v1/runs takes its steps. Each figure carries the 1-minute load average.
# Usage: scripts/bench-api.sh [extra grao bench-api options, e.g. --max-tokens 48 --repetitions 5]
#   BUILD_PATH  SwiftPM build directory (default .build; another one keeps a test build's -enable-testing flags
#               from forcing full rebuilds back and forth)
# Run on a quiet machine (check `uptime`): the figures are wall-clock times and rates.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_PATH=${BUILD_PATH:-.build}
scripts/install-deps.sh wrk >&2
swift build -c release --product grao --build-path "$BUILD_PATH" >&2
echo "bench-api: load before: $(uptime)" >&2
"$BUILD_PATH/release/grao" bench-api "$@"
echo "bench-api: load after: $(uptime)" >&2
