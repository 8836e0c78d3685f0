#!/usr/bin/env bash
# Model speed, one JSON line per figure: grao's prefill, group generation and single-sequence
# decode, then llama.cpp's on the same machine in the same run (when its binaries and an F32 copy
# of the model exist), on the F32 copy and on the Q4_1 file grao loads, then the ratios against both.
# Builds grao in release mode; never builds llama.cpp.
#
#   LLAMA_CPP_BIN   directory with llama-batched-bench and llama-bench (default /work/anchors/build/bin)
#   LLAMA_F32_MODEL F32 GGUF for llama.cpp (default /work/anchors/SmolLM2-135M-Instruct.F32.gguf)
#   MODEL           grao's model file (default models/SmolLM2-135M-Instruct.Q4_1.gguf; grao computes in f32,
#                   decode reading the file's Q4_1/Q8_0 blocks), also llama.cpp's Q4_1 anchor
#   THREADS         threads for both (default 2)
#   REPETITIONS     repetitions per grao figure, median reported (default 3)
#   BUILD_PATH      SwiftPM build directory for grao (default .build; another one keeps a test build's
#                   flags, e.g. -enable-testing, from forcing full rebuilds back and forth)
#
# Run on a quiet machine (check `uptime`): the figures are wall-clock rates.
set -euo pipefail
cd "$(dirname "$0")/.."
LLAMA_CPP_BIN=${LLAMA_CPP_BIN:-/work/anchors/build/bin}
LLAMA_F32_MODEL=${LLAMA_F32_MODEL:-/work/anchors/SmolLM2-135M-Instruct.F32.gguf}
MODEL=${MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
THREADS=${THREADS:-2}
REPETITIONS=${REPETITIONS:-3}
BUILD_PATH=${BUILD_PATH:-.build}

swift build -c release --product grao --build-path "$BUILD_PATH" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "bench-model: load before: $(uptime)" >&2

"$BUILD_PATH/release/grao" bench --model "$MODEL" --threads "$THREADS" --repetitions "$REPETITIONS" | tee "$tmp/grao.jsonl"

if [ -x "$LLAMA_CPP_BIN/llama-batched-bench" ] && [ -x "$LLAMA_CPP_BIN/llama-bench" ] && [ -f "$LLAMA_F32_MODEL" ]; then
    # G = 8 sequences sharing a 64-token prompt (-pps), 128 new tokens each.
    "$LLAMA_CPP_BIN/llama-batched-bench" -m "$LLAMA_F32_MODEL" -c 2048 -b 2048 -ub 512 -npp 64 -ntg 128 -npl 8 \
        -pps -t "$THREADS" > "$tmp/batched.txt" 2>&1
    "$LLAMA_CPP_BIN/llama-bench" -m "$LLAMA_F32_MODEL" -p 512 -n 0 -t "$THREADS" -o json > "$tmp/pp.json" 2> /dev/null
    "$LLAMA_CPP_BIN/llama-bench" -m "$LLAMA_F32_MODEL" -p 0 -n 128 -t "$THREADS" -o json > "$tmp/tg.json" 2> /dev/null
    "$LLAMA_CPP_BIN/llama-batched-bench" -m "$MODEL" -c 2048 -b 2048 -ub 512 -npp 64 -ntg 128 -npl 8 \
        -pps -t "$THREADS" > "$tmp/batched_q4.txt" 2>&1
    "$LLAMA_CPP_BIN/llama-bench" -m "$MODEL" -p 0 -n 128 -t "$THREADS" -o json > "$tmp/tg_q4.json" 2> /dev/null
    python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
grao = {}
for line in open(f"{tmp}/grao.jsonl"):
    row = json.loads(line)
    grao[row["figure"]] = row
def batched(name):
    # batched-bench table row: | PP | TG | B | N_KV | T_PP s | S_PP t/s | T_TG s | S_TG t/s | T s | S t/s |
    rows = [l for l in open(f"{tmp}/{name}") if l.startswith("|") and l.split("|")[1].strip().isdigit()]
    if not rows:
        sys.exit("bench-model: could not parse llama-batched-bench output:\n" + open(f"{tmp}/{name}").read())
    cells = [c.strip() for c in rows[-1].split("|")[1:-1]]
    return float(cells[7]), float(cells[9])
s_tg, s_total = batched("batched.txt")
s_tg_q4, s_total_q4 = batched("batched_q4.txt")
pp = json.load(open(f"{tmp}/pp.json"))[0]["avg_ts"]
tg = json.load(open(f"{tmp}/tg.json"))[0]["avg_ts"]
tg_q4 = json.load(open(f"{tmp}/tg_q4.json"))[0]["avg_ts"]
def emit(d): print(json.dumps(d, sort_keys=True))
emit({"figure": "llama_cpp_group_generation", "decode_tokens_per_s": s_tg, "tokens_per_s": s_total, "model": "F32"})
emit({"figure": "llama_cpp_prefill", "tokens": 512, "tokens_per_s": pp, "model": "F32"})
emit({"figure": "llama_cpp_single_sequence_decode", "tokens": 128, "tokens_per_s": tg, "model": "F32"})
emit({"figure": "llama_cpp_group_generation", "decode_tokens_per_s": s_tg_q4, "tokens_per_s": s_total_q4,
      "model": "Q4_1"})
emit({"figure": "llama_cpp_single_sequence_decode", "tokens": 128, "tokens_per_s": tg_q4, "model": "Q4_1"})
g, p, s = grao["group_generation"], grao["prefill"], grao["single_sequence_decode"]
emit({"figure": "ratio_group_generation_decode", "grao": g["decode_tokens_per_s"], "llama_cpp": s_tg,
      "ratio": g["decode_tokens_per_s"] / s_tg})
emit({"figure": "ratio_group_generation_end_to_end", "grao": g["tokens_per_s"], "llama_cpp": s_total,
      "ratio": g["tokens_per_s"] / s_total})
emit({"figure": "ratio_prefill_512", "grao": p["tokens_per_s"], "llama_cpp": pp, "ratio": p["tokens_per_s"] / pp})
emit({"figure": "ratio_single_sequence_decode", "grao": s["decode_tokens_per_s"], "llama_cpp": tg,
      "ratio": s["decode_tokens_per_s"] / tg})
emit({"figure": "ratio_group_generation_decode_vs_q4_1", "grao": g["decode_tokens_per_s"], "llama_cpp": s_tg_q4,
      "ratio": g["decode_tokens_per_s"] / s_tg_q4})
emit({"figure": "ratio_single_sequence_decode_vs_q4_1", "grao": s["decode_tokens_per_s"], "llama_cpp": tg_q4,
      "ratio": s["decode_tokens_per_s"] / tg_q4})
PY
else
    echo "bench-model: llama.cpp binaries or $LLAMA_F32_MODEL not found; no anchor figures this run" >&2
fi
echo "bench-model: load after: $(uptime)" >&2
