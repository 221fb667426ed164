"""Time from command to first verdict, and peak memory, as a user sees them.

    python bench/foundation.py [--skip-ephemeral]

Runs the real CLI in subprocesses (so Prefect, spaCy and OCR are all counted) and prints:
- `quote-review review` on a digital sample: wall seconds and peak RSS, against a running
  `quote-review server` and in Prefect's ephemeral mode;
- `quote-review extract` on a 30-page scanned PDF built from a sample scan: seconds, seconds per
  page and peak RSS (pages are read one at a time, so RSS must not grow with the page count).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pypdfium2

REPO = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("quote-review"))
SAMPLE = REPO / "examples" / "devis-plombier-juste.pdf"
SCAN = REPO / "examples" / "devis-scanne-cher.pdf"


# A fresh wrapper per measure: RUSAGE_CHILDREN is the largest process it waited for (the command, or a
# temporary Prefect server the command started and stopped).
_WRAPPER = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)")


def run(args: list[str], env: dict) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB, exit code of one command."""
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-c", _WRAPPER, *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if completed.returncode != 0 or not completed.stdout.strip():
        print(completed.stderr[-2000:], file=sys.stderr)
        return seconds, float("nan"), completed.returncode
    peak_kb, code = completed.stdout.split()
    if int(code) not in (0, 2):
        print(completed.stderr[-2000:], file=sys.stderr)
    return seconds, int(peak_kb) / 1024, int(code)


def thirty_page_scan(target: Path) -> Path:
    pdf = pypdfium2.PdfDocument(str(SCAN))
    page = pdf[0].render(scale=200 / 72, grayscale=True).to_pil()
    pdf.close()
    page.save(target, "PDF", resolution=200, save_all=True, append_images=[page] * 29)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-ephemeral", action="store_true", help="skip the slow ephemeral-mode measure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        env = {**os.environ, "QUOTE_REVIEW_HOME": str(scratch / "var"), "QUOTE_REVIEW_PREFECT_PORT": "4299",
               "QUOTE_REVIEW_DB": f"sqlite:///{scratch / 'bench.db'}"}
        env.pop("PREFECT_API_URL", None)
        review = [CLI, "review", str(SAMPLE), "--dossier", "BENCH-1", "--postcode", "75011", "--guarantee",
                  "degats_des_eaux", "--deductible", "150"]
        rows = []
        if not args.skip_ephemeral:
            seconds, rss, code = run(review, env)
            rows.append(("review, ephemeral Prefect", seconds, rss, code))
        subprocess.run([CLI, "server", "start"], env=env, check=True, stdout=subprocess.DEVNULL)
        try:
            for attempt in (1, 2):
                seconds, rss, code = run(review[:4] + [f"BENCH-S{attempt}"] + review[5:], env)
                rows.append((f"review, server running (run {attempt})", seconds, rss, code))
        finally:
            subprocess.run([CLI, "server", "stop"], env=env, stdout=subprocess.DEVNULL)
        scan = thirty_page_scan(scratch / "scan-30.pdf")
        seconds, rss, code = run([CLI, "extract", str(scan), "--out", str(scratch / "out")], env)
        rows.append(("extract, 30-page scanned PDF", seconds, rss, code))
    print(f"{'measure':40} {'seconds':>8} {'peak RSS MB':>12} {'exit':>5}")
    for name, seconds, rss, code in rows:
        print(f"{name:40} {seconds:8.1f} {rss:12.0f} {code:5d}")
    print(f"30-page scan: {rows[-1][1] / 30:.2f} s per page")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
