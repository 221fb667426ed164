"""`grid activate`: the active grid is recorded and every open dossier is re-decided on it, in chunks."""
import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from core.models import Dossier
from corpusgen import make_document
from pricing.grid import DEFAULT_GRID_DIR, index_grid, load_grid
from store.models import ReviewRow


def reviews(db_url: str) -> int:
    from store.repository import open_store

    store = open_store(db_url)
    try:
        with store.transaction() as session:
            return session.scalar(select(func.count(ReviewRow.id)))
    finally:
        store.close()


@pytest.fixture
def decided_on_a_cheap_grid(tmp_path):
    """Two dossiers decided on a grid at half price: their quotes are far above it, they stay open."""
    from pipeline.review import ReviewServices, review_file

    cheap = tmp_path / "grid-cheap"
    index_grid(source=DEFAULT_GRID_DIR, target=cheap, old_index=Decimal("100"), new_index=Decimal("50"),
               version="test-cheap", effective_date=dt.date(2025, 1, 1))
    home, db = tmp_path / "var", f"sqlite:///{tmp_path / 'qr.db'}"
    services = ReviewServices.open(db, cheap, home)
    try:
        for seed, template in ((3, "grid"), (5, "lots")):
            path = make_document(tmp_path, f"devis-{seed}", "pdf-digital", seed=seed, template=template).path
            dossier = Dossier(f"GA-{seed}", dt.date(2025, 3, 1), Decimal("150"), "degats_des_eaux", postcode="75011")
            outcome = review_file(services, path, dossier)
            assert outcome.review.status in {"to_review", "ren_proposed"}
    finally:
        services.close()
    return home, db


def test_repricing_redecides_open_dossiers_in_chunks_and_a_dry_run_changes_nothing(prefect_api, decided_on_a_cheap_grid,
                                                                                  monkeypatch):
    from flows.grid_activation import reprice_open_dossiers

    home, db = decided_on_a_cheap_grid

    def no_ocr(*args, **kwargs):
        raise AssertionError("re-pricing must not read pages again")

    monkeypatch.setattr("pipeline.review.read_pages", no_ocr)
    before = reviews(db)
    dry = reprice_open_dossiers(db, str(DEFAULT_GRID_DIR), str(home), dry_run=True, chunk_size=1)
    assert dry.examined == 2 and len(dry.changed) + dry.unchanged == 2 and not dry.errors
    assert reviews(db) == before and not (home / "repricing").exists()

    report = reprice_open_dossiers(db, str(DEFAULT_GRID_DIR), str(home), dry_run=False, chunk_size=1)
    # The dry run decides without recording; a dossier whose REN offer is pending keeps its decision when
    # recorded (the service's rule), so the real run may change fewer than the dry run announced.
    assert {c.dossier_ref for c in report.changed} <= {c.dossier_ref for c in dry.changed}
    assert report.changed, "a grid at twice the prices changes the revised totals"
    for change in report.changed:
        assert change.before["grid_version"] == "test-cheap"
        assert change.after["grid_version"] == load_grid().version
        assert any("reference" in why for why in change.why)
    assert reviews(db) == before + len(report.changed)
    written = json.loads(next((home / "repricing").glob("*.json")).read_text())
    assert len(written["changed"]) == len(report.changed)
    again = reprice_open_dossiers(db, str(DEFAULT_GRID_DIR), str(home))
    assert again.changed == []  # what was re-decided is on the new version now


def test_grid_activate_records_the_active_grid_and_reviews_then_price_with_it(prefect_api, decided_on_a_cheap_grid,
                                                                             tmp_path, monkeypatch):
    from cli.main import app
    from pipeline.review import ReviewServices

    home, db = decided_on_a_cheap_grid
    monkeypatch.setenv("QUOTE_REVIEW_HOME", str(home))
    monkeypatch.setenv("QUOTE_REVIEW_DB", db)
    monkeypatch.delenv("QUOTE_REVIEW_GRID_DIR", raising=False)
    version = load_grid().version

    dry = CliRunner().invoke(app, ["grid", "activate", version, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "2 open dossiers re-priced" in dry.output and "would change" in dry.output
    assert not (home / "active-grid.json").exists()

    unknown = CliRunner().invoke(app, ["grid", "activate", "no-such-version"])
    assert unknown.exit_code == 3 and "E_GRID" in unknown.output

    done = CliRunner().invoke(app, ["grid", "activate", "test-cheap", "--from", str(tmp_path / "grid-cheap")])
    assert done.exit_code == 0, done.output
    assert json.loads((home / "active-grid.json").read_text())["version"] == "test-cheap"
    services = ReviewServices.open(db, None, home)
    try:
        assert services.grid.version == "test-cheap"
    finally:
        services.close()
