#!/usr/bin/env bash
# README command 2: the whole test suite. Set-up first (apt packages, the model), then every
# Swift test in release mode: the model tests do real numerics, which debug builds run 10-100x slower.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release -Xswiftc -enable-testing --build-tests
swift test -c release -Xswiftc -enable-testing --skip-build
