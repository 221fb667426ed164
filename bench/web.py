"""The web app as reviewers use it: time from upload to verdict, the dossiers list over many dossiers, memory.

    python bench/web.py [--runs 5] [--dossiers 10000] [--db URL]

Starts the real `quote-review web` in a subprocess on a fresh database (SQLite in a temporary folder
unless --db names another, e.g. a PostgreSQL database), signs in through the API and prints:
- upload -> verdict (POST /api/dossiers, then GET /api/dossiers/REF every 50 ms until it is reviewed) for
  the digital sample (each run's bytes differ by a PDF comment, so no page is read from the cache) and
  for a scanned page, the app warm;
- a page of the dossiers list (GET /api/dossiers and the HTML /dossiers, 50 rows) once --dossiers
  reviewed dossiers are in the database, first page, a middle page, a search and a filter;
- the app's peak RSS after 4 users each upload a quote and page through the list at once.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
# Run as a script, bench/ comes first on the path, and bench/decisions.py would hide the decisions package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
CLI = str(Path(sys.executable).with_name("quote-review"))
DIGITAL = REPO / "examples" / "devis-plombier-juste.pdf"
SCANNED = REPO / "examples" / "devis-scan.png"
PASSWORD = "bench password 1"
FORM = {"claim_date": "2026-01-05", "deductible": "150", "guarantee": "degats_des_eaux", "phone": "000000000",
        "email": "inconnu"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(db_url: str, count: int) -> None:
    """``count`` dossiers with a decided review each, inserted in bulk (the list reads only their columns)."""
    from sqlalchemy import insert

    from store import open_store
    from store.models import DossierRow, ReviewRow

    store = open_store(db_url)
    now = dt.datetime.now(dt.timezone.utc)
    statuses = ("to_review", "accepted_under_200", "ren_proposed", "closed", "out_of_scope")
    guarantees = ("degats_des_eaux", "incendie", "tempete_grele_neige")
    with store.transaction() as session:
        session.execute(insert(DossierRow), [
            dict(ref=f"BENCH-{i:06d}", claim_date=dt.date(2026, 1, 1), deductible_cents=15000,
                 guarantee=guarantees[i % 3], phone="000000000", email="inconnu", postcode="69003",
                 created_at=now - dt.timedelta(minutes=i), updated_at=now) for i in range(count)])
        session.execute(insert(ReviewRow), [
            dict(dossier_ref=f"BENCH-{i:06d}", document_id=None, document_version=1, cycle=0,
                 status=statuses[i % 5], decided_by="robot", motive=None, grid_version="bench",
                 quoted_ttc_cents=100_000 + 37 * i, revised_ttc_cents=90_000 + 29 * i, indemnity_cents=None,
                 contract={}, created_at=now - dt.timedelta(minutes=i)) for i in range(count)])
    store.close()


def start(db_url: str, home: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "QUOTE_REVIEW_HOME": str(home), "QUOTE_REVIEW_NEW_PASSWORD": PASSWORD}
    subprocess.run([CLI, "user", "add", "bench", "--role", "manager", "--db", db_url], env=env, check=True,
                   capture_output=True)
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen([CLI, "web", "--port", str(port), "--db", db_url], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    while True:
        try:
            if httpx.get(f"{base}/login", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if server.poll() is not None:
            raise SystemExit("the app did not start: " + server.stderr.read().decode()[-2000:])
        time.sleep(0.2)
    print(f"app started and warm in {time.perf_counter() - started:.1f} s")
    return server, base


def client(base: str) -> httpx.Client:
    session = httpx.Client(base_url=base, timeout=600)
    csrf = session.post("/api/session", json={"name": "bench", "password": PASSWORD}).json()["csrf_token"]
    session.headers["X-CSRF-Token"] = csrf
    return session


def upload_to_verdict(session: httpx.Client, ref: str, name: str, content: bytes, media: str) -> float:
    started = time.perf_counter()
    response = session.post("/api/dossiers", data=FORM | {"ref": ref}, files={"document": (name, content, media)})
    response.raise_for_status()
    while True:
        processing = session.get(f"/api/dossiers/{ref}").json()["processing"]
        if processing and processing["state"] in ("done", "error"):
            if processing["state"] == "error":
                raise SystemExit(f"{ref}: {processing['error_code']} {processing['error']}")
            return time.perf_counter() - started
        time.sleep(0.05)


def timed(session: httpx.Client, path: str, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        session.get(path).raise_for_status()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dossiers", type=int, default=10_000)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-web-"))
    db_url = args.db or f"sqlite:///{home / 'bench.db'}"
    seed(db_url, args.dossiers)
    server, base = start(db_url, home)
    try:
        session = client(base)
        digital = DIGITAL.read_bytes()
        times = [upload_to_verdict(session, f"RUN-{i}", "devis.pdf", digital + f"%run {i}\n".encode(), "application/pdf")
                 for i in range(args.runs)]
        print(f"upload -> verdict, digital quote (1 page): median {statistics.median(times):.2f} s, "
              f"min {min(times):.2f}, max {max(times):.2f} over {len(times)} runs")
        scan = upload_to_verdict(session, "RUN-SCAN", "scan.png", SCANNED.read_bytes(), "image/png")
        print(f"upload -> verdict, scanned page (PNG, OCR): {scan:.2f} s")
        print(f"dossiers list over {args.dossiers} dossiers (median of 5, 50 rows):")
        middle = max(1, args.dossiers // 100)
        for label, path in (("API first page", "/api/dossiers"),
                            ("API middle page, by TTC", f"/api/dossiers?sort=ttc&page={middle}"),
                            ("API search 'BENCH-0042'", "/api/dossiers?q=BENCH-0042"),
                            ("API filter to_review", "/api/dossiers?state=to_review"),
                            ("HTML first page", "/dossiers"),
                            ("HTML queue", "/queue")):
            print(f"  {label}: {timed(session, path) * 1000:.0f} ms")

        def user(number: int, spent: list) -> None:
            own = client(base)
            spent.append(upload_to_verdict(own, f"USER-{number}", "devis.pdf", digital + f"%user {number}\n".encode(),
                                           "application/pdf"))
            for page in range(1, 6):
                own.get(f"/dossiers?page={page}").raise_for_status()

        spent: list[float] = []
        users = [threading.Thread(target=user, args=(n, spent)) for n in range(4)]
        for thread in users:
            thread.start()
        for thread in users:
            thread.join()
        print(f"4 users at once: upload -> verdict {', '.join(f'{s:.1f}' for s in sorted(spent))} s "
              f"(one review worker: they queue); app peak RSS {peak_rss_mb(server.pid):.0f} MB")
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
