"""Serving figures (issue 16), side by side in one run; not tests.

  python bench/serving.py verdict            # time to verdict: warm `serve` worker, cold command, ephemeral mode
  python bench/serving.py reprice --n 10000  # re-pricing N stored open dossiers on a new grid (SQLite; --db for PostgreSQL)
  python bench/serving.py throughput --docs 12 --scans 4   # pages/minute: thread runner vs Dask 1 and 2 workers

Each part starts what it needs (a Prefect server on a free port, a `serve` process) in a temporary folder
and stops it. Peak memory is the largest resident set of this process (re-pricing runs in it).
"""
import argparse
import datetime as dt
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def start_server(work: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(work / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_URL": url}
    (work / "prefect").mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              stdout=(work / "server.log").open("wb"), stderr=subprocess.STDOUT, env=env,
                              start_new_session=True)
    while not healthy(url):
        if server.poll() is not None:
            raise SystemExit("the Prefect server did not start: " + (work / "server.log").read_text()[-2000:])
        time.sleep(0.5)
    return server, url


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def make_quotes(folder: Path, digital: int, scans: int = 0) -> list[Path]:
    from corpusgen import make_document

    folder.mkdir(parents=True, exist_ok=True)
    paths = [make_document(folder, f"d{i}", "pdf-digital", seed=100 + i, template=("grid", "lots")[i % 2]).path
             for i in range(digital)]
    paths += [make_document(folder, f"s{i}", "pdf-scan", seed=200 + i, template=("grid", "lots")[i % 2]).path
              for i in range(scans)]
    for truth in folder.glob("*.truth.json"):
        truth.unlink()
    return paths


def timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    return seconds


def verdict(args) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    quotes = make_quotes(work / "docs", args.runs + 4)
    server, url = start_server(work)
    env = {**os.environ, "QUOTE_REVIEW_HOME": str(work / "var"), "PREFECT_API_URL": url, "PREFECT_HOME": str(work / "prefect")}
    env.pop("QUOTE_REVIEW_DB", None)
    serve = subprocess.Popen([str(BIN / "quote-review"), "serve"], env=env, stdout=(work / "serve.log").open("wb"),
                             stderr=subprocess.STDOUT, start_new_session=True)
    try:
        sys.path.insert(0, str(REPO))
        from flows.submit import served_deployment_id

        while served_deployment_id(url) is None:
            time.sleep(0.5)
        review = [str(BIN / "quote-review"), "review", "--guarantee", "degats_des_eaux", "--deductible", "150",
                  "--postcode", "75011", "--claim-date", "2025-03-01", "--format", "json"]
        rows = {"warm `serve` worker": [], "cold command, server running (--local)": [], "ephemeral mode (--local, no server)": []}
        timed(review + ["--dossier", "W-0", str(quotes[-1])], env)  # the first fork pays the deployment's first load
        for i in range(args.runs):
            rows["warm `serve` worker"].append(timed(review + ["--dossier", f"W-{i + 1}", str(quotes[i])], env))
        for i in range(2):
            rows["cold command, server running (--local)"].append(
                timed(review + ["--local", "--dossier", f"C-{i}", str(quotes[-2 - i])], env))
        ephemeral = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}
        ephemeral["QUOTE_REVIEW_PREFECT_PORT"] = str(free_port())  # nothing answers there: ephemeral mode
        ephemeral["PREFECT_HOME"] = str(work / "prefect-ephemeral")
        rows["ephemeral mode (--local, no server)"].append(
            timed(review + ["--local", "--dossier", "E-0", str(quotes[-4])], ephemeral))
    finally:
        stop(serve)
        stop(server)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores)")
    print("| how | runs | median s | min s | max s |\n| --- | --- | --- | --- | --- |")
    for name, values in rows.items():
        print(f"| {name} | {len(values)} | {statistics.median(values):.2f} | {min(values):.2f} | {max(values):.2f} |")
    shutil.rmtree(work, ignore_errors=True)


