import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from core.errors import InvalidDossierError, StateError
from core.models import (
    Document,
    Dossier,
    Extraction,
    Flag,
    LineItem,
    MediaType,
    PageText,
    RuleLine,
    Supplier,
    Totals,
    Word,
)
from core.review import MOTIVE_REN, MOTIVE_REVISED, LineReview, Review
from store import open_store, validate_dossier
from store.models import Base
from workflow import DossierService

D = Decimal
TODAY = dt.date(2025, 6, 1)


@pytest.fixture
def store(db_url):
    opened = open_store(db_url)
    yield opened
    opened.close()


def make_dossier(ref="D-1", **changes):
    fields = dict(ref=ref, claim_date=dt.date(2025, 3, 1), deductible=D("150"), guarantee="degats_des_eaux",
                  phone="06 12 34 56 78", email="a@b.fr", postcode="69003")
    fields.update(changes)
    return Dossier(**fields)


def make_document(sha="a" * 64, name="devis.pdf"):
    return Document(doc_id=sha[:12], sha256=sha, media_type=MediaType.PDF, original_path=Path(f"/cas/{sha}.pdf"),
                    source_name=name, size_bytes=1234, page_count=2)


def make_extraction(doc_id="d", siret="12345678900012", number="DV-7", ttc="1100"):
    return Extraction(doc_id=doc_id, is_quote=True, supplier=Supplier("Ets Martin", siret[:9] if siret else None, siret),
                      quote_number=number, lines=[LineItem("Peinture", D("1000"), D("10"), "m2", D("100"), D("0.1"))],
                      totals=Totals(D("1000"), D("100"), D(ttc)))


def make_review(status="ren_proposed", quoted="1100", revised="800", ref="D-1", grid="g1"):
    revised_d = None if revised is None else D(revised)
    line = LineReview(0, "Peinture", D("1000"), D("1000") if revised_d is None else (revised_d / D("1.1")).quantize(D("0.01")),
                      D("0.1"), grid_item="pei_murs", reference_total_ht=D("727.27"),
                      flags=[Flag("PRICE_ABOVE_GRID", "Prix au-dessus", {"cut_ht": 272.73})])
    return Review(ref, "d", grid, status, D(quoted), revised_d, None if revised_d is None else D(quoted) - revised_d,
                  D("150"), None, [line], [])


def test_migrations_match_the_models(store):
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    assert "alembic_version" in inspect(store.engine).get_table_names()


def test_reopening_runs_no_migration_twice(db_url):
    open_store(db_url).close()
    again = open_store(db_url)
    again.create_dossier(make_dossier(), today=TODAY)
    assert again.get_dossier("D-1").deductible == D("150.00")


@pytest.mark.parametrize("changes, message", [
    ({"ref": " "}, "reference is mandatory"),
    ({"claim_date": dt.date(2025, 6, 2)}, "in the future"),
    ({"deductible": D("-1")}, "cannot be negative"),
    ({"deductible": None}, "deductible is mandatory"),
    ({"guarantee": "incendie_x"}, "is not one of"),
    ({"phone": "12"}, "use 000000000 when unknown"),
    ({"email": "nobody"}, "use 'inconnu' when unknown"),
    ({"postcode": "6900"}, "5 digits"),
])
def test_dossier_validation(changes, message):
    with pytest.raises(InvalidDossierError, match=message):
        validate_dossier(make_dossier(**changes), today=TODAY)


def test_unknown_contact_placeholders_are_valid():
    dossier = validate_dossier(make_dossier(phone="000000000", email="inconnu", postcode=None), today=TODAY)
    assert dossier.phone == "000000000" and dossier.postcode is None


