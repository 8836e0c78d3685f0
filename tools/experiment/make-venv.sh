#!/usr/bin/env bash
# Creates tools/experiment/.venv with the plotting libraries report.py needs (matplotlib, numpy).
# Idempotent: re-running only installs what is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/pip" install --quiet -r "$here/requirements.txt"
"$venv/bin/python" -c 'import matplotlib, numpy; print("venv ready: matplotlib", matplotlib.__version__, "numpy", numpy.__version__)'
