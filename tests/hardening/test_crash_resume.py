"""kill -9 a batch at several points, run it again: each document reviewed once, each event once,
no page reader or Tesseract left behind."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hardening.bad_inputs import quote_pdf

DOCUMENTS = 6


def _count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as connection:
            return connection.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:  # the schema is not there yet, or the database is busy
        return 0


def _children_of(pid: int) -> list[str]:
    """Processes left from a killed batch: page readers name their parent's pid; Tesseract."""
    left = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        text = [part.decode(errors="replace") for part in command if part]
        if text[1:3] == ["-m", "extractors.isolation"] and len(text) > 3 and text[3] == str(pid):
            left.append(" ".join(text))
    return left


def _batch(folder: Path, home: Path, db: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "QUOTE_REVIEW_HOME": str(home), "QUOTE_REVIEW_DB": f"sqlite:///{db}"}
    command = [str(Path(sys.executable).with_name("quote-review")), "batch", str(folder), "--quiet", "--out", str(out)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _kill_when(process: subprocess.Popen, db: Path, reviews: int, limit: float = 240) -> None:
    deadline = time.monotonic() + limit
    while _count(db, "select count(*) from reviews") < reviews:
        if process.poll() is not None:
            pytest.fail(f"the batch ended before it was killed: {process.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the batch made no progress")
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


def test_a_batch_killed_twice_then_resumed_reviews_each_document_once(prefect_api, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for number in range(DOCUMENTS):
        (folder / f"devis-{number}.pdf").write_bytes(quote_pdf(title=f"DEVIS lot {number}", number=100 + number))
    home, db = tmp_path / "var", tmp_path / "qr.db"

    for _ in range(2):  # killed at two points: after one more review each time
        already = _count(db, "select count(*) from reviews")
        assert already < DOCUMENTS
        process = _batch(folder, home, db, tmp_path / "out")
        _kill_when(process, db, already + 1)
        deadline = time.monotonic() + 10
        while _children_of(process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _children_of(process.pid) == [], "a page reader outlived its killed batch"

    process = _batch(folder, home, db, tmp_path / "out")
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr.decode()[-3000:]
    assert b"Traceback" not in stderr

    assert _count(db, "select count(*) from reviews") == DOCUMENTS
    assert _count(db, "select count(distinct dossier_ref) from reviews") == DOCUMENTS
    assert _count(db, "select count(*) from documents") == DOCUMENTS
    events = _count(db, "select count(*) from outbox")
    assert events >= DOCUMENTS  # at least each closing or offer
    assert _count(db, "select count(*) from deliveries") == _count(db, "select count(distinct event_id) from deliveries")
    delivered = [json.loads(path.read_text()) for path in (home / "outbox").rglob("*.json")]
    ids = [event.get("event_id") or event.get("id") for event in delivered]
    assert len(ids) == len(set(ids)) == events
    summary = (tmp_path / "out" / "summary.csv").read_text().splitlines()
    assert len(summary) == DOCUMENTS + 1


def test_ctrl_c_stops_a_batch_at_once_even_mid_read(prefect_api, tmp_path):
    # (SIGTERM stops it as cleanly, but Prefect's own SIGTERM handler, installed during a flow run,
    # lets the documents being read finish or reach their time limit first.)
    from tests.hardening.pdfs import reference_loop_pdf

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "boucle.pdf").write_bytes(reference_loop_pdf())  # keeps its page reader busy
    home, db = tmp_path / "var", tmp_path / "qr.db"
    env = {**os.environ, "QUOTE_REVIEW_HOME": str(home), "QUOTE_REVIEW_DB": f"sqlite:///{db}",
           "QUOTE_REVIEW_READ_TIMEOUT_SECONDS": "120"}
    command = [str(Path(sys.executable).with_name("quote-review")), "batch", str(folder), "--quiet"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not _children_of(process.pid):
        assert process.poll() is None and time.monotonic() < deadline, process.stderr.read().decode()[-2000:]
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert b"Traceback" not in stderr, stderr.decode()[-3000:]
    assert _children_of(process.pid) == []
