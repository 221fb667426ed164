"""The cost of reading pages in a worker process (extractors/isolation.py) on the warm path.

    python bench/isolation.py CORPUS_DIR [--repeat 3]

For every digital PDF of the corpus (a text layer on each page), the seconds per page read in
this process and read through the warm worker, and the first document's cost (worker start).
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from extractors import read_pages, read_pages_here
from extractors.isolation import reader_pool
from ingestion.ingest import inspect_file
from core.models import MediaType


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    digital = []
    for path in sorted(args.corpus.glob("*.pdf")):
        pages = read_pages_here(path, MediaType.PDF)
        if all(page.source == "text_layer" for page in pages):
            digital.append((path, len(pages)))
    page_total = sum(count for _, count in digital)
    started = time.perf_counter()
    read_pages(digital[0][0], MediaType.PDF)
    first = time.perf_counter() - started
    here, isolated = [], []
    for _ in range(args.repeat):
        for reader, times in ((read_pages_here, here), (read_pages, isolated)):
            started = time.perf_counter()
            for path, _ in digital:
                inspect_file(path)
                reader(path, MediaType.PDF)
            times.append((time.perf_counter() - started) / page_total)
    print(f"{len(digital)} digital PDFs, {page_total} pages, best of {args.repeat}")
    print(f"in this process   {min(here):.4f} s/page (median {statistics.median(here):.4f})")
    print(f"in the worker     {min(isolated):.4f} s/page (median {statistics.median(isolated):.4f})")
    print(f"first document through a new worker: {first:.2f} s (worker start and imports)")
    reader_pool().close()


if __name__ == "__main__":
    main()