def _clone_dossiers(db_url: str, n: int) -> None:
    """N open dossiers from the stored ones, each with its own bytes and quote number (no duplicates)."""
    from sqlalchemy import insert, select

    from store.models import DocumentRow, DossierRow, ExtractionRow, ReviewRow
    from store.repository import open_store

    store = open_store(db_url)
    with store.transaction() as session:
        originals = [(d, doc, rev, ext) for d, doc, rev, ext in session.execute(
            select(DossierRow, DocumentRow, ReviewRow, ExtractionRow)
            .join(DocumentRow, DocumentRow.dossier_ref == DossierRow.ref)
            .join(ReviewRow, ReviewRow.document_id == DocumentRow.id)
            .join(ExtractionRow, ExtractionRow.sha256 == DocumentRow.sha256))]
        columns = lambda row: {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key != "id"}  # noqa: E731
        dossiers, documents, extractions = [], [], []
        for i in range(n):
            dossier, document, review, extraction = originals[i % len(originals)]
            ref, sha = f"BENCH-{i:06d}", uuid.uuid4().hex + uuid.uuid4().hex
            dossiers.append({**columns(dossier), "ref": ref})
            documents.append({**columns(document), "dossier_ref": ref, "sha256": sha})
            contract = {**extraction.contract, "quote_number": f"BENCH-{i}"}
            extractions.append({**columns(extraction), "sha256": sha, "contract": contract, "quote_number": f"BENCH-{i}"})
        session.execute(insert(DossierRow), dossiers)
        session.execute(insert(DocumentRow), documents)
        session.execute(insert(ExtractionRow), extractions)
        ids = dict(session.execute(select(DocumentRow.dossier_ref, DocumentRow.id).where(DocumentRow.dossier_ref.like("BENCH-%"))).all())
        reviews = []
        for i in range(n):
            _, _, review, _ = originals[i % len(originals)]
            ref = f"BENCH-{i:06d}"
            reviews.append({**columns(review), "dossier_ref": ref, "document_id": ids[ref],
                            "contract": {**review.contract, "dossier_ref": ref}})
        session.execute(insert(ReviewRow), reviews)
    store.close()


def reprice(args) -> None:
    from pipeline.review import ReviewServices, review_file
    from pricing.grid import DEFAULT_GRID_DIR, index_grid

    from core.models import Dossier

    work = Path(tempfile.mkdtemp(prefix="bench-reprice-"))
    server, url = start_server(work)
    os.environ["PREFECT_API_URL"] = url
    try:
        cheap = work / "grid-cheap"
        index_grid(source=DEFAULT_GRID_DIR, target=cheap, old_index=Decimal("100"), new_index=Decimal("50"),
                   version="bench-cheap", effective_date=dt.date(2025, 1, 1))
        db = args.db or f"sqlite:///{work / 'qr.db'}"
        services = ReviewServices.open(db, cheap, work / "var")
        for i, path in enumerate(make_quotes(work / "docs", 4)):
            review_file(services, path, Dossier(f"SEED-{i}", dt.date(2025, 3, 1), Decimal("150"), "degats_des_eaux",
                                                 postcode="75011"))
        services.close()
        started = time.perf_counter()
        _clone_dossiers(db, args.n)
        print(f"stored {args.n} open dossiers in {time.perf_counter() - started:.1f} s")
        from flows.grid_activation import reprice_open_dossiers

        for dry_run in (True, False):
            started = time.perf_counter()
            report = reprice_open_dossiers(db, str(DEFAULT_GRID_DIR), str(work / "var"), dry_run=dry_run)
            seconds = time.perf_counter() - started
            print(f"{'dry run' if dry_run else 'real run'}: {report.examined} dossiers in {seconds:.1f} s "
                  f"({report.examined / seconds:.0f}/s), {len(report.changed)} changed, {len(report.errors)} errors; "
                  f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; "
                  f"load {os.getloadavg()[0]:.1f}")
    finally:
        stop(server)
        shutil.rmtree(work, ignore_errors=True)


def throughput(args) -> None:
    from core.models import Dossier

    work = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    paths = make_quotes(work / "docs", args.docs - args.scans, args.scans)
    import pypdfium2

    pages = sum(len(pypdfium2.PdfDocument(str(p))) for p in paths)
    server, url = start_server(work)
    os.environ["PREFECT_API_URL"] = url
    from flows.dask_runner import DASK, THREAD, run_batch

    items = [(str(p), Dossier(f"T-{p.stem}", dt.date(2025, 3, 1), Decimal("150"), "degats_des_eaux", postcode="75011"))
             for p in paths]
    print(f"{len(paths)} documents ({args.scans} scans), {pages} pages")
    print("| runner | seconds | pages/minute |\n| --- | --- | --- |")
    try:
        for name, runner, workers in (("threads (2)", THREAD, 0), ("Dask, 1 worker process", DASK, 1),
                                      ("Dask, 2 worker processes", DASK, 2)):
            home = work / name.split()[0] / str(workers)
            started = time.perf_counter()
            outcomes = run_batch(items, f"sqlite:///{home / 'qr.db'}", None, str(home), runner=runner, dask_workers=workers)
            seconds = time.perf_counter() - started
            assert all(o.error is None for o in outcomes), [o.error for o in outcomes if o.error]
            print(f"| {name} | {seconds:.1f} | {pages / seconds * 60:.0f} |")
    finally:
        stop(server)
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parts = parser.add_subparsers(dest="part", required=True)
    one = parts.add_parser("verdict")
    one.add_argument("--runs", type=int, default=3)
    two = parts.add_parser("reprice")
    two.add_argument("--n", type=int, default=10000)
    two.add_argument("--db", help="database URL (default a new SQLite file)")
    three = parts.add_parser("throughput")
    three.add_argument("--docs", type=int, default=12)
    three.add_argument("--scans", type=int, default=4)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    {"verdict": verdict, "reprice": reprice, "throughput": throughput}[args.part](args)


if __name__ == "__main__":
    main()
