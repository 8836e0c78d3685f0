#!/usr/bin/env bash
# Creates examples/api/.venv with `requests`, for remote_grao.py. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -x "$here/.venv/bin/python" ]; then "${PYTHON:-python3}" -m venv "$here/.venv"; fi
"$here/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
echo "$here/.venv/bin/python"
