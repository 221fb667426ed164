"""OCR benchmark: our page clean-up + Tesseract against plain ``tesseract IMG - -l fra``.

    python bench/ocr.py DIR [--only dev-001 ...]

For each scanned/photographed document in DIR (PNG, JPG, image-only PDF) prints plain tesseract
seconds (summed over pages), our ``ocr_pages`` seconds, their ratio, the number of words, and,
when ``<name>.truth.json`` sits beside, the fraction of the truth's line totals ("1 234,56") and
document totals found in the OCR words. Ends with the process's peak RSS.
"""
from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.models import MediaType  # noqa: E402
from extractors import ocr  # noqa: E402
from extractors.images import page_images  # noqa: E402
from extractors.ocr import ocr_pages  # noqa: E402

MEDIA_TYPES = {".pdf": MediaType.PDF, ".jpg": MediaType.JPEG, ".jpeg": MediaType.JPEG, ".png": MediaType.PNG}


def french_amount(value: float) -> str:
    """1234.5 -> '1 234,50' (space as thousands separator, comma decimal)."""
    whole, cents = f"{Decimal(str(value)):.2f}".split(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return f"{sign}{' '.join(groups)},{cents}"


def has_text_layer(path: Path) -> bool:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return any(page.chars for page in pdf.pages)


def plain_tesseract_seconds(path: Path, media_type: MediaType) -> float:
    """Plain CLI on each page as a file (PDF pages extracted as PNG first, not timed)."""
    total = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for number, image in enumerate(page_images(path, media_type), start=1):
            if media_type is MediaType.PDF:
                page_file = Path(tmp) / f"page{number}.png"
                cv2.imwrite(str(page_file), image)
            else:
                page_file = path
            started = time.perf_counter()
            subprocess.run(["tesseract", str(page_file), "-", "-l", "fra"], capture_output=True, check=True)
            total += time.perf_counter() - started
    return total


def found_fraction(expected: list[str], text: str) -> tuple[int, int]:
    # Tokens are joined with single spaces so "1 234,56" split into two words still matches.
    normalised = " " + re.sub(r"\s+", " ", text) + " "
    hits = sum(1 for amount in expected if f" {amount} " in normalised or f" {amount.replace(' ', '')} " in normalised)
    return hits, len(expected)


def designation_words_found(descriptions: list[str], tokens: list[str]) -> tuple[int, int]:
    """How many words (3+ letters) of the truth designations appear among the OCR tokens."""
    available: dict[str, int] = {}
    for token in tokens:
        key = token.lower().strip(".,;:()")
        available[key] = available.get(key, 0) + 1
    hits = total = 0
    for description in descriptions:
        for word in description.split():
            key = word.lower().strip(".,;:()")
            if len(key) < 3:
                continue
            total += 1
            if available.get(key, 0) > 0:
                available[key] -= 1
                hits += 1
    return hits, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--only", nargs="*", help="document stems to run (default: all image documents)")
    parser.add_argument("--psm", help="Tesseract page segmentation mode to try instead of the default")
    args = parser.parse_args()
    if args.psm:
        ocr.PAGE_SEGMENTATION = args.psm

    documents = []
    for path in sorted(args.directory.iterdir()):
        media_type = MEDIA_TYPES.get(path.suffix.lower())
        if media_type is None or (args.only and path.stem not in args.only):
            continue
        if media_type is MediaType.PDF and has_text_layer(path):
            continue
        documents.append((path, media_type))

    print(f"{'document':<12}{'pages':>6}{'plain s':>9}{'ours s':>8}{'ratio':>7}{'words':>7}  {'lines':>7}  {'totals':>7}  {'desc words':>10}")
    sums = {"plain": 0.0, "ours": 0.0, "line_hits": 0, "lines": 0, "total_hits": 0, "totals": 0, "word_hits": 0, "words": 0}
    for path, media_type in documents:
        plain = plain_tesseract_seconds(path, media_type)
        started = time.perf_counter()
        pages = ocr_pages(path, media_type)
        ours = time.perf_counter() - started
        text = " ".join(word.text for page in pages for word in page.words)
        words = sum(len(page.words) for page in pages)
        line_cell = total_cell = word_cell = "-"
        truth_path = path.with_suffix(".truth.json")
        if truth_path.exists():
            truth = json.loads(truth_path.read_text())
            line_hits, line_count = found_fraction([french_amount(line["total_ht"]) for line in truth["lines"]], text)
            totals = [french_amount(v) for v in truth["totals"].values() if v]
            total_hits, total_count = found_fraction(totals, text)
            sums["line_hits"] += line_hits
            sums["lines"] += line_count
            sums["total_hits"] += total_hits
            sums["totals"] += total_count
            word_hits, word_count = designation_words_found(
                [line["description"] for line in truth["lines"]], [word.text for page in pages for word in page.words]
            )
            sums["word_hits"] += word_hits
            sums["words"] += word_count
            word_cell = f"{word_hits}/{word_count}"
            line_cell = f"{line_hits}/{line_count}"
            total_cell = f"{total_hits}/{total_count}"
        sums["plain"] += plain
        sums["ours"] += ours
        print(
            f"{path.stem:<12}{len(pages):>6}{plain:>9.2f}{ours:>8.2f}{ours / plain:>7.2f}{words:>7}  {line_cell:>7}  {total_cell:>7}  {word_cell:>10}",
            flush=True,
        )
    if documents:
        print(
            f"{'all':<12}{'':>6}{sums['plain']:>9.2f}{sums['ours']:>8.2f}{sums['ours'] / sums['plain']:>7.2f}{'':>7}"
            f"  {sums['line_hits']}/{sums['lines']}  {sums['total_hits']}/{sums['totals']}  {sums['word_hits']}/{sums['words']}"
        )
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: this process {own:.0f} MB, largest tesseract child {children:.0f} MB")


if __name__ == "__main__":
    main()
