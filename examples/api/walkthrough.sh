#!/usr/bin/env bash
# A curl walkthrough of grao's stateful API: register a reward, score, make groups, take a GRAO step on them,
# save a checkpoint and load it back. Needs a running server (`grao serve`) and curl + python3 (for reading
# JSON). GRAO_URL picks the server (default http://127.0.0.1:8080); GRAO_API_KEY is sent as a bearer token.
set -euo pipefail
base="${GRAO_URL:-http://127.0.0.1:8080}"
auth=()
if [ -n "${GRAO_API_KEY:-}" ]; then auth=(-H "Authorization: Bearer $GRAO_API_KEY"); fi

call() {  # call METHOD PATH [JSON]: prints the body, fails on an HTTP error with the server's message
    local method="$1" path="$2" body="${3:-}" out status
    out="$(mktemp)"
    if [ -n "$body" ]; then
        status="$(curl -sS -o "$out" -w '%{http_code}' -X "$method" "${auth[@]}" -H 'Content-Type: application/json' -d "$body" "$base$path")"
    else
        status="$(curl -sS -o "$out" -w '%{http_code}' -X "$method" "${auth[@]}" "$base$path")"
    fi
    cat "$out"
    rm -f "$out"
    echo
    if [ "$status" -ge 400 ]; then echo "HTTP $status from $method $path" >&2; return 1; fi
}
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

echo "== ready?"
call GET /readyz

echo "== register a reward: the final number must match the reference"
call DELETE /v1/rewards/arith >/dev/null 2>&1 || true
call POST /v1/rewards '{"name": "arith", "spec": {"type": "numeric_match"}}'

echo "== score two answers with it"
call POST /v1/score '{"reward": "arith", "items": [
    {"prompt": "What is 2 + 3?", "completion": "It is 5.", "reference": "5"},
    {"prompt": "What is 2 + 3?", "completion": "Six.", "reference": "5"}]}' | field 'd["results"]'

echo "== groups: 4 samples per prompt, scored, with advantages (kept server-side)"
groups="$(call POST /v1/groups '{"reward": "arith", "group_size": 4, "max_tokens": 16, "seed": 1, "prompts": [
    {"prompt": "What is 12 + 7? Reply with the number only.", "reference": "19"},
    {"prompt": "What is 9 - 4? Reply with the number only.", "reference": "5"}]}')"
echo "$groups" | field '"\n".join("%s: rewards %s, advantages %s" % (g["id"], [s.get("score") for s in g["samples"]], [round(s["advantage"], 2) if s["advantage"] is not None else None for s in g["samples"]]) for g in d["groups"])'
ids="$(echo "$groups" | field 'json.dumps([g["id"] for g in d["groups"]])')"

echo "== one GRAO step on those groups (the first step creates a LoRA trainer)"
call POST /v1/train/step "{\"algorithm\": {\"name\": \"grao\", \"beta\": 0.5, \"lambda\": 0.6}, \"group_ids\": $ids,
    \"trainer\": {\"mode\": \"lora\", \"lora_rank\": 8, \"learning_rate\": 1e-4}}" \
    | field '"step %d: loss %.4f, terms %s, grad norm %.3f, reward mean %s" % (d["step"], d["loss"], {k: round(v, 4) for k, v in d["terms"].items()}, d["grad_norm"], d["rollout"].get("reward_mean"))'

echo "== save a checkpoint, list, load it back"
call POST /v1/checkpoints '{"name": "walkthrough", "overwrite": true}' | field '"saved %s: %s, step %d, %d bytes" % (d["name"], d["kind"], d["step"], d["bytes"])'
call GET /v1/checkpoints | field '[c["name"] for c in d["checkpoints"]]'
call POST /v1/checkpoints/walkthrough/load
call GET /v1/model | field '"model at step %d, checkpoint %s" % (d["step"], d["checkpoint"])'