def test_dossier_and_document_versions(store):
    store.create_dossier(make_dossier(), by="alice", today=TODAY)
    with pytest.raises(InvalidDossierError, match="already exists"):
        store.create_dossier(make_dossier(), today=TODAY)
    assert store.add_document("D-1", make_document("a" * 64)) == 1
    assert store.add_document("D-1", make_document("a" * 64)) == 1  # the same file again: same version
    assert store.add_document("D-1", make_document("b" * 64, "devis-v2.pdf")) == 2
    assert store.document("D-1").version == 2
    assert store.document("D-1", 1).document.sha256 == "a" * 64
    assert store.find_document("b" * 64).document.source_name == "devis-v2.pdf"
    assert store.find_document("c" * 64) is None
    with pytest.raises(InvalidDossierError):
        store.add_document("D-404", make_document())


def test_pages_and_extraction_cache(store):
    pages = [PageText(1, 595.0, 842.0, [Word("Devis", 0.1, 0.1, 0.2, 0.12, 0.93)], "ocr", [RuleLine(0, 0.5, 1, 0.5)], 1.5)]
    assert store.cached_pages("a" * 64, "1") is None
    store.save_pages("a" * 64, "1", pages)
    assert store.cached_pages("a" * 64, "1") == pages
    assert store.cached_pages("a" * 64, "2") is None
    extraction = make_extraction()
    store.save_extraction("a" * 64, "1", extraction)
    store.save_extraction("a" * 64, "1", extraction)
    assert store.cached_extraction("a" * 64, "1").to_contract() == extraction.to_contract()


def test_the_einvoice_xml_is_kept_with_the_pages(store):
    xml = "<?xml version='1.0' encoding='UTF-8'?><rsm:CrossIndustryInvoice>é</rsm:CrossIndustryInvoice>".encode()
    store.save_pages("b" * 64, "p1", [], xml)
    assert store.cached_einvoice_xml("b" * 64, "p1") == xml
    assert store.cached_einvoice_xml("b" * 64, "p2") is None
    store.save_pages("c" * 64, "p1", [])
    assert store.cached_einvoice_xml("c" * 64, "p1") is None and store.cached_pages("c" * 64, "p1") == []


def test_record_review_writes_decision_events_and_audit_once(store):
    store.create_dossier(make_dossier(), today=TODAY)
    store.add_document("D-1", make_document())
    first = DossierService(store).record_review("D-1", make_review(), 1)
    assert first.review.status == "ren_proposed"
    assert [e["type"] for e in first.review.events] == ["ren_offer.requested"]
    again = DossierService(store).record_review("D-1", make_review(), 1)  # a re-run of the same flow
    assert again.id == first.id
    assert len(store.events("D-1")) == 1
    assert [entry.action for entry in store.history("D-1")] == ["create", "add_document", "decide"]
    latest = store.latest_review("D-1")
    assert latest.review.to_contract() == first.review.to_contract()


def test_terminal_robot_decision_is_idempotent_and_blocks_other_decisions(store):
    store.create_dossier(make_dossier(), today=TODAY)
    store.add_document("D-1", make_document())
    review = make_review(status="auto_validated", revised="1100")
    review.indemnity = D("950.00")
    stored = DossierService(store).record_review("D-1", review, 1)
    assert sorted(e["type"] for e in stored.review.events) == ["dossier.closed", "payment.requested"]
    assert DossierService(store).record_review("D-1", review, 1).id == stored.id
    store.add_document("D-1", make_document("b" * 64))
    with pytest.raises(StateError, match="reopen"):
        DossierService(store).record_review("D-1", make_review(), 2)


