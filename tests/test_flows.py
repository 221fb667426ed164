"""The Prefect flows end to end, against a local Prefect server, on generated documents."""
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from core.models import Dossier
from corpusgen import make_document

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    folder = tmp_path_factory.mktemp("docs")
    quote = make_document(folder, "devis-a", "pdf-digital", seed=3, template="grid")
    other = make_document(folder, "devis-b", "pdf-digital", seed=5, template="lots")
    (folder / "vide.pdf").write_bytes(b"")
    (folder / "notes.pdf").write_text("pas un pdf\n")
    (folder / "casse.pdf").write_bytes(quote.path.read_bytes()[:900])
    for truth in folder.glob("*.truth.json"):
        truth.rename(folder.parent / truth.name)  # keep truth files out of the batch folder
    return folder, quote, other


def dossier(ref: str, postcode: str = "75011") -> Dossier:
    return Dossier(ref=ref, claim_date=dt.date(2025, 3, 1), deductible=Decimal("150"), guarantee="degats_des_eaux",
                   postcode=postcode)


def test_review_quote_decides_records_and_hands_off_each_event_once(prefect_api, documents, tmp_path):
    from flows.review import review_quote

    folder, quote, _ = documents
    db = f"sqlite:///{tmp_path / 'qr.db'}"
    outcome = review_quote(str(quote.path), dossier("SIN-1"), db, None, str(tmp_path / "var"))
    assert outcome.error is None
    contract = outcome.review.to_contract()
    jsonschema.validate(contract, json.loads((SCHEMAS / "review.schema.json").read_text()))
    assert contract["quoted_ttc"] == quote.truth["totals"]["ttc"]
    assert len(contract["lines"]) == len(quote.truth["lines"])
    kept = list((tmp_path / "var" / "originals").rglob("*.pdf"))
    assert [p.read_bytes() for p in kept] == [quote.path.read_bytes()]
    outbox = sorted(p.name for p in (tmp_path / "var" / "outbox").rglob("*.json"))
    assert outbox and set(outbox) <= {e["id"] + ".json" for e in contract["events"]}

    again = review_quote(str(quote.path), dossier("SIN-1"), db, None, str(tmp_path / "var"))
    assert again.review.to_contract()["status"] == contract["status"]
    assert sorted(p.name for p in (tmp_path / "var" / "outbox").rglob("*.json")) == outbox


def test_review_batch_goes_on_past_bad_files_and_spots_the_duplicate(prefect_api, documents, tmp_path):
    from flows.review import review_batch

    folder, quote, other = documents
    items = [(str(p), dossier(f"B-{p.stem}")) for p in sorted(folder.iterdir())]
    items.append((str(quote.path), dossier("B-again")))
    outcomes = review_batch(items, f"sqlite:///{tmp_path / 'qr.db'}", None, str(tmp_path / "var"))
    by_ref = {o.dossier_ref: o for o in outcomes}
    assert by_ref["B-vide"].error.code == "E_EMPTY"
    assert by_ref["B-notes"].error.code == "E_UNSUPPORTED_TYPE"
    assert by_ref["B-casse"].error.code == "E_CORRUPT"
    assert by_ref["B-devis-b"].review is not None
    statuses = {by_ref["B-devis-a"].review.status, by_ref["B-again"].review.status}
    assert "duplicate" in statuses
    kept = {p.read_bytes() for p in (tmp_path / "var" / "originals").rglob("*.*")}
    assert b"" in kept and b"pas un pdf\n" in kept


def test_reprocessing_with_a_new_grid_reuses_the_stored_pages(prefect_api, documents, tmp_path, monkeypatch):
    from flows.reprocess import reprocess_open_dossiers
    from flows.review import review_quote
    from pricing.grid import index_grid, load_grid

    _, _, other = documents
    db = f"sqlite:///{tmp_path / 'qr.db'}"
    # Decided first against a grid at half price, the quote is far above it: the dossier stays open.
    cheap = tmp_path / "grid-cheap"
    index_grid(source=Path(__file__).resolve().parents[1] / "reference_prices", target=cheap, old_index=Decimal("100"),
               new_index=Decimal("50"), version="test-cheap", effective_date=dt.date(2025, 1, 1))
    first = review_quote(str(other.path), dossier("R-1"), db, str(cheap), str(tmp_path / "var"))
    assert first.review.status in {"to_review", "ren_proposed"}

    def no_ocr(*args, **kwargs):
        raise AssertionError("reprocessing must not read pages again")

    monkeypatch.setattr("pipeline.review.read_pages", no_ocr)
    report = reprocess_open_dossiers(db, None, str(tmp_path / "var"))
    assert report.grid_version == load_grid().version
    assert len(report.changed) + len(report.unchanged) == 1
    assert not report.errors
    assert reprocess_open_dossiers(db, None, str(tmp_path / "var")).changed == []
