#!/usr/bin/env python3
"""Writes the markdown report and PNG plots of a `grao experiment` run, from its logged metrics only.

Reads RUN/summary.json, RUN/baseline.json and RUN/cells/*.json(l) (written by `grao experiment`), writes the
results section of REPORT (between the markers `<!-- results:begin -->` and `<!-- results:end -->`, keeping the
rest of the file; a new file holds the results alone) and its figures in the folder REPORT without ".md"
(docs/experiment.md -> docs/experiment/). Nothing is computed that the run did not log.

Usage: report.py --run data/experiments/full --report docs/experiment.md
Needs numpy and matplotlib: tools/experiment/make-venv.sh makes tools/experiment/.venv with them.
"""
import argparse
import glob
import json
import math
import os
import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
except ImportError as error:  # a clear message instead of a traceback
    sys.exit(f"report.py needs numpy and matplotlib ({error}); run tools/experiment/make-venv.sh and use "
             "tools/experiment/.venv/bin/python")

BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
MAIN = ["sft", "dpo", "grpo", "grao"]
METRICS = [("success_rate", "held-out success"), ("mean_reward", "mean reward"), ("win_rate", "RAS strict"),
           ("win_or_tie_rate", "RAS with ties"), ("nag", "NAG (paper)"), ("nag_net", "NAG net")]
