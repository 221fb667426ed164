"""Extraction benchmark: run ``extract_document`` over a corpus with truth files and score it.

    python bench/extraction.py CORPUS_DIR [--out PRED_DIR] [--score-py ../shared/score.py] [--jobs 2]
    python bench/extraction.py CORPUS_DIR --self-check      # truth scored against itself: all 1.000
    python bench/extraction.py ../shared/real-dev --ignore-unit   # real e-invoices: units are XML codes
    python bench/extraction.py ../shared/real-dev --pdf-dir ../shared/real-dev/flat --ignore-unit --by language
    python bench/extraction.py ../shared/corpus-dev --kinds pdf-digital not-quote   # the fast part only

Scoring is /work/shared/score.py itself (loaded by path), never a copy of its rules. Beside
the scores, per kind: seconds per page of extraction and of plain ``tesseract IMAGE - -l fra``
on the same images (the PNG/JPG, or the page images of a scanned PDF), and their ratio.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# ../shared beside the clone, or beside the folder of worktrees (a git worktree under /work/wt/NAME).
DEFAULT_SCORE_PY = next((p / "shared" / "score.py" for p in REPO.parents if (p / "shared" / "score.py").exists()),
                        REPO.parent / "shared" / "score.py")
IMAGE_KINDS = ("pdf-scan", "png-scan", "jpg-photo")


def load_scorer(path: Path):
    spec = importlib.util.spec_from_file_location("shared_score", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the scorer at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def corpus_documents(corpus: Path, pdf_dir: Path | None = None, kinds: list[str] | None = None) -> list[tuple[dict, Path]]:
    """(truth, document) pairs; ``pdf_dir`` holds the documents when they are kept apart from the truth
    (real-dev's ``flat/`` copies), ``kinds`` keeps only those kinds of document."""
    docs = []
    for truth_path in sorted(corpus.glob("*.truth.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        if kinds and truth.get("kind") not in kinds:
            continue
        truth.setdefault("language", truth["doc_id"].split("_", 1)[0] if "_" in truth["doc_id"] else None)
        docs.append((truth, (pdf_dir or corpus) / truth["file"]))
    return docs


def extract_one(path: str, doc_id: str) -> tuple[str, dict | None, int, float, str | None]:
    """Runs in a worker process: (doc_id, contract, pages, seconds, error)."""
    from extractors import extract_document

    start = time.perf_counter()
    try:
        extraction = extract_document(Path(path), doc_id)
    except Exception as exc:  # one bad document must not stop the benchmark; it scores zero
        return doc_id, None, 1, time.perf_counter() - start, f"{type(exc).__name__}: {exc}"
    return doc_id, extraction.to_contract(), extraction.pages, time.perf_counter() - start, None


def peak_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def page_images(path: Path, kind: str, workdir: Path) -> list[Path]:
    """The images plain Tesseract would be given: the file itself, or a scanned PDF's page images."""
    if kind != "pdf-scan":
        return [path]
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    images = []
    pdf = pdfium.PdfDocument(path)
    try:
        for number, page in enumerate(pdf, start=1):
            for index, obj in enumerate(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])):
                dest = workdir / f"{path.stem}-p{number}-{index}"
                obj.extract(dest)
                images.extend(workdir.glob(f"{dest.name}.*"))
    finally:
        pdf.close()
    return images


def tesseract_seconds(images: list[Path]) -> float:
    start = time.perf_counter()
    for image in images:
        subprocess.run(["tesseract", str(image), "-", "-l", "fra"], check=True, capture_output=True)
    return time.perf_counter() - start


def baseline(docs: list[tuple[dict, Path]], jobs: int) -> dict[str, float]:
    """Seconds of plain Tesseract per document, for the image kinds."""
    if shutil.which("tesseract") is None:
        return {}
    todo = [(t, p) for t, p in docs if t.get("kind") in IMAGE_KINDS
            or (t.get("kind") == "not-quote" and p.suffix.lower() in (".jpg", ".jpeg", ".png"))]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)

        def run(item):
            truth, path = item
            kind = truth["kind"] if truth["kind"] != "not-quote" else "photo"
            return truth["doc_id"], tesseract_seconds(page_images(path, kind, work))

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            return dict(pool.map(run, todo))


def fmt(value, pattern="{:.3f}") -> str:
    return "-" if value is None else pattern.format(value)


