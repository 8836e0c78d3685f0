#!/usr/bin/env bash
# Creates tools/api-contract/.venv with what the HTTP API's contract checks use: openapi-spec-validator
# (the spec is valid OpenAPI 3.1), schemathesis (property-based requests against a live server, every
# response checked against the spec) and the openai client (the OpenAI-compatible routes work with it
# unchanged). Idempotent: re-running only installs what is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
"$venv/bin/python" -c 'import openapi_spec_validator, schemathesis, openai, requests' 
