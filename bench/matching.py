"""Matching quality and speed on the labelled designations.

    .venv/bin/python bench/matching.py [--lines 10000] [--errors]

Prints top-1 item accuracy (in-grid lines), trade accuracy (lines with a labelled trade),
the unmatched rate on out-of-grid lines, and throughput on LINES designations derived from
the labelled set (case, accents, suffix clauses and quantities varied so that most lines are
distinct strings). Matcher construction (spaCy load, index) is timed separately.
"""
from __future__ import annotations

import argparse
import csv
import random
import time
import unicodedata
from pathlib import Path

from pricing.grid import load_grid
from pricing.matching import Matcher

LABELLED = Path(__file__).resolve().parents[1] / "tests" / "data" / "matching_labelled.csv"

SUFFIXES = [
    "", " y compris préparation", ", compris évacuation des déchets", " - suivant métré", " (chambre 2)",
    " au RDC", " - pièce de vie", " selon devis", " cuisine", " 1er étage", " zone sinistrée",
]


def load_labelled(path: Path = LABELLED) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def quality(matcher: Matcher, rows: list[dict]) -> dict:
    matches = matcher.match_many([(r["description"], r["unit"] or None) for r in rows])
    in_grid = [(r, m) for r, m in zip(rows, matches) if r["expected_item"]]
    out_grid = [(r, m) for r, m in zip(rows, matches) if not r["expected_item"]]
    with_trade = [(r, m) for r, m in zip(rows, matches) if r["expected_item"] or r["trade"]]
    return {
        "top1": sum(m.item_id == r["expected_item"] for r, m in in_grid) / len(in_grid),
        "trade": sum(m.trade == (r["trade"] or None) for r, m in with_trade) / len(with_trade),
        "out_of_grid_unmatched": sum(m.item is None for _, m in out_grid) / len(out_grid),
        "errors": [(r, m) for r, m in zip(rows, matches) if m.item_id != (r["expected_item"] or None)],
        "counts": (len(in_grid), len(out_grid)),
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
    args = parser.parse_args()

    grid = load_grid()
    started = time.perf_counter()
    matcher = Matcher(grid)
    built = time.perf_counter() - started
    rows = load_labelled()
    q = quality(matcher, rows)
    print(f"grid {grid.version}: {len(grid.items)} items; labelled lines: {q['counts'][0]} in grid, {q['counts'][1]} out of grid")
    print(f"top-1 item accuracy      {q['top1']:.3f}")
    print(f"trade accuracy           {q['trade']:.3f}")
    print(f"out-of-grid unmatched    {q['out_of_grid_unmatched']:.3f}")
    if args.errors:
        for r, m in q["errors"]:
            print(f"  {r['description'][:60]:60} expected={r['expected_item'] or '-':28} got={m.item_id} ({m.score:.2f}) alt={m.alternatives}")

    lines = variants(rows, args.lines)
    fresh = Matcher(grid)  # cold caches: only the grid's own words are lemmatised at build time
    started, cpu = time.perf_counter(), time.process_time()
    fresh.match_many(lines)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    distinct = len(set(lines))
    print(f"matcher build            {built:.2f} s (spaCy load + index)")
    print(f"throughput               {len(lines)} lines ({distinct} distinct) in {elapsed:.2f} s = {len(lines) / elapsed:.0f} lines/s (CPU {cpu:.2f} s)")


if __name__ == "__main__":
    main()
