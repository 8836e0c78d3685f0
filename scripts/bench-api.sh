#!/usr/bin/env bash
# HTTP API benchmark (one JSON line per figure): POST /v1/generate for 4 prompts x G=8 against the same groups
# generated directly on the engine in the same process and run (API overhead, target < 5%), and /healthz
# requests/s (wrk) with the engine idle and while it decodes continuously. Each figure carries the 1-minute load
# average. Usage: scripts/bench-api.sh [extra grao bench-api options, e.g. --max-tokens 32 --repetitions 3]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh wrk >&2
swift build -c release --product grao >&2
exec .build/release/grao bench-api "$@"