def report(scorer, docs, preds, timings, tess, errors, peak_main, peak_workers, by: str = "kind") -> dict:
    rows, by_kind_time = [], {}
    for truth, _ in docs:
        row = scorer.score_doc(truth, preds.get(truth["doc_id"]))
        row["language"] = truth.get("language")
        rows.append(row)
        pages, seconds = timings.get(truth["doc_id"], (truth.get("pages", 1), None))
        entry = by_kind_time.setdefault(truth.get("kind"), {"pages": 0, "sec": 0.0, "tess": 0.0, "tess_pages": 0})
        if seconds is not None:
            entry["pages"] += pages
            entry["sec"] += seconds
        if truth["doc_id"] in tess:
            entry["tess"] += tess[truth["doc_id"]]
            entry["tess_pages"] += truth.get("pages", 1)
    groups = {**scorer.group(rows, by), "OVERALL": scorer.aggregate(rows)}
    header = (f"{'kind':<12}{'docs':>5}{'lines':>6}{'P':>7}{'R':>7}{'F1':>7}{'HT':>7}{'TVA':>7}{'TTC':>7}"
              f"{'fields':>7}{'isQ':>7}{'s/page':>8}{'tess s/p':>9}{'ratio':>7}")
    print(header)
    print("-" * len(header))
    totals = {"pages": 0, "sec": 0.0, "tess": 0.0, "tess_pages": 0}
    for kind, agg in groups.items():
        t = by_kind_time.get(kind) if kind != "OVERALL" else totals
        if t is None:  # grouped by another key than the kind: timings are shown overall only
            t = {"pages": 0, "sec": 0.0, "tess": 0.0, "tess_pages": 0}
        elif kind != "OVERALL":
            for key in totals:
                totals[key] += t[key]
        spp = t["sec"] / t["pages"] if t["pages"] else None
        tpp = t["tess"] / t["tess_pages"] if t["tess_pages"] else None
        ratio = spp / tpp if spp is not None and tpp else None
        agg["seconds_per_page"] = spp
        agg["tesseract_seconds_per_page"] = tpp
        print(f"{kind:<12}{agg['docs']:>5}{agg['lines_true']:>6}{agg['precision']:>7.3f}{agg['recall']:>7.3f}"
              f"{agg['f1']:>7.3f}{agg['ht_exact']:>7.3f}{agg['tva_exact']:>7.3f}{agg['ttc_exact']:>7.3f}"
              f"{agg['fields_acc']:>7.3f}{agg['is_quote_acc']:>7.3f}{fmt(spp, '{:.2f}'):>8}"
              f"{fmt(tpp, '{:.2f}'):>9}{fmt(ratio, '{:.1f}x'):>7}")
    fields = groups["OVERALL"].get("fields", {})
    print("\nfields (overall): " + "  ".join(f"{k}={v:.3f}" for k, v in fields.items()))
    print(f"peak RSS: bench process {peak_main:.0f} MB, largest extraction worker {peak_workers:.0f} MB")
    if errors:
        print(f"\n{len(errors)} document(s) failed to extract:")
        for doc_id, message in sorted(errors.items())[:10]:
            print(f"  {doc_id}: {message}")
    return {"groups": groups, "docs": rows, "errors": errors}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--out", type=Path, help="where <doc_id>.json predictions go (default: a temp dir)")
    parser.add_argument("--score-py", type=Path, default=DEFAULT_SCORE_PY)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--self-check", action="store_true", help="score the truth against itself (no extraction)")
    parser.add_argument("--no-baseline", action="store_true", help="skip timing plain tesseract")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--pdf-dir", type=Path, help="read the documents from here, the truth from CORPUS")
    parser.add_argument("--ignore-unit", action="store_true",
                        help="score.py --ignore-unit: a line is right whatever its unit (real sets, whose truth "
                             "units come from XML codes the page may not print)")
    parser.add_argument("--kinds", nargs="+", help="only these kinds (pdf-digital, not-quote, pdf-scan...)")
    parser.add_argument("--by", default="kind", help="group the figures by this truth key (kind, language)")
    args = parser.parse_args(argv)

    scorer = load_scorer(args.score_py)
    scorer.IGNORE_UNIT = args.ignore_unit
    docs = corpus_documents(args.corpus, args.pdf_dir, args.kinds)
    if not docs:
        raise SystemExit(f"no *.truth.json in {args.corpus}")
    out = args.out or Path(tempfile.mkdtemp(prefix="extraction-pred-"))
    out.mkdir(parents=True, exist_ok=True)

    preds: dict[str, dict] = {}
    timings: dict[str, tuple[int, float]] = {}
    errors: dict[str, str] = {}
    peak_workers = 0.0
    started = time.perf_counter()
    if args.self_check:
        for truth, _ in docs:
            preds[truth["doc_id"]] = truth
    else:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(extract_one, str(path), truth["doc_id"]) for truth, path in docs]
            for future in futures:
                doc_id, contract, pages, seconds, error = future.result()
                timings[doc_id] = (pages, seconds)
                if error:
                    errors[doc_id] = error
                    continue
                preds[doc_id] = contract
        # The pool has joined its workers: RUSAGE_CHILDREN holds the largest one's peak.
        peak_workers = peak_rss_mb(resource.RUSAGE_CHILDREN)
    for doc_id, contract in preds.items():
        (out / f"{doc_id}.json").write_text(json.dumps(contract, ensure_ascii=False, indent=1), encoding="utf-8")
    wall = time.perf_counter() - started
    tess = {} if args.no_baseline or args.self_check else baseline(docs, args.jobs)
    peak_main = peak_rss_mb(resource.RUSAGE_SELF)
    print(f"corpus {args.corpus} ({len(docs)} documents), predictions in {out}, "
          f"extraction wall time {wall:.1f} s with {args.jobs} job(s)\n")
    result = report(scorer, docs, preds, timings, tess, errors, peak_main, peak_workers, args.by)
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
