#!/usr/bin/env python3
"""Writes grao's example task datasets (JSONL) deterministically from a fixed seed.

Three tasks, each with a training split and a held-out evaluation split that share no prompt:

  arithmetic   short additions/subtractions answered with the number alone; scored by numeric match.
  json_format  build a small JSON object with given keys and values; scored by rules (valid JSON,
               required keys, exact values).
  capitals     "What is the capital of X?" with a one-line reference answer; scored by a judge
               (the local pairwise judge or a remote one) rather than a rule.

Each line is {"prompt": ..., "reference": ..., "rejected": ..., "metadata": {"task": ..., ...}}: "rejected" is a
plausible wrong answer for DPO, "metadata" is free-form (the trainer carries it, rewards may read it). Prompts are plain user messages: callers wrap them in the
model's chat template. Standard library only. Usage: make_datasets.py [--out DIR] [--seed N]
"""
import argparse
import json
import os
import random

NAMES = ["Alice", "Bob", "Carmen", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas",
         "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tara"]
CITIES = ["Paris", "Lima", "Oslo", "Cairo", "Tokyo", "Quito", "Dakar", "Hanoi", "Rome", "Accra"]
COLORS = ["red", "blue", "green", "yellow", "purple", "orange", "black", "white"]
CAPITALS = [("France", "Paris"), ("Germany", "Berlin"), ("Italy", "Rome"), ("Spain", "Madrid"),
            ("Portugal", "Lisbon"), ("Japan", "Tokyo"), ("China", "Beijing"), ("India", "New Delhi"),
            ("Egypt", "Cairo"), ("Kenya", "Nairobi"), ("Peru", "Lima"), ("Chile", "Santiago"),
            ("Canada", "Ottawa"), ("Mexico", "Mexico City"), ("Brazil", "Brasilia"),
            ("Argentina", "Buenos Aires"), ("Norway", "Oslo"), ("Sweden", "Stockholm"),
            ("Finland", "Helsinki"), ("Poland", "Warsaw"), ("Greece", "Athens"), ("Turkey", "Ankara"),
            ("Russia", "Moscow"), ("Australia", "Canberra"), ("Ireland", "Dublin"),
            ("Austria", "Vienna"), ("Hungary", "Budapest"), ("Thailand", "Bangkok"),
            ("Vietnam", "Hanoi"), ("Ghana", "Accra"), ("Senegal", "Dakar"), ("Ecuador", "Quito"),
            ("Cuba", "Havana"), ("Colombia", "Bogota"), ("Morocco", "Rabat"), ("Nigeria", "Abuja"),
            ("Denmark", "Copenhagen"), ("Belgium", "Brussels"), ("Netherlands", "Amsterdam"),
            ("Switzerland", "Bern"), ("South Korea", "Seoul"), ("Indonesia", "Jakarta"),
            ("Philippines", "Manila"), ("Pakistan", "Islamabad"), ("Iran", "Tehran"), ("Iraq", "Baghdad"),
            ("Ethiopia", "Addis Ababa"), ("Uganda", "Kampala"), ("Czechia", "Prague"),
            ("Romania", "Bucharest")]


def arithmetic(rng):
    """Yields unique arithmetic items; difficulty mixes one- and two-digit operands."""
    seen = set()
    while True:
        digits = rng.choice([1, 1, 2, 2, 2])
        hi = 9 if digits == 1 else 99
        a, b = rng.randint(1, hi), rng.randint(1, hi)
        op = rng.choice(["+", "-"])
        if op == "-" and b > a:
            a, b = b, a
        key = (a, op, b)
        if key in seen:
            continue
        seen.add(key)
        answer = a + b if op == "+" else a - b
        wrong = answer + rng.choice([-10, -2, -1, 1, 2, 10])
        yield {"prompt": f"What is {a} {op} {b}? Reply with the number only.",
               "reference": str(answer), "rejected": str(wrong), 
               "metadata": {"task": "arithmetic", "a": a, "b": b, "op": op, "answer": answer}}


def json_format(rng):
    """Yields unique JSON-construction items with the exact object expected: two or three keys, so that the
    starting model gets about half of them right (measured in docs/experiment.md)."""
    seen = set()
    while True:
        name, city, color = rng.choice(NAMES), rng.choice(CITIES), rng.choice(COLORS)
        age = rng.randint(18, 80)
        shape = rng.choice(["name_age", "name_city", "name_color", "name_age_city", "name_city_color"])
        if shape == "name_age":
            obj = {"name": name, "age": age}
            text = f"{name} is {age} years old"
        elif shape == "name_city":
            obj = {"name": name, "city": city}
            text = f"{name} lives in {city}"
        elif shape == "name_color":
            obj = {"name": name, "color": color}
            text = f"{name}'s favourite color is {color}"
        elif shape == "name_age_city":
            obj = {"name": name, "age": age, "city": city}
            text = f"{name} is {age} years old and lives in {city}"
        else:
            obj = {"name": name, "city": city, "color": color}
            text = f"{name} lives in {city} and likes the color {color}"
        keys = ", ".join(f'"{k}"' for k in obj)
        prompt = f"{text}. Write this as a JSON object with the keys {keys}. Reply with the JSON only."
        if prompt in seen:
            continue
        seen.add(prompt)
        bad = dict(obj)
        bad.pop("name")
        yield {"prompt": prompt, "reference": json.dumps(obj), "rejected": f"Sure! Here is the JSON: {json.dumps(bad)}",
               "metadata": {"task": "json_format", "expected": obj, "required_keys": list(obj)}}


def capitals(rng):
    """Yields every capital question once, in a seeded order."""
    pairs = CAPITALS[:]
    rng.shuffle(pairs)
    for country, city in pairs:
        wrong = rng.choice([c for _, c in CAPITALS if c != city])
        yield {"prompt": f"What is the capital of {country}? Answer in one short sentence.",
               "reference": f"The capital of {country} is {city}.",
               "rejected": f"The capital of {country} is {wrong}.",
               "metadata": {"task": "capitals", "country": country, "capital": city}}


def take(gen, n):
    return [next(gen) for _ in range(n)]


def write(path, items):
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        for item in items:
            f.write(json.dumps(item, ensure_ascii=False) + "\n")
    os.replace(path + ".tmp", path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--seed", type=int, default=20251126)
    args = parser.parse_args()
    sizes = {"arithmetic": (256, 100), "json_format": (256, 100), "capitals": (34, 16)}
    makers = {"arithmetic": arithmetic, "json_format": json_format, "capitals": capitals}
    for task, (n_train, n_eval) in sizes.items():
        rng = random.Random(f"{args.seed}-{task}")
        items = take(makers[task](rng), n_train + n_eval)
        train, held_out = items[:n_train], items[n_train:]
        assert not {i["prompt"] for i in train} & {i["prompt"] for i in held_out}, task
        os.makedirs(os.path.join(args.out, task), exist_ok=True)
        write(os.path.join(args.out, task, "train.jsonl"), train)
        write(os.path.join(args.out, task, "eval.jsonl"), held_out)
        print(f"{task}: {len(train)} train, {len(held_out)} eval")


if __name__ == "__main__":
    main()
