#!/usr/bin/env bash
# Training speed, one JSON line per figure: grao's full fine-tuning and LoRA r16 (all linear layers) steps on
# 8 x 256 tokens (forward + backward + AdamW) and a no-grad scoring pass on 8 x 192 tokens, then PyTorch's on the
# same machine in the same run (tools/bench/torch_train_bench.py, perf-anchors §5's method) when a Python with
# torch, transformers, gguf and peft exists, then the ratios. Builds grao in release mode.
#
#   PYTHON       Python with torch (default tools/fixtures/.venv/bin/python, made by tools/fixtures/make-venv.sh)
#   MODEL        model file (default models/SmolLM2-135M-Instruct.Q4_1.gguf)
#   THREADS      threads for both (default 2)
#   REPETITIONS  timed repetitions per figure after one warm-up, median reported (default 3)
#   FIGURES      subset of score,lora,full (default all)
#   BUILD_PATH   SwiftPM build directory for grao (default .build; another one keeps a test build's
#                -enable-testing products from being rebuilt)
#
# Run on a quiet machine (check `uptime`): the figures are wall-clock rates.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
THREADS=${THREADS:-2}
REPETITIONS=${REPETITIONS:-3}
FIGURES=${FIGURES:-score,lora,full}
PYTHON=${PYTHON:-tools/fixtures/.venv/bin/python}
BUILD_PATH=${BUILD_PATH:-.build}

swift build -c release --product grao --build-path "$BUILD_PATH" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "bench-train: load before: $(uptime)" >&2
"$BUILD_PATH/release/grao" bench-train --model "$MODEL" --threads "$THREADS" --repetitions "$REPETITIONS" --figures "$FIGURES" \
    | tee "$tmp/grao.jsonl"

if [ -n "$PYTHON" ] && "$PYTHON" -c "import torch, transformers, gguf, peft" 2>/dev/null; then
    echo "bench-train: load before PyTorch: $(uptime)" >&2
    OMP_NUM_THREADS=$THREADS "$PYTHON" tools/bench/torch_train_bench.py "$MODEL" --threads "$THREADS" \
        --reps "$REPETITIONS" --figures "$FIGURES" | tee "$tmp/torch.jsonl"
    python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
rows = lambda f: {r["figure"]: r for r in map(json.loads, open(f"{tmp}/{f}"))}
grao, torch = rows("grao.jsonl"), rows("torch.jsonl")
for figure in ["train_full", "train_lora", "score_nograd"]:
    if figure in grao and figure in torch:
        g, t = grao[figure], torch[figure]
        print(json.dumps({"figure": figure + "_ratio", "grao_tokens_per_s": g["tokens_per_s"],
                          "pytorch_tokens_per_s": t["tokens_per_s"], "ratio": g["tokens_per_s"] / t["tokens_per_s"],
                          "target": 1.2, "grao_fraction_of_gemm_peak": g.get("fraction_of_gemm_peak")}))
PY
else
    echo "bench-train: no Python with torch, transformers, gguf and peft: PyTorch anchor skipped" >&2
fi
