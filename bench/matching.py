"""Matching quality and speed.

    .venv/bin/python bench/matching.py [--lines 10000] [--errors] [--corpus-dev DIR]

Quality on two labelled sets: ``matching_labelled.csv`` (the designations the matcher was
written against) and ``matching_unseen.csv`` (the sample-quote generator's vocabulary and
out-of-grid lines the matcher was not tuned on). For each: top-1 item accuracy (in-grid
lines), trade accuracy (lines with a labelled trade) and the unmatched rate on out-of-grid
lines. With ``--corpus-dev DIR``, the line descriptions of ``DIR/*.truth.json`` are matched
too: share of work lines matched to an item of the right trade, and share left unmatched.

Speed: throughput on LINES designations derived from both sets (case, accents, suffix
clauses and quantities varied so that most lines are distinct strings) on a fresh matcher,
and the matcher's construction time (spaCy load, grid analysis, index).
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import time
import unicodedata
from pathlib import Path

from pricing.grid import load_grid
from pricing.matching import Matcher

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
SETS = {"labelled": DATA / "matching_labelled.csv", "unseen": DATA / "matching_unseen.csv"}

SUFFIXES = [
    "", " y compris préparation", ", compris évacuation des déchets", " - suivant métré", " (chambre 2)",
    " au RDC", " - pièce de vie", " selon devis", " cuisine", " 1er étage", " zone sinistrée",
]


def load_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def quality(matcher: Matcher, rows: list[dict]) -> dict:
    matches = matcher.match_many([(r["description"], r["unit"] or None) for r in rows])
    in_grid = [(r, m) for r, m in zip(rows, matches) if r["expected_item"]]
    out_grid = [(r, m) for r, m in zip(rows, matches) if not r["expected_item"]]
    with_trade = [(r, m) for r, m in zip(rows, matches) if r["expected_item"] or r["trade"]]
    return {
        "top1": sum(m.item_id == r["expected_item"] for r, m in in_grid) / len(in_grid),
        "in_grid_unmatched": sum(m.item is None for _, m in in_grid) / len(in_grid),
        "trade": sum(m.trade == (r["trade"] or None) for r, m in with_trade) / len(with_trade),
        "out_of_grid_unmatched": sum(m.item is None for _, m in out_grid) / len(out_grid),
        "errors": [(r, m) for r, m in zip(rows, matches) if m.item_id != (r["expected_item"] or None)],
        "counts": (len(in_grid), len(out_grid)),
    }


def corpus_dev(matcher: Matcher, folder: Path) -> dict:
    """Work lines of the truth files (the discount line has no trade and is left out)."""
    lines = [
        line
        for truth in sorted(folder.glob("*.truth.json"))
        for line in json.loads(truth.read_text(encoding="utf-8"))["lines"]
        if line.get("trade")
    ]
    matches = matcher.match_many([(line["description"], line.get("unit")) for line in lines])
    return {
        "lines": len(lines),
        "right_trade": sum(m.item is not None and m.trade == line["trade"] for line, m in zip(lines, matches)) / len(lines),
        "unmatched": sum(m.item is None for m in matches) / len(lines),
        "errors": [(line, m) for line, m in zip(lines, matches) if m.item is None or m.trade != line["trade"]],
    }


def variants(rows: list[dict], n: int, seed: int = 7) -> list[tuple[str, str | None]]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        row = rng.choice(rows)
        text = row["description"] + rng.choice(SUFFIXES)
        if rng.random() < 0.3:
            text = text.upper()
        if rng.random() < 0.3:
            text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
        if rng.random() < 0.5:
            text = f"{text} - lot {k % 97}"
        out.append((text, row["unit"] or None))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--errors", action="store_true", help="list the mismatched lines")
    parser.add_argument("--corpus-dev", type=Path, help="folder of *.truth.json to match the line descriptions of")
    args = parser.parse_args()

    grid = load_grid()
    started = time.perf_counter()
    matcher = Matcher(grid)
    built = time.perf_counter() - started
    how = "grid lemmas computed, spaCy loaded" if matcher._lemmatizer.loaded else "grid lemmas read from the disk cache"
    started = time.perf_counter()
    matcher.match("Remplacement caisson de cuisine bas", "u")
    first = time.perf_counter() - started
    print(f"grid {grid.version}: {len(grid.items)} items")
    print(f"{'set':10} {'in/out':>8} {'top-1':>6} {'in-grid unmatched':>18} {'trade':>6} {'out-of-grid unmatched':>22}")
    all_rows = []
    for name, path in SETS.items():
        rows = load_rows(path)
        all_rows += rows
        q = quality(matcher, rows)
        counts = f"{q['counts'][0]}/{q['counts'][1]}"
        print(f"{name:10} {counts:>8} {q['top1']:6.3f} {q['in_grid_unmatched']:18.3f} {q['trade']:6.3f} {q['out_of_grid_unmatched']:22.3f}")
        if args.errors:
            for r, m in q["errors"]:
                print(f"  {r['description'][:70]:70} {r['unit'] or '-':7} expected={r['expected_item'] or '-':26} "
                      f"got={m.item_id} ({m.score:.2f}) alt={m.alternatives}")
    if args.corpus_dev:
        c = corpus_dev(matcher, args.corpus_dev)
        print(f"corpus-dev {c['lines']} work lines: matched with the right trade {c['right_trade']:.3f}, unmatched {c['unmatched']:.3f}")
        if args.errors:
            for line, m in c["errors"]:
                print(f"  {line['description'][:70]:70} {line['trade']:12} got={m.item_id} ({m.score:.2f}) alt={m.alternatives}")

    lines = variants(all_rows, args.lines)
    fresh = Matcher(grid)  # cold caches: only the grid's own words are analysed at build time
    started, cpu = time.perf_counter(), time.process_time()
    fresh.match_many(lines)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    distinct = len(set(lines))
    print(f"matcher build            {built:.2f} s ({how})")
    print(f"first designation        {first:.2f} s (loads spaCy if the build did not)")
    print(f"throughput               {len(lines)} lines ({distinct} distinct) in {elapsed:.2f} s = {len(lines) / elapsed:.0f} lines/s (CPU {cpu:.2f} s)")


if __name__ == "__main__":
    main()