TERMS = ["exploration", "imitation", "alignment"]


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_run(run):
    summary = load_json(os.path.join(run, "summary.json"))
    cells, logs = [], {}
    for path in sorted(glob.glob(os.path.join(run, "cells", "*.json"))):
        cells.append(load_json(path))
    for path in sorted(glob.glob(os.path.join(run, "cells", "*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            lines = [json.loads(line) for line in f if line.strip()]
        if lines:
            logs[os.path.basename(path)[:-len(".jsonl")]] = lines
    return summary, cells, logs


def fmt(stat, scale=1.0, digits=3):
    """'mean ± std (n)' from a summary stats object; '-' when nothing was measured."""
    if not stat or stat.get("n", 0) == 0:
        return "–"
    mean = stat["mean"] * scale
    std = stat.get("std")
    text = f"{mean:.{digits}f}"
    if std is not None:
        text += f" ± {std * scale:.{digits}f}"
    return text


def method_order(summary):
    names = list(summary["methods"])
    return [m for m in MAIN if m in names] + [m for m in names if m not in MAIN]


def curves(logs, method, metric, task=None):
    """Per seed: steps and values of `metric` at each evaluation of `method`."""
    out = []
    for name, lines in logs.items():
        evals = [l for l in lines if l.get("event") == "eval" and l.get("method") == method]
        if not evals:
            continue
        xs, ys = [], []
        for e in evals:
            source = e["overall"] if task is None else e["tasks"].get(task, {})
            value = source.get(metric)
            if value is not None:
                xs.append(e["step"])
                ys.append(value)
        out.append((xs, ys))
    return out


def plot_learning_curves(summary, logs, folder):
    methods = method_order(summary)
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    for ax, (metric, label) in zip(axes.flat, [METRICS[0], METRICS[1], METRICS[3], METRICS[5]]):
        for i, method in enumerate(methods):
            runs = curves(logs, method, metric)
            if not runs:
                continue
            steps = sorted(set.intersection(*[set(xs) for xs, _ in runs]))
            if not steps:
                continue
            values = np.array([[dict(zip(xs, ys))[s] for s in steps] for xs, ys in runs])
            mean = values.mean(axis=0)
            style = "-" if method in MAIN else "--"
            line, = ax.plot(steps, mean, style, marker="o", markersize=3, label=f"{method} (n={len(runs)})")
            if len(runs) > 1:
                ax.fill_between(steps, values.min(axis=0), values.max(axis=0), color=line.get_color(), alpha=0.15)
        ax.set_title(label)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("Held-out metrics over training (line: mean over seeds; band: min-max over seeds)")
    fig.tight_layout()
    path = os.path.join(folder, "learning_curves.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def term_share_series(logs, method):
    """Per step, the mean over seeds of each GRAO term's share of the summed |terms|."""
    per_step = {}
    for lines in logs.values():
        for l in lines:
            if l.get("event") != "step" or l.get("method") != method or "terms" not in l:
                continue
            mags = [abs(l["terms"].get(t) or 0.0) for t in TERMS]
            total = sum(mags)
            if total > 0:
                per_step.setdefault(l["step"], []).append([m / total for m in mags])
    steps = sorted(per_step)
    return steps, np.array([np.mean(per_step[s], axis=0) for s in steps]) if steps else np.zeros((0, 3))


def plot_term_shares(summary, logs, folder):
    graos = [m for m in method_order(summary) if summary["methods"][m]["algorithm"] == "grao"]
    series = [(m, *term_share_series(logs, m)) for m in graos]
    series = [s for s in series if len(s[1])]
    if not series:
        return None
    fig, axes = plt.subplots(1, len(series), figsize=(4.2 * len(series), 3.6), squeeze=False)
    for ax, (method, steps, shares) in zip(axes[0], series):
        ax.stackplot(steps, shares.T, labels=TERMS, alpha=0.8)
        ax.set_ylim(0, 1)
        ax.set_title(method, fontsize=9)
        ax.set_xlabel("step")
    axes[0][0].set_ylabel("share of |J| terms")
    axes[0][0].legend(fontsize=7, loc="lower left")
    fig.suptitle("GRAO loss-term shares per step (mean over seeds)")
    fig.tight_layout()
    path = os.path.join(folder, "term_shares.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_train_reward(summary, logs, folder):
    fig, ax = plt.subplots(figsize=(7, 4))
    drawn = False
    for method in method_order(summary):
        per_step = {}
        for lines in logs.values():
            for l in lines:
                if l.get("event") == "step" and l.get("method") == method and l.get("reward_mean") is not None:
                    per_step.setdefault(l["step"], []).append(l["reward_mean"])
        if not per_step:
            continue
        steps = sorted(per_step)
        ax.plot(steps, [np.mean(per_step[s]) for s in steps], "-" if method in MAIN else "--", label=method)
        drawn = True
    if not drawn:
        plt.close(fig)
        return None
    ax.set_xlabel("step")
    ax.set_ylabel("mean reward of the step's samples")
    ax.set_title("Training rollout reward (methods that sample)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = os.path.join(folder, "train_reward.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def comparison_lines(summary):
    """Plain statements of GRAO's held-out success against each baseline, from the logged means and spreads."""
    methods = summary["methods"]
    if "grao" not in methods:
        return ["GRAO has no finished cell yet: no comparison."]
    g = methods["grao"]["final"]["success_rate"]
    lines = []
    for other in ["sft", "dpo", "grpo"]:
        if other not in methods or not g.get("n") or not methods[other]["final"]["success_rate"].get("n"):
            continue
        o = methods[other]["final"]["success_rate"]
        diff = g["mean"] - o["mean"]
        spread = max(g.get("std") or 0.0, o.get("std") or 0.0)
        if diff > 0:
            verdict = "higher than"
        elif diff < 0:
            verdict = "lower than"
        else:
            verdict = "equal to"
        note = " (the difference is within one seed standard deviation)" if spread and abs(diff) <= spread else ""
        lines.append(f"- GRAO's mean held-out success {g['mean']:.3f} is {verdict} {other.upper()}'s {o['mean']:.3f} "
                     f"(difference {diff:+.3f}, {g['n']} vs {o['n']} seeds){note}.")
    return lines


def results_markdown(summary, cells, logs, run, folder_rel, figures):
    methods = summary["methods"]
    order = method_order(summary)
    out = []
    out.append(f"Run `{run}`: config `{summary['name']}`, {summary['cells_done']} of {summary['cells_planned']} "
               f"(method, seed) cells finished; {summary['steps']} steps of {summary['prompts_per_step']} prompts, "
               f"G = {summary['group_size']}, at most {summary['max_tokens']} new tokens per sample.")
    out.append("")
    base = summary["baseline"]
    out.append("### Starting model (step 0, greedy)")
    out.append("")
    out.append("| task | prompts | success | mean reward | RAS strict | RAS with ties | failures |")
    out.append("|---|---|---|---|---|---|---|")
    rows = [("all", base["overall"])] + sorted(base["tasks"].items())
    for task, s in rows:
        out.append(f"| {task} | {s['prompts']} | {num(s['success_rate'])} | {num(s['mean_reward'])} | {num(s['win_rate'])} "
                   f"| {num(s['win_or_tie_rate'])} | {s['failures']} |")
    out.append("")
    out.append("### Final held-out metrics (mean ± sample std over seeds)")
    out.append("")
    out.append("| method | seeds | " + " | ".join(label for _, label in METRICS) + " |")
    out.append("|---|---|" + "---|" * len(METRICS))
    for m in order:
        final = methods[m]["final"]
        out.append(f"| {m} | {methods[m]['cells']} | " + " | ".join(fmt(final[k]) for k, _ in METRICS) + " |")
    out.append("")
    out.extend(comparison_lines(summary))
    out.append("")
    tasks = sorted(next(iter(methods.values()))["tasks"]) if methods else []
    if tasks:
        out.append("### Held-out success per task")
        out.append("")
        out.append("| method | " + " | ".join(tasks) + " |")
        out.append("|---|" + "---|" * len(tasks))
        out.append("| starting model | " + " | ".join(num(base["tasks"].get(t, {}).get("success_rate")) for t in tasks) + " |")
        for m in order:
            out.append(f"| {m} | " + " | ".join(fmt(methods[m]["tasks"][t]["success_rate"]) for t in tasks) + " |")
        out.append("")
    graos = [m for m in order if "term_shares" in methods[m]]
    if graos:
        out.append("### GRAO loss-term shares (|term| / Σ|terms|)")
        out.append("")
        out.append("| method | whole run: exploration | imitation | alignment | first third: expl. / imit. / align. "
                   "| last third: expl. / imit. / align. |")
        out.append("|---|---|---|---|---|---|")
        for m in graos:
            shares = methods[m]["term_shares"]
            steps, series = term_share_series(logs, m)
            thirds = []
            for part in (slice(0, max(1, len(steps) // 3)), slice(len(steps) - max(1, len(steps) // 3), len(steps))):
                chunk = series[part]
                thirds.append(" / ".join(f"{v:.2f}" for v in chunk.mean(axis=0)) if len(chunk) else "–")
            out.append(f"| {m} | " + " | ".join(fmt(shares[t], digits=2) for t in TERMS) + f" | {thirds[0]} | {thirds[1]} |")
        out.append("")
    out.append("### Compute per cell (mean over seeds)")
    out.append("")
    out.append("| method | generated tokens (training) | fed tokens (updates) | rollout s | update s | eval s | total s |")
    out.append("|---|---|---|---|---|---|---|")
    for m in order:
        t = methods[m]["totals"]
        out.append(f"| {m} | {fmt(t['generated_tokens'], digits=0)} | {fmt(t['fed_train_tokens'], digits=0)} "
                   f"| {fmt(t['rollout_seconds'], digits=0)} | {fmt(t['update_seconds'], digits=0)} "
                   f"| {fmt(t['eval_seconds'], digits=0)} | {fmt(t['seconds'], digits=0)} |")
    out.append("")
    for title, path in figures:
        if path:
            out.append(f"![{title}]({folder_rel}/{os.path.basename(path)})")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def num(x, digits=3):
    return "–" if x is None else f"{x:.{digits}f}"


def write_report(report, body):
    block = f"{BEGIN}\n{body}{END}\n"
    if os.path.exists(report):
        with open(report, encoding="utf-8") as f:
            text = f.read()
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            tail = rest.split(END, 1)[1].lstrip("\n")
            text = head + block + tail
        else:
            text = text.rstrip("\n") + "\n\n## Results\n\n" + block
    else:
        text = "# Experiment results\n\n" + block
    tmp = report + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, report)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="output directory of grao experiment")
    parser.add_argument("--report", required=True, help="markdown file to write the results into")
    args = parser.parse_args()
    if not os.path.exists(os.path.join(args.run, "summary.json")):
        sys.exit(f"{args.run}/summary.json not found: run grao experiment first")
    summary, cells, logs = load_run(args.run)
    folder = args.report[:-3] if args.report.endswith(".md") else args.report + "_figures"
    os.makedirs(folder, exist_ok=True)
    figures = [("Learning curves", plot_learning_curves(summary, logs, folder)),
               ("GRAO loss-term shares", plot_term_shares(summary, logs, folder)),
               ("Training reward", plot_train_reward(summary, logs, folder))]
    folder_rel = os.path.relpath(folder, os.path.dirname(os.path.abspath(args.report)) or ".")
    write_report(args.report, results_markdown(summary, cells, logs, args.run, folder_rel, figures))
    print(f"wrote {args.report} and {len([f for _, f in figures if f])} figures in {folder}")


if __name__ == "__main__":
    main()
