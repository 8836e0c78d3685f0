#!/usr/bin/env bash
# Model-judge throughput on the real model: ITEMS items (default 32) scored in one batch by `grao score --items`
# with a `model_judge` spec, in the paper's order and with both_orders. The judge is bound by running its prompts
# through the model, so the anchor, measured in the same run, is grao's own prefill speed on a prompt of the
# same length (`grao bench`): bound = prefill tokens/s / model tokens per item. One JSON line per figure, each
# with the 1-minute load average (above ~0.5, other processes shared the 2 cores).
#
#   ITEMS     items to score (default 32)
#   MODEL     model file (default models/SmolLM2-135M-Instruct.Q4_1.gguf)
#   GRAO_BIN  an already built release grao to use instead of building one
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${ITEMS:-32}
MODEL=${MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
if [ -z "${GRAO_BIN:-}" ]; then
    swift build -c release --product grao >&2
    GRAO_BIN="$(swift build -c release --show-bin-path)/grao"
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "bench-model-judge: load before: $(uptime)" >&2

# Arithmetic items whose candidate is never equal to the reference, so every item reaches the model.
python3 - "$ITEMS" > "$WORK/items.jsonl" <<'PY'
import json, sys
for i in range(int(sys.argv[1])):
    a, b = 3 + i, 17 + 2 * i
    wrong = i % 2 == 0
    print(json.dumps({"prompt": f"What is {a} + {b}? Reply with the number only.",
                      "completion": str(a + b + (1 if wrong else 0)) + ("" if wrong else "."),
                      "reference": str(a + b)}))
PY

for both in false true; do
    "$GRAO_BIN" score --model "$MODEL" --reward "{\"type\": \"model_judge\", \"both_orders\": $both}" \
        --items "$WORK/items.jsonl" --summary > "$WORK/judge-$both.json"
done
"$GRAO_BIN" bench --model "$MODEL" --prefill-tokens 128 --group 1 --new-tokens 1 --repetitions 5 > "$WORK/bench.jsonl"

python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
prefill = next(r for r in map(json.loads, open(f"{work}/bench.jsonl")) if r["figure"] == "prefill")
load = open("/proc/loadavg").read().split()[0]
def emit(d):
    d["load_average_1m"] = float(load)
    print(json.dumps(d, sort_keys=True))
emit({"figure": "grao_prefill_128", "tokens_per_s": prefill["tokens_per_s"],
      "load_average_1m_at_bench": prefill["load_average_1m"]})
for both in ("false", "true"):
    s = json.load(open(f"{work}/judge-{both}.json"))
    tokens_per_item = s["model_tokens"] / s["items"]
    bound = prefill["tokens_per_s"] / tokens_per_item
    emit({"figure": "model_judge" + ("_both_orders" if both == "true" else ""), "items": s["items"],
          "failed": s["failed"], "seconds": s["seconds"], "items_per_s": s["items_per_s"],
          "model_tokens_per_item": tokens_per_item, "model_tokens_per_s": s["model_tokens"] / s["seconds"],
          "bound_items_per_s": bound, "fraction_of_bound": s["items_per_s"] / bound})
PY
