#!/usr/bin/env python3
"""A remote GRAO loop against a grao server, with the `requests` library (examples/api/make-venv.sh).

Each step takes the next prompts of a JSONL dataset and either
  * asks the server for scored groups (POST /v1/groups with a reward the server knows), or, with --client-reward,
  * generates samples (POST /v1/generate), scores them here in Python, and sends them back as inline groups,
then runs one GRAO update on them (POST /v1/train/step) and prints one JSON line of metrics. Every --eval-every
steps it measures greedy accuracy on held-out prompts (generate + POST /v1/score), and at the end it saves a
checkpoint.

    examples/api/.venv/bin/python examples/api/remote_grao.py --steps 4 --prompts-per-step 2
"""
import argparse
import json
import os
import random
import sys

import requests


class Grao:
    """A thin client: JSON in, JSON out, the server's error message raised on 4xx/5xx."""

    def __init__(self, base, key=None, timeout=600):
        self.base = base.rstrip("/")
        self.session = requests.Session()
        self.timeout = timeout
        if key:
            self.session.headers["Authorization"] = f"Bearer {key}"

    def call(self, method, path, body=None):
        reply = self.session.request(method, self.base + path, json=body, timeout=self.timeout)
        if reply.status_code >= 400:
            try:
                message = reply.json()["error"]["message"]
            except (ValueError, KeyError):
                message = reply.text
            raise RuntimeError(f"{method} {path}: HTTP {reply.status_code}: {message}")
        return reply.json()


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def exact(completion, reference):
    """The client-side reward: 1 when the answer, stripped, equals the reference."""
    return 1.0 if completion.strip().rstrip(".") == reference.strip() else 0.0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    data = os.path.join(here, "..", "datasets", "arithmetic")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default=os.environ.get("GRAO_URL", "http://127.0.0.1:8080"))
    p.add_argument("--train", default=os.path.join(data, "train.jsonl"))
    p.add_argument("--eval", default=os.path.join(data, "eval.jsonl"))
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--prompts-per-step", type=int, default=2)
    p.add_argument("--group-size", type=int, default=4)
    p.add_argument("--max-tokens", type=int, default=12)
    p.add_argument("--reward", default="numeric_match", help="server-side reward (name or built-in type)")
    p.add_argument("--client-reward", action="store_true", help="score samples here and send inline groups")
    p.add_argument("--lora-rank", type=int, default=8)
    p.add_argument("--learning-rate", type=float, default=1e-4)
    p.add_argument("--eval-every", type=int, default=2)
    p.add_argument("--eval-prompts", type=int, default=4)
    p.add_argument("--checkpoint", default="remote-grao")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    grao = Grao(args.url, os.environ.get("GRAO_API_KEY"))
    train = [{k: v for k, v in e.items() if k in ("prompt", "messages", "reference")} for e in load(args.train)]
    held_out = load(args.eval)[: args.eval_prompts]
    random.Random(args.seed).shuffle(train)
    trainer = {"mode": "lora", "lora_rank": args.lora_rank, "learning_rate": args.learning_rate}
    algorithm = {"name": "grao", "beta": 0.5, "lambda": 0.6}

    def evaluate(step):
        answers = grao.call("POST", "/v1/generate", {
            "prompts": [[{"role": "user", "content": e["prompt"]}] for e in held_out],
            "max_tokens": args.max_tokens, "temperature": 0, "seed": 0})
        items = [{"prompt": e["prompt"], "completion": g["samples"][0]["text"], "reference": e["reference"]}
                 for e, g in zip(held_out, answers["groups"])]
        scored = grao.call("POST", "/v1/score", {"reward": args.reward, "items": items})
        print(json.dumps({"eval_step": step, "eval_reward_mean": scored["mean"], "failed": scored["failed"]}), flush=True)

    evaluate(0)
    for step in range(args.steps):
        batch = [train[(step * args.prompts_per_step + i) % len(train)] for i in range(args.prompts_per_step)]
        body = {"algorithm": algorithm}
        if step == 0:
            body["trainer"] = trainer  # the first step creates the server's trainer; later ones reuse it
        if args.client_reward:
            generated = grao.call("POST", "/v1/generate", {
                "prompts": [[{"role": "user", "content": e["prompt"]}] for e in batch], "n": args.group_size,
                "max_tokens": args.max_tokens, "temperature": 0.7, "seed": args.seed + step})
            body["groups"] = [
                {"prompt": e["prompt"], "reference": e["reference"],
                 "samples": [{"tokens": s["tokens"], "reward": exact(s["text"], e["reference"])} for s in g["samples"]],
                 "reference_reward": 1.0}
                for e, g in zip(batch, generated["groups"])]
        else:
            made = grao.call("POST", "/v1/groups", {
                "prompts": batch, "group_size": args.group_size, "max_tokens": args.max_tokens,
                "reward": args.reward, "seed": args.seed + step})
            body["group_ids"] = [g["id"] for g in made["groups"]]
        result = grao.call("POST", "/v1/train/step", body)
        print(json.dumps({
            "step": result["step"], "loss": result["loss"], "terms": result["terms"], "grad_norm": result["grad_norm"],
            "reward_mean": result["rollout"].get("reward_mean"), "zero_variance_groups": result["rollout"]["zero_variance_groups"],
            "seconds": round(result["seconds"], 2)}), flush=True)
        if args.eval_every and (step + 1) % args.eval_every == 0:
            evaluate(step + 1)
    saved = grao.call("POST", "/v1/checkpoints", {"name": args.checkpoint, "overwrite": True})
    print(json.dumps({"checkpoint": saved["name"], "step": saved["step"], "bytes": saved["bytes"]}), flush=True)


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, requests.RequestException) as e:
        print(f"remote_grao: {e}", file=sys.stderr)
        sys.exit(1)
