"""Exactly once in money: one acceptance per quote whatever the workers, no decision taken back once its
REN offer or payment went out, no payment released after its dossier was reopened. SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from core.errors import StateError
from core.models import Document, Dossier, MediaType
from core.settings import Settings
from handoff import FolderSink, deliver_pending
from handoff.events import event_schema
from store import open_store, quote_keys
from tests.decide.decide_helpers import GridDouble, quote_for_ttc
from workflow import DossierService

D = Decimal
TODAY = dt.date(2025, 6, 1)
# The grid is the market here: the line rules alone decide.
EXACT = Settings(market_spread=D(0), quote_spread=D(0))
MONEY = {"auto_validated", "accepted_under_200", "ren_proposed"}


def dossier(ref: str) -> Dossier:
    return Dossier(ref, dt.date(2025, 3, 1), D("150"), "degats_des_eaux", "0612345678", "a@b.fr", "69003")


def upload(store, ref: str, sha: str = "c" * 64) -> Document:
    store.create_dossier(dossier(ref), today=TODAY)
    document = Document(sha[:12], sha, MediaType.PDF, Path(f"/cas/{sha}.pdf"), "devis.pdf", 1234, 1)
    assert store.add_document(ref, document) == 1
    return document


@pytest.fixture
def store(db_url):
    opened = open_store(db_url)
    yield opened
    opened.close()


def test_two_workers_given_the_same_quote_at_once_accept_it_once(db_url, store):
    extraction, priced = quote_for_ttc("950")
    documents = {ref: upload(store, ref) for ref in ("RACE-A", "RACE-B")}
    both_checked = threading.Barrier(2, timeout=30)
    verdicts: dict[str, str] = {}
    failures: list[BaseException] = []
    # Each worker has its own engine and connections, as another process would.
    own_stores = {ref: open_store(db_url, EXACT) for ref in documents}

    def worker(ref: str) -> None:
        own = own_stores[ref]
        try:
            service = DossierService(own, EXACT)
            check = service._duplicate_of

            def checked_then_wait(*args):
                found = check(*args)
                both_checked.wait()  # both have looked for a duplicate before either records
                return found

            service._duplicate_of = checked_then_wait
            verdicts[ref] = service.decide(dossier(ref), documents[ref], 1, extraction, priced, GridDouble()).status
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            own.close()

    threads = [threading.Thread(target=worker, args=(ref,)) for ref in documents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert sorted(verdicts.values()) == ["auto_validated", "duplicate"]
    payments = [e for e in store.events() if e.type == "payment.requested"]
    assert len(payments) == 1 and verdicts[payments[0].dossier_ref] == "auto_validated"


def test_a_rerun_keeps_the_owner_accepted_and_the_copy_a_duplicate(store):
    extraction, priced = quote_for_ttc("2466.68")
    service = DossierService(store, EXACT)
    documents = {ref: upload(store, ref) for ref in ("RUN-A", "RUN-B")}
    first = [service.decide(dossier(ref), documents[ref], 1, extraction, priced, GridDouble()).status
             for ref in documents]
    again = [service.decide(dossier(ref), documents[ref], 1, extraction, priced, GridDouble()).status
             for ref in documents]
    assert first == again and first[1] == "duplicate" and first[0] in MONEY
    claims = store.quote_claims(quote_keys("c" * 64, extraction))  # the bytes, and supplier + number + TTC
    assert len(claims) == 2 and set(claims.values()) == {("RUN-A", 1)}


def test_a_later_run_never_rewrites_a_dossier_that_sent_its_ren_offer(store):
    extraction, priced = quote_for_ttc("2000")
    service = DossierService(store, EXACT)
    document = upload(store, "REN-1")
    over_priced = [type(priced[0])(**{**priced[0].__dict__, "reference_unit_price_ht": D("1000"),
                                      "reference_total_ht": D("1000"), "high_unit_ht": D("1000")})]
    offered = service.decide(dossier("REN-1"), document, 1, extraction, over_priced, GridDouble())
    assert offered.status == "ren_proposed"
    # A later run prices it again with a grid where the quote is fair: the offer that went out stands.
    later = service.decide(dossier("REN-1"), document, 1, extraction, priced, GridDouble(version="test-2"))
    assert later.status == "ren_proposed" and later.grid_version == offered.grid_version
    assert len(store.reviews("REN-1")) == 1
    assert [e.type for e in store.events("REN-1")] == ["ren_offer.requested"]


def test_reopening_cancels_the_pending_payment_and_approval_then_refuses_it(store, tmp_path):
    extraction, priced = quote_for_ttc("2500")
    service = DossierService(store, EXACT)
    document = upload(store, "PAY-1")
    decided = service.decide(dossier("PAY-1"), document, 1, extraction, priced, GridDouble())
    assert decided.status == "auto_validated" and decided.indemnity == D("2350.00")  # a team lead approves it
    store.set_approver("lea", "team_lead", by="admin")

    service.reopen("PAY-1", by="bob", reason="l'assuré conteste le métré")
    cancelled = [e for e in store.events("PAY-1") if e.type == "payment.cancelled"]
    [payment] = [e for e in store.events("PAY-1") if e.type == "payment.requested"]
    assert len(cancelled) == 1 and cancelled[0].payload["cancellation"]["payment_event_id"] == payment.id
    assert payment.payload["payment"]["approval"]["status"] == "cancelled" and not payment.releasable
    jsonschema.validate(cancelled[0].payload, event_schema("payment.cancelled"))
    with pytest.raises(StateError, match="no payment waiting"):
        service.approve_payment("PAY-1", by="lea", today=TODAY)

    service.close_dossier("PAY-1", "Clos - Refus de prise en charge", by="bob")  # nothing to pay now
    with pytest.raises(StateError, match="no payment waiting"):
        service.approve_payment("PAY-1", by="lea", today=TODAY)
    delivered_ids = {event_id for event_id, _ in deliver_pending(store, [FolderSink(tmp_path / "out")]).delivered}
    delivered = {e.type for e in store.events("PAY-1") if e.id in delivered_ids}
    assert "payment.cancelled" in delivered and "payment.requested" not in delivered


def test_a_reopened_dossier_without_a_pending_payment_cancels_nothing(store):
    extraction, priced = quote_for_ttc("950")  # paid by the robot at once: nothing was waiting
    service = DossierService(store, EXACT)
    document = upload(store, "PAY-2")
    assert service.decide(dossier("PAY-2"), document, 1, extraction, priced, GridDouble()).status == "auto_validated"
    service.reopen("PAY-2", by="bob", reason="vérification")
    assert not [e for e in store.events("PAY-2") if e.type == "payment.cancelled"]
