#!/usr/bin/env bash
# README command 1: set up, build in release mode, and serve on 127.0.0.1:8080.
# Extra arguments go to `grao serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product grao
exec .build/release/grao serve --host 127.0.0.1 --port 8080 "$@"
