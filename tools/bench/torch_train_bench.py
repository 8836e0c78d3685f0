#!/usr/bin/env python3
"""PyTorch anchor for scripts/bench-train.sh, measured the way research/perf-anchors.md section 5 describes:
2 threads, transformers loading the same GGUF in float32, random token ids (seeded), causal-LM loss with
labels=input_ids; (a) full fine-tuning fwd+bwd+AdamW(lr 1e-5) on B x T, (b) LoRA r16 alpha 32 dropout 0 on all
linear layers (peft) with AdamW over the adapters, (c) no-grad forward of B x T_score with full logits.
One warm-up iteration, then REPS timed ones; the median is reported. One JSON line per figure.

    python tools/bench/torch_train_bench.py MODEL.gguf [--batch 8 --tokens 256 --score-tokens 192 --reps 3]
"""
import argparse
import json
import os
import statistics
import time

import torch
from transformers import AutoModelForCausalLM


def timed(fn, reps):
    fn()  # warm-up (allocates optimizer state)
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--tokens", type=int, default=256)
    p.add_argument("--score-batch", type=int, default=8)
    p.add_argument("--score-tokens", type=int, default=192)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--figures", default="score,lora,full")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(a.threads)
    figures = set(a.figures.split(","))

    def load():
        m = AutoModelForCausalLM.from_pretrained(os.path.dirname(os.path.abspath(a.model)),
                                                 gguf_file=os.path.basename(a.model), dtype=torch.float32)
        return m

    g = torch.Generator().manual_seed(7)
    model = load()
    vocab = model.config.vocab_size
    emit = lambda d: print(json.dumps({"anchor": "pytorch", "torch": torch.__version__, "threads": a.threads, **d}), flush=True)

    if "score" in figures:
        ids = torch.randint(0, vocab, (a.score_batch, a.score_tokens), generator=g)
        model.eval()
        def score():
            with torch.inference_mode():
                model(input_ids=ids).logits
        med, all_ = timed(score, a.reps)
        emit({"figure": "score_nograd", "seconds": med, "seconds_all": all_,
              "tokens_per_s": a.score_batch * a.score_tokens / med})

    ids = torch.randint(0, vocab, (a.batch, a.tokens), generator=g)
    if "lora" in figures:
        from peft import LoraConfig, get_peft_model
        lora = get_peft_model(load(), LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear"))
        lora.train()
        opt = torch.optim.AdamW([q for q in lora.parameters() if q.requires_grad], lr=1e-5)
        def step_lora():
            out = lora(input_ids=ids, labels=ids)
            out.loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
        med, all_ = timed(step_lora, a.reps)
        emit({"figure": "train_lora", "seconds": med, "seconds_all": all_, "tokens_per_s": a.batch * a.tokens / med,
              "trainable_parameters": sum(q.numel() for q in lora.parameters() if q.requires_grad)})
        del lora, opt
    if "full" in figures:
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
        def step_full():
            out = model(input_ids=ids, labels=ids)
            out.loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
        med, all_ = timed(step_full, a.reps)
        emit({"figure": "train_full", "seconds": med, "seconds_all": all_, "tokens_per_s": a.batch * a.tokens / med})


if __name__ == "__main__":
    main()
