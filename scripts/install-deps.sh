#!/usr/bin/env bash
# Installs the Debian packages grao needs to build and test, only those missing.
# Usage: scripts/install-deps.sh [extra-package ...]   (benchmarks pass nginx, wrk, ...)
set -euo pipefail

packages=(libopenblas-dev libcurl4-openssl-dev pkg-config python3 python3-pip python3-venv "$@")
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
