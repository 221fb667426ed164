"""`quote-review serve`: the inbox, retries, the served deployments, Prefect's own CLI against the server."""
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.errors import EmptyFileError, OcrError
from core.models import Dossier
from corpusgen import make_document
from store.models import OutboxRow, ReviewRow
from store.repository import open_store

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def quotes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve-docs")
    return [make_document(folder, f"devis-{seed}", "pdf-digital", seed=seed, template=template).path
            for seed, template in ((3, "grid"), (5, "lots"))]


def sidecar(ref: str) -> str:
    return json.dumps({"dossier_ref": ref, "claim_date": "2025-03-01", "deductible": "150",
                       "guarantee": "degats_des_eaux", "postcode": "75011"})


def settled(path: Path) -> None:
    """As if the file had been dropped a minute ago (the inbox waits for a file's size to settle)."""
    past = time.time() - 60
    os.utime(path, (past, past))


def count(db_url: str, column) -> int:
    store = open_store(db_url)
    try:
        with store.transaction() as session:
            return session.scalar(select(func.count(column)))
    finally:
        store.close()


def test_inbox_reviews_each_file_once_moves_failures_aside_and_waits_for_a_dossier(prefect_api, quotes, tmp_path):
    from flows.inbox import watch_inbox

    inbox, home = tmp_path / "inbox", tmp_path / "var"
    inbox.mkdir()
    db = f"sqlite:///{tmp_path / 'qr.db'}"
    first, second = quotes
    (inbox / "a.pdf").write_bytes(first.read_bytes())
    (inbox / "a.pdf.json").write_text(sidecar("IN-A"))
    (inbox / "b.pdf").write_bytes(second.read_bytes())
    (inbox / "dossiers.csv").write_text("file,dossier_ref,claim_date,deductible,guarantee,postcode\n"
                                        "b.pdf,IN-B,2025-03-01,150,degats_des_eaux,75011\n")
    (inbox / "vide.pdf").write_bytes(b"")
    (inbox / "vide.json").write_text(sidecar("IN-V"))
    (inbox / "orphan.pdf").write_bytes(first.read_bytes()[:100])
    for path in inbox.iterdir():
        settled(path)

    report = watch_inbox(str(inbox), db, None, str(home))
    assert sorted(report.reviewed) == ["a.pdf", "b.pdf"]
    assert report.failed == [("vide.pdf", "E_EMPTY")]
    assert report.waiting == ["orphan.pdf"]
    assert sorted(p.name for p in (inbox / "done").iterdir() if p.suffix == ".pdf") == ["a.pdf", "b.pdf"]
    assert (inbox / "failed" / "vide.pdf.error.txt").read_text().startswith("E_EMPTY\n")
    assert (inbox / "orphan.pdf").exists()
    reviews = count(db, ReviewRow.id)
    assert reviews == 2

    # The same bytes dropped again, and a file a killed run left claimed: neither is reviewed again.
    (inbox / "again.pdf").write_bytes(first.read_bytes())
    (inbox / "again.pdf.json").write_text(sidecar("IN-C"))
    settled(inbox / "again.pdf")
    (inbox / ".processing" / "b-left.pdf").write_bytes(second.read_bytes())
    (inbox / ".processing" / "b-left.pdf.json").write_text(sidecar("IN-B"))
    report = watch_inbox(str(inbox), db, None, str(home))
    assert sorted(report.already_reviewed) == ["again.pdf", "b-left.pdf"]
    assert report.reviewed == [] and count(db, ReviewRow.id) == reviews
    assert not [p for p in (inbox / ".processing").iterdir()]


def test_page_reading_retries_a_transient_ocr_failure_but_bad_input_is_tried_once(prefect_api, quotes, tmp_path,
                                                                                  monkeypatch):
    import flows.review as review_flows
    import pipeline.review as stages

    calls = {"pages": 0, "ingest": 0}
    real_read_pages, real_ingest = stages.read_pages, stages.ingest

    def flaky_read_pages(*args):
        calls["pages"] += 1
        if calls["pages"] == 1:
            raise OcrError("tesseract took longer than 60 s on one page")
        return real_read_pages(*args)

    def counted_ingest(*args):
        calls["ingest"] += 1
        return real_ingest(*args)

    monkeypatch.setattr(stages, "read_pages", flaky_read_pages)
    monkeypatch.setattr(stages, "ingest", counted_ingest)
    dossier = Dossier("RT-1", dt.date(2025, 3, 1), Decimal("150"), "degats_des_eaux", postcode="75011")
    db = f"sqlite:///{tmp_path / 'qr.db'}"
    outcome = review_flows.review_quote(str(quotes[0]), dossier, db, None, str(tmp_path / "var"))
    assert outcome.error is None and calls["pages"] == 2

    empty = tmp_path / "vide.pdf"
    empty.write_bytes(b"")
    outcome = review_flows.review_quote(str(empty), dossier, db, None, str(tmp_path / "var"))
    assert isinstance(outcome.error, EmptyFileError) and calls["ingest"] == 2  # once for each file


