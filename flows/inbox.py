"""The inbox: files dropped in a folder are reviewed once each, even across restarts.

A file is reviewed when its dossier is known: a sidecar JSON beside it (``devis.pdf.json`` or
``devis.json``) or a row of ``dossiers.csv`` in the inbox (same columns as ``batch --dossiers``).
Each run of the ``inbox`` flow:

1. takes back what a killed run left in ``.processing/`` (it was claimed but maybe not reviewed);
2. claims each new file whose size has settled, by moving it (and its sidecar) to ``.processing/``:
   a rename, so two runs never take the same file;
3. skips a file whose bytes (sha256) already have a review in the store: a run killed after the
   decision's transaction but before the file was moved on must not review it twice;
4. reviews the rest in one ``review-batch`` run, then moves each file to ``done/``, or to
   ``failed/`` with ``<name>.error.txt`` saying why.

A decision and its outbox events are written in one transaction, and an event delivered twice to
the folder sink rewrites the same file, so a crash at any point leaves no half-written review and
no event emitted twice.
"""
# No `from __future__ import annotations`: Prefect builds the parameter model from these annotations
# in the flow run's process, where a pickled flow may not see this module's names.

import csv
import datetime as dt
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from prefect import flow
from sqlalchemy import select

from core.errors import InvalidDossierError, QuoteReviewError
from core.models import Dossier
from core.settings import Settings
from store.models import DocumentRow, ReviewRow
from store.repository import Store, open_store

PROCESSING_DIR = ".processing"
DONE_DIR = "done"
FAILED_DIR = "failed"
DOSSIERS_CSV = "dossiers.csv"
SIDE_SUFFIXES = {".csv", ".json", ".md", ".txt", ".part", ".tmp"}
# A file still being copied into the inbox changes size; wait until it has not for this long.
SETTLE_SECONDS = 1.0
DOSSIER_FIELDS = ("dossier_ref", "claim_date", "deductible", "guarantee", "postcode", "phone", "email")


@dataclass
class InboxReport:
    reviewed: list[str] = field(default_factory=list)
    already_reviewed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file name, error code)
    waiting: list[str] = field(default_factory=list)  # no dossier known yet


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def already_reviewed(store: Store, sha256: str) -> bool:
    """True when a review was recorded for a document with these bytes (in any dossier)."""
    with store.transaction() as session:
        query = (select(ReviewRow.id).join(DocumentRow, DocumentRow.id == ReviewRow.document_id)
                 .where(DocumentRow.sha256 == sha256).limit(1))
        return session.scalar(query) is not None


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + ".json"), path.with_suffix(".json")]


