#!/usr/bin/env bash
# The HTTP API's contract, checked against a live `grao serve` on the real model: openapi.yaml is valid OpenAPI
# 3.1 (openapi-spec-validator); the OpenAI routes work with the real `openai` client; schemathesis sends
# property-based requests to every operation and checks each answer against the spec (no 5xx, documented
# status codes, content types and response schemas; schema-invalid bodies refused). The server runs with small
# generation limits so the run stays around a minute or two on 2 cores.
# Usage: tools/api-contract/check.sh [path/to/grao] (default .build/release/grao; build it first).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/tools/api-contract"
grao="${1:-$root/.build/release/grao}"
model="${GRAO_MODEL:-$root/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
examples="${SCHEMATHESIS_MAX_EXAMPLES:-10}"

"$here/make-venv.sh"
venv="$here/.venv"
"$venv/bin/python" -m openapi_spec_validator "$root/openapi.yaml"

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
"$venv/bin/python" -c 'import secrets; print(secrets.token_hex(24))' > "$work/key"
key="$(cat "$work/key")"
port="$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$grao" serve --host 127.0.0.1 --port "$port" --model "$model" --data "$work/data" --api-key-file "$work/key" \
    --max-new-tokens 8 --max-group-size 4 --max-prompt-tokens 256 --log-level warning 2> "$work/server.log" &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 240); do
    if curl -fs "$base/readyz" > /dev/null 2>&1; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work/server.log" >&2; echo "check.sh: grao serve exited" >&2; exit 1; fi
    sleep 0.5
done
curl -fs "$base/readyz" > /dev/null || { cat "$work/server.log" >&2; echo "check.sh: the model did not load in 120 s" >&2; exit 1; }

"$venv/bin/python" "$here/openai_client_check.py" "$base" "$key"

# From the scratch directory: schemathesis keeps a cache (.schemathesis/) in its working directory.
(cd "$work" && "$venv/bin/schemathesis" run "$root/openapi.yaml" --url "$base" -H "Authorization: Bearer $key" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection \
    --max-examples "$examples" --phases examples,coverage,fuzzing --workers 1 --request-timeout 60 \
    --suppress-health-check too_slow,filter_too_much --seed 1)
if grep -E "critical|handler failed" "$work/server.log" >&2; then
    echo "check.sh: the server logged failures during the contract run" >&2
    exit 1
fi
echo "check.sh: contract ok"