@pytest.fixture(scope="module")
def served(prefect_api, tmp_path_factory):
    """`quote-review serve` in a subprocess against the test server; yields its home."""
    from flows.submit import served_deployment_id

    home = tmp_path_factory.mktemp("served")
    env = {**os.environ, "QUOTE_REVIEW_HOME": str(home / "var"), "PREFECT_API_URL": prefect_api}
    env.pop("QUOTE_REVIEW_DB", None)
    log = (home / "serve.log").open("wb")
    process = subprocess.Popen([str(Path(sys.executable).with_name("quote-review")), "serve", "--inbox-every", "60"],
                               stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.monotonic() + 120
    while served_deployment_id(prefect_api) is None:
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail("serve did not start: " + (home / "serve.log").read_text()[-3000:])
        time.sleep(0.5)
    yield home / "var"
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def test_review_submits_to_the_served_deployment(served, prefect_api, quotes, tmp_path):
    env = {**os.environ, "QUOTE_REVIEW_HOME": str(served), "PREFECT_API_URL": prefect_api}
    env.pop("QUOTE_REVIEW_DB", None)
    command = [str(Path(sys.executable).with_name("quote-review")), "review", "--dossier", "SV-1",
               "--guarantee", "degats_des_eaux", "--deductible", "150", "--postcode", "75011",
               "--claim-date", "2025-03-01", "--format", "json"]
    done = subprocess.run(command + [str(quotes[0])], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["dossier_ref"] == "SV-1"
    assert "starting a temporary one" not in done.stderr
    assert not list((served / "runs").glob("*.json"))  # the outcome file was taken

    empty = tmp_path / "vide.pdf"
    empty.write_bytes(b"")
    refused = subprocess.run(command + [str(empty)], env=env, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "E_EMPTY" in refused.stderr

    # The flow runs are the server's: Prefect's own CLI lists them and the deployments.
    prefect = str(Path(sys.executable).with_name("prefect"))
    for args, expected in ((["deployment", "ls"], "review-quote/serve"), (["flow-run", "ls", "--flow-name", "review-quote"], "COMPLETED")):
        listed = subprocess.run([prefect, *args], env={**env, "COLUMNS": "200"}, capture_output=True, text=True,
                                timeout=120)
        assert listed.returncode == 0, listed.stderr
        assert expected in listed.stdout
    assert count(f"sqlite:///{served / 'quote-review.db'}", ReviewRow.id) == 1


CRASHING_RUN = """
import sys
from flows.inbox import watch_inbox
watch_inbox(sys.argv[1], sys.argv[2], None, sys.argv[3])
"""


def test_an_inbox_run_killed_mid_batch_and_restarted_reviews_each_file_once(prefect_api, tmp_path):
    from flows.inbox import watch_inbox
    from store.models import DeliveryRow, DocumentRow

    inbox, home = tmp_path / "inbox", tmp_path / "var"
    inbox.mkdir()
    db = f"sqlite:///{tmp_path / 'qr.db'}"
    templates = ("grid", "lots") * 5  # enough work that the kill lands mid-batch even on a busy machine
    for index, template in enumerate(templates):
        path = make_document(inbox, f"devis-{index}", "pdf-digital", seed=10 + index, template=template).path
        (inbox / f"devis-{index}.truth.json").unlink(missing_ok=True)
        (inbox / f"devis-{index}.json").write_text(sidecar(f"KILL-{index}"))
        settled(path)

    env = {**os.environ, "PREFECT_API_URL": prefect_api}
    worker = subprocess.Popen([sys.executable, "-c", CRASHING_RUN, str(inbox), db, str(home)], env=env,
                              stdout=subprocess.DEVNULL, stderr=(tmp_path / "worker.err").open("w"),
                              start_new_session=True)
    deadline = time.monotonic() + 300
    reviewed_at_kill = 0
    while worker.poll() is None and time.monotonic() < deadline:
        if (tmp_path / "qr.db").exists():
            try:
                reviewed_at_kill = count(db, ReviewRow.id)
            except Exception:  # the schema is being created
                reviewed_at_kill = 0
            if reviewed_at_kill >= 1:
                break
        time.sleep(0.05)
    if worker.poll() is not None:
        pytest.fail(f"the inbox run ended (exit {worker.returncode}) before it could be killed mid-batch: "
                    f"{(tmp_path / 'worker.err').read_text()[-2000:]}")
    os.killpg(worker.pid, signal.SIGKILL)  # kill -9, mid-batch
    worker.wait()
    assert 1 <= reviewed_at_kill < len(templates)

    report = watch_inbox(str(inbox), db, None, str(home))
    assert len(report.reviewed) + len(report.already_reviewed) == len(templates) and not report.failed

    from store.repository import open_store

    store = open_store(db)
    try:
        with store.transaction() as session:
            per_dossier = session.execute(select(ReviewRow.dossier_ref, func.count()).group_by(ReviewRow.dossier_ref)).all()
            documents = session.scalar(select(func.count(DocumentRow.id)))
            # a payment waiting for its approver is not released: it is not delivered yet, by design
            events = session.scalars(select(OutboxRow.id).where(OutboxRow.releasable.is_(True))).all()
            deliveries = session.execute(select(DeliveryRow.event_id, DeliveryRow.delivered_at)).all()
    finally:
        store.close()
    assert sorted(per_dossier) == [(f"KILL-{i}", 1) for i in range(len(templates))]  # one review each
    assert documents == len(templates)
    assert len(deliveries) == len(events) and all(at is not None for _, at in deliveries)
    emitted = sorted(p.stem for p in (home / "outbox").rglob("*.json"))
    assert emitted == sorted(events)  # each event emitted once, none lost
    assert sorted(p.name for p in (inbox / "done").glob("*.pdf")) == [f"devis-{i}.pdf" for i in range(len(templates))]
    assert not list((inbox / ".processing").iterdir())
