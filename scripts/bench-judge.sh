#!/usr/bin/env bash
# Remote-judge throughput: 1,000 items scored by `grao score --items` against the example judge answering after
# 50 ms, with 32 calls in flight (one item per call). The bound is 32 / 0.05 s = 640 items/s; the target is at
# least 90% of it. Prints one JSON line per figure: items/s, fraction of the bound, client CPU seconds per call
# (getrusage of the grao process over the scoring only), and the same calls made by the curl CLI as the anchor.
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${ITEMS:-1000}
CONCURRENCY=${CONCURRENCY:-32}
DELAY_MS=${DELAY_MS:-50}

swift build -c release --product grao >&2
BIN="$(swift build -c release --show-bin-path)/grao"

WORK=$(mktemp -d)
JUDGE_PID=""
cleanup() {
    if [ -n "$JUDGE_PID" ]; then kill "$JUDGE_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

python3 examples/judges/judge_server.py --port 0 --delay-ms "$DELAY_MS" > "$WORK/judge.out" &
JUDGE_PID=$!
for _ in $(seq 100); do
    if [ -s "$WORK/judge.out" ]; then break; fi
    sleep 0.05
done
PORT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$WORK/judge.out")

# Distinct completions (numbers, so the judge scores them) and no cache: every item is a real call.
python3 - "$ITEMS" > "$WORK/items.jsonl" <<'PY'
import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"prompt": f"item {i}: ", "completion": f"{(i % 100) / 100}"}))
PY
SPEC="{\"type\": \"score_model\", \"protocol\": \"grao\", \"url\": \"http://127.0.0.1:$PORT/grao\", \"batch_size\": 1,
       \"max_concurrency\": $CONCURRENCY, \"cache_size\": 0, \"range\": [0, 1]}"

"$BIN" score --reward "$SPEC" --items "$WORK/items.jsonl" --summary > "$WORK/summary.json"
curl -s "http://127.0.0.1:$PORT/stats" > "$WORK/stats.json"

# Anchor, same judge, same moment: the curl command-line tool making the same number of calls with the same
# parallelism (-Z). It shows what this judge delivers on this machine now, whatever the load from other work.
ANCHOR_START=$(date +%s.%N)
curl -s -Z --parallel-max "$CONCURRENCY" --parallel-immediate -X POST -H 'Content-Type: application/json' \
    -d '{"items": [{"id": "0", "prompt": "p", "completion": "0.5"}]}' \
    "http://127.0.0.1:$PORT/grao?[1-$ITEMS]" > /dev/null
ANCHOR_END=$(date +%s.%N)
echo "{\"seconds\": $(python3 -c "print($ANCHOR_END - $ANCHOR_START)")}" > "$WORK/anchor.json"

python3 - "$WORK/summary.json" "$WORK/stats.json" "$CONCURRENCY" "$DELAY_MS" "$WORK/anchor.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
stats = json.load(open(sys.argv[2]))
concurrency, delay_ms = int(sys.argv[3]), float(sys.argv[4])
anchor_rate = s["items"] / json.load(open(sys.argv[5]))["seconds"]
bound = concurrency / (delay_ms / 1000)
calls = max(1, int(s.get("calls", s["items"])))
common = {"items": s["items"], "failed": s["failed"], "concurrency": concurrency, "judge_delay_ms": delay_ms}
print(json.dumps({"figure": "judge_items_per_s", "value": round(s["items_per_s"], 1), "unit": "items/s", **common}))
print(json.dumps({"figure": "anchor_curl_cli_items_per_s", "value": round(anchor_rate, 1), "unit": "items/s",
                  "ratio_grao_to_anchor": round(s["items_per_s"] / anchor_rate, 3)}))
print(json.dumps({"figure": "judge_fraction_of_bound", "value": round(s["items_per_s"] / bound, 3),
                  "bound_items_per_s": bound, "target": 0.9, "server_max_in_flight": stats["max_in_flight"], "server_connections": stats["connections"]}))
cpu = s["cpu_user_s"] + s["cpu_system_s"]
print(json.dumps({"figure": "judge_client_cpu_s_per_call", "value": round(cpu / calls, 6), "unit": "s",
                  "cpu_user_s": round(s["cpu_user_s"], 3), "cpu_system_s": round(s["cpu_system_s"], 3),
                  "calls": calls}))
PY