def test_reviewer_actions_are_audited_and_closed_dossiers_are_locked(store):
    store.create_dossier(make_dossier(), today=TODAY)
    store.add_document("D-1", make_document())
    DossierService(store).record_review("D-1", make_review(), 1)
    DossierService(store).override("D-1", 0, by="alice", reason="métré vérifié", amount=D("800"))
    assert store.latest_review("D-1").review.lines[0].revised_total_ht == D("800.00")
    closed = DossierService(store).close_dossier("D-1", MOTIVE_REVISED, by="alice")
    assert closed.review.indemnity == D("730.00")  # 800 HT * 1.1 - 150
    with pytest.raises(StateError, match="reopen"):
        DossierService(store).override("D-1", 0, by="bob", reason="x", amount=D("1"))
    with pytest.raises(StateError, match="reason"):
        DossierService(store).reopen("D-1", by="bob", reason=" ")
    DossierService(store).reopen("D-1", by="bob", reason="REN finalement acceptée")
    reclosed = DossierService(store).close_dossier("D-1", MOTIVE_REN, by="bob")
    assert reclosed.review.indemnity == 0 and reclosed.cycle == 1
    history = store.history("D-1")
    assert [e.action for e in history] == ["create", "add_document", "decide", "override", "close", "reopen", "close"]
    override = history[3]
    assert override.actor == "alice" and override.reason == "métré vérifié"
    assert override.before["status"] == "ren_proposed" and override.after["status"] == "to_review"
    assert override.after["details"]["amount"] == "800"
    types = [e.type for e in store.events("D-1")]
    # The first close asked for a payment and closed; after reopening, a second close is a new event.
    assert types.count("dossier.closed") == 2 and types.count("payment.requested") == 1


def test_list_and_reprocess(store):
    for ref, status, grid in (("D-1", "ren_proposed", "g1"), ("D-2", "to_review", "g2"), ("D-3", "auto_validated", "g1")):
        store.create_dossier(make_dossier(ref), today=TODAY)
        store.add_document(ref, make_document(ref[-1] * 64))
        DossierService(store).record_review(ref, make_review(status=status, ref=ref, grid=grid), 1)
    assert [s.ref for s in store.list_dossiers()] == ["D-1", "D-2", "D-3"]
    assert [s.ref for s in store.list_dossiers("to_review")] == ["D-2"]
    assert store.list_dossiers("ren_proposed")[0].revised_ttc == D("800")
    todo = store.reviews_to_reprocess("g2")
    assert [(item.dossier_ref, item.sha256) for item in todo] == [("D-1", "1" * 64)]


def test_find_duplicate_by_bytes_and_by_supplier_number_ttc(store):
    store.create_dossier(make_dossier("D-1"), today=TODAY)
    store.create_dossier(make_dossier("D-2"), today=TODAY)
    store.add_document("D-1", make_document("a" * 64))
    store.save_extraction("a" * 64, "1", make_extraction())
    assert store.find_duplicate("D-2", 1, "a" * 64, make_extraction()) is None  # not reviewed yet
    DossierService(store).record_review("D-1", make_review(), 1)
    store.add_document("D-2", make_document("a" * 64))
    assert store.find_duplicate("D-2", 1, "a" * 64, make_extraction()) == "dossier D-1 v1"
    assert store.find_duplicate("D-1", 1, "a" * 64, make_extraction()) is None  # itself
    assert store.find_duplicate("D-2", 1, "f" * 64, make_extraction(number="DV 7")) is None
    assert store.find_duplicate("D-2", 1, "f" * 64, make_extraction()) == "dossier D-1 v1"
    assert store.find_duplicate("D-2", 1, "f" * 64, make_extraction(ttc="1100.01")) is None
    assert store.find_duplicate("D-2", 1, "f" * 64, make_extraction(siret=None)) == "dossier D-1 v1"  # by name


def test_a_reviewer_ren_offer_after_the_robots_is_a_new_event(store):
    store.create_dossier(make_dossier(), today=TODAY)
    store.add_document("D-1", make_document())
    DossierService(store).record_review("D-1", make_review(), 1)  # the robot's REN offer
    DossierService(store).override("D-1", 0, by="alice", reason="métré vérifié", amount=D("900"))
    with pytest.raises(StateError, match="reason"):
        DossierService(store).propose_ren("D-1", by="alice", reason="")
    offered = DossierService(store).propose_ren("D-1", by="alice", reason="le réseau reprend 900 € HT")
    assert offered.review.status == "ren_proposed" and offered.review.decided_by == "reviewer"
    offers = [e for e in store.events("D-1") if e.type == "ren_offer.requested"]
    assert len(offers) == 2 and offers[0].id != offers[1].id
    assert [o.payload["offer"]["work_ttc"] for o in offers] == [800.0, 990.0]
    assert [e.action for e in store.history("D-1")][-1] == "propose_ren"
