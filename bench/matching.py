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
import os
import random
import time
import unicodedata
from pathlib import Path

from pricing.grid import load_grid
from pricing.matching import SIGNALS, Matcher

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
SETS = {
    "labelled": DATA / "matching_labelled.csv",
    "unseen": DATA / "matching_unseen.csv",
    "dev": DATA / "matching_paraphrase_dev.csv",
    "independent": DATA / "matching_independent.csv",
}
# Which sets weights, lexicon and keywords were tuned on (the README's table says so too).
TUNED_ON = {"labelled": "yes", "unseen": "keywords", "dev": "yes", "independent": "never"}

SUFFIXES = [
    "", " y compris préparation", ", compris évacuation des déchets", " - suivant métré", " (chambre 2)",
    " au RDC", " - pièce de vie", " selon devis", " cuisine", " 1er étage", " zone sinistrée",
]


OUT_OF_GRID = {"", "-", "out_of_grid"}


def load_rows(path: Path) -> list[dict]:
    """Rows with ``description``, ``unit``, ``expected_item`` (empty: out of grid) and ``trade``."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:  # the independent set names its columns designation / grid_item
        row.setdefault("description", row.get("designation", ""))
        row.setdefault("expected_item", row.get("grid_item", ""))
        row["expected_item"] = "" if (row.get("expected_item") or "").strip() in OUT_OF_GRID else row["expected_item"].strip()
        row["unit"] = (row.get("unit") or "").strip()
        row["trade"] = (row.get("trade") or "").strip()
    return rows


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


def rss_mb() -> float:
    """Resident memory of this process now (Linux)."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def print_quality(matcher: Matcher, sets: dict[str, list[dict]], errors: bool) -> dict[str, dict]:
    print(f"{'set':12} {'tuned on':>9} {'in/out':>8} {'trade':>6} {'top-1':>6} {'in-grid matched':>16} {'out-of-grid unmatched':>22}")
    results = {}
    for name, rows in sets.items():
        q = quality(matcher, rows)
        results[name] = q
        counts = f"{q['counts'][0]}/{q['counts'][1]}"
        print(f"{name:12} {TUNED_ON.get(name, '?'):>9} {counts:>8} {q['trade']:6.3f} {q['top1']:6.3f} "
              f"{1 - q['in_grid_unmatched']:16.3f} {q['out_of_grid_unmatched']:22.3f}")
        if errors:
            for r, m in q["errors"]:
                print(f"  {r['description'][:70]:70} {r['unit'] or '-':7} expected={r['expected_item'] or '-':26} "
                      f"got={m.item_id} ({m.score:.2f}) alt={m.alternatives}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--errors", action="store_true", help="list the mismatched lines")
    parser.add_argument("--corpus-dev", type=Path, help="folder of *.truth.json to match the line descriptions of")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated sets among " + ", ".join(SETS))
    parser.add_argument("--set-file", action="append", default=[], metavar="NAME=CSV", help="another labelled set")
    parser.add_argument("--ablation", action="store_true", help="also measure the matcher with each signal switched off")
    parser.add_argument("--no-speed", action="store_true", help="skip the throughput run")
    args = parser.parse_args()

    paths = {name: SETS[name] for name in args.sets.split(",") if name in SETS and SETS[name].is_file()}
    for spec in args.set_file:
        name, _, path = spec.partition("=")
        paths[name] = Path(path)
    sets = {name: load_rows(path) for name, path in paths.items()}

    grid = load_grid()
    rss_before = rss_mb()
    started = time.perf_counter()
    matcher = Matcher(grid)
    built = time.perf_counter() - started
    how = "grid lemmas computed, spaCy loaded" if matcher._lemmatizer.loaded else "grid lemmas read from the disk cache"
    started = time.perf_counter()
    matcher.match("Remplacement caisson de cuisine bas", "u")
    first = time.perf_counter() - started
    rss_loaded = rss_mb()
    print(f"grid {grid.version}: {len(grid.items)} items, {len(grid.lexicon)} lexicon terms; signals: {', '.join(sorted(matcher.signals))}")
    print_quality(matcher, sets, args.errors)
    if args.corpus_dev:
        c = corpus_dev(matcher, args.corpus_dev)
        print(f"corpus-dev {c['lines']} work lines: matched with the right trade {c['right_trade']:.3f}, unmatched {c['unmatched']:.3f}")
        if args.errors:
            for line, m in c["errors"]:
                print(f"  {line['description'][:70]:70} {line['trade']:12} got={m.item_id} ({m.score:.2f}) alt={m.alternatives}")

    if args.ablation:
        print("\nablation (trade / top-1 / in-grid matched / out-of-grid unmatched per set):")
        for variant, signals in [("all signals", SIGNALS), *((f"without {s}", SIGNALS - {s}) for s in sorted(SIGNALS)),
                                 ("words only", frozenset())]:
            m = Matcher(grid, signals=signals)
            cells = []
            for name, rows in sets.items():
                q = quality(m, rows)
                cells.append(f"{name} {q['trade']:.3f}/{q['top1']:.3f}/{1 - q['in_grid_unmatched']:.3f}/{q['out_of_grid_unmatched']:.3f}")
            print(f"  {variant:22} " + "  ".join(cells))

    print(f"matcher build            {built:.2f} s ({how})")
    print(f"first designation        {first:.2f} s (loads spaCy if the build did not)")
    print(f"RSS added by loading     {rss_loaded - rss_before:.0f} MB (matcher built, models and vectors loaded)")
    if not args.no_speed:
        all_rows = [r for rows in sets.values() for r in rows]
        lines = variants(all_rows, args.lines)
        fresh = Matcher(grid)  # cold caches: only the grid's own words are analysed at build time
        started, cpu = time.perf_counter(), time.process_time()
        fresh.match_many(lines)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        distinct = len(set(lines))
        print(f"throughput               {len(lines)} lines ({distinct} distinct) in {elapsed:.2f} s = {len(lines) / elapsed:.0f} lines/s (CPU {cpu:.2f} s)")


if __name__ == "__main__":
    main()