def dossier_for(path: Path, listed: dict[str, dict]) -> Dossier | None:
    """The file's dossier from its sidecar JSON, else from dossiers.csv; None when neither names it."""
    row = None
    for sidecar in _sidecars(path):
        if sidecar.is_file():
            try:
                row = json.loads(sidecar.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise InvalidDossierError(f"unreadable sidecar {sidecar.name}: {exc}") from exc
            break
    if row is None:
        row = listed.get(path.name)
    if row is None:
        return None
    try:
        return Dossier(
            ref=str(row["dossier_ref"]), claim_date=dt.date.fromisoformat(str(row["claim_date"])),
            deductible=Decimal(str(row.get("deductible") or "0").replace(",", ".")), guarantee=str(row["guarantee"]),
            phone=str(row.get("phone") or "000000000"), email=str(row.get("email") or "inconnu"),
            postcode=str(row["postcode"]) if row.get("postcode") else None,
        )
    except (KeyError, ValueError, InvalidOperation) as exc:
        raise InvalidDossierError(f"bad dossier for {path.name}: {exc!r}") from exc


def _listed_dossiers(inbox: Path) -> dict[str, dict]:
    csv_path = inbox / DOSSIERS_CSV
    if not csv_path.is_file():
        return {}
    with csv_path.open(newline="", encoding="utf-8") as handle:
        return {row["file"]: row for row in csv.DictReader(handle) if row.get("file")}


def _is_candidate(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(".") and path.suffix.lower() not in SIDE_SUFFIXES


def _settled(path: Path, now: float) -> bool:
    return now - path.stat().st_mtime >= SETTLE_SECONDS


def _move_with_sidecars(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for sidecar in _sidecars(path):
        if sidecar.is_file() and sidecar != path:
            os.replace(sidecar, folder / sidecar.name)
    target = folder / path.name
    os.replace(path, target)
    return target


def _fail(path: Path, inbox: Path, error: QuoteReviewError) -> None:
    target = _move_with_sidecars(path, inbox / FAILED_DIR)
    target.with_name(target.name + ".error.txt").write_text(f"{error.code}\n{error.message}\n", encoding="utf-8")


def claim_files(inbox: Path, report: InboxReport) -> list[tuple[Path, Dossier]]:
    """What this run reviews: leftovers of a killed run, then new settled files with a known dossier."""
    processing = inbox / PROCESSING_DIR
    processing.mkdir(parents=True, exist_ok=True)
    listed = _listed_dossiers(inbox)
    claimed: list[tuple[Path, Dossier]] = []
    now = time.time()
    leftovers = sorted(p for p in processing.iterdir() if _is_candidate(p))
    fresh = sorted(p for p in inbox.iterdir() if _is_candidate(p) and _settled(p, now))
    for path in leftovers + fresh:
        try:
            dossier = dossier_for(path, listed)
        except InvalidDossierError as error:
            _fail(path, inbox, error)
            report.failed.append((path.name, error.code))
            continue
        if dossier is None:
            report.waiting.append(path.name)
            continue
        if path.parent != processing:
            if (processing / path.name).exists():
                continue  # a file of the same name is in work; this one waits for the next run
            if dossier_for(path, {}) is None:  # listed in the CSV only: keep its row with it
                (processing / (path.name + ".json")).write_text(json.dumps(_dossier_json(dossier)), encoding="utf-8")
            path = _move_with_sidecars(path, processing)
        claimed.append((path, dossier))
    return claimed


def _dossier_json(dossier: Dossier) -> dict:
    return {"dossier_ref": dossier.ref, "claim_date": dossier.claim_date.isoformat(), "deductible": str(dossier.deductible),
            "guarantee": dossier.guarantee, "postcode": dossier.postcode, "phone": dossier.phone, "email": dossier.email}


def process_inbox(inbox_dir: str | Path, db_url: str | None, grid_dir: str | None, home: str | Path, review) -> InboxReport:
    """One pass over the inbox; ``review(items)`` reviews ``[(path, dossier)]`` and returns their outcomes."""
    inbox = Path(inbox_dir)
    report = InboxReport()
    claimed = claim_files(inbox, report)
    if not claimed:
        return report
    settings = Settings.load().updated({"home": Path(home)}, origin="home")
    store = open_store(db_url or settings.db_url, settings)
    try:
        to_review = []
        for path, dossier in claimed:
            if already_reviewed(store, sha256_of(path)):
                _move_with_sidecars(path, inbox / DONE_DIR)
                report.already_reviewed.append(path.name)
            else:
                to_review.append((path, dossier))
    finally:
        store.close()
    if not to_review:
        return report
    outcomes = review([(str(path), dossier) for path, dossier in to_review])
    for (path, _), outcome in zip(to_review, outcomes):
        if outcome.error is not None:
            _fail(path, inbox, outcome.error)
            report.failed.append((path.name, outcome.error.code))
        else:
            _move_with_sidecars(path, inbox / DONE_DIR)
            report.reviewed.append(path.name)
    return report


@flow(name="inbox", log_prints=False, persist_result=False)
def watch_inbox(inbox_dir: str, db_url: str | None = None, grid_dir: str | None = None, home: str = "var") -> InboxReport:
    """Review what was dropped in the inbox since the last run (see the module's docstring)."""
    from flows.review import review_batch

    return process_inbox(inbox_dir, db_url, grid_dir, home,
                         lambda items: review_batch(items, db_url, grid_dir, home))
