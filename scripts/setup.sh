#!/usr/bin/env bash
# Everything a fresh Debian machine with Swift needs: apt packages and the model file.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/fetch-model.sh
