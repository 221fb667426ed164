"""The REN offer's life: every move of the state machine, then each answer through the store on both backends."""
import datetime as dt
import itertools
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from cli.ren import ren_app
from core.errors import StateError
from core.models import Document, Dossier, MediaType
from core.review import MOTIVE_REN, MOTIVE_REVISED, LineReview, Review
from core.settings import Settings
from handoff.events import event_schema
from handoff.ren_mission import REN_MISSION_REQUESTED, REN_PROVENANCE
from ren import Answer, OfferState, RenOffers, next_state
from ren.lifecycle import ALREADY_DONE, TRANSITIONS
from store import open_store
from store.audit_chain import verify_store
from workflow import DossierService

D = Decimal
TODAY = dt.date(2025, 6, 1)

# --- the state machine, move by move ------------------------------------------------------------------

ALLOWED = {
    ("offered", "accept"): "accepted",
    ("offered", "refuse"): "refused",
    ("offered", "expire"): "expired",
}
NO_OPS = {
    ("accepted", "accept"), ("refused", "refuse"), ("expired", "refuse"), ("expired", "expire"),
    ("accepted", "expire"), ("refused", "expire"), ("withdrawn", "expire"),
}
CONTRADICTIONS = {
    ("accepted", "refuse"), ("refused", "accept"), ("expired", "accept"), ("withdrawn", "accept"),
    ("withdrawn", "refuse"),
}


def test_every_state_and_answer_pair_is_classified_once():
    pairs = set(itertools.product([s.value for s in OfferState], [a.value for a in Answer]))
    assert ALLOWED.keys() | NO_OPS | CONTRADICTIONS == pairs
    assert not (ALLOWED.keys() & NO_OPS) and not (NO_OPS & CONTRADICTIONS) and not (ALLOWED.keys() & CONTRADICTIONS)
    assert {(s.value, a.value): t.value for (s, a), t in TRANSITIONS.items()} == ALLOWED
    assert {(s.value, a.value) for s, a in ALREADY_DONE} == NO_OPS


@pytest.mark.parametrize("state, answer", sorted(ALLOWED))
def test_allowed_moves(state, answer):
    assert next_state(state, answer) == ALLOWED[(state, answer)]


@pytest.mark.parametrize("state, answer", sorted(NO_OPS))
def test_the_same_outcome_again_is_a_no_op(state, answer):
    assert next_state(state, answer) is None


@pytest.mark.parametrize("state, answer", sorted(CONTRADICTIONS))
def test_contradictory_answers_are_refused(state, answer):
    with pytest.raises(StateError, match=f"already {state}"):
        next_state(state, answer)


# --- through the store ----------------------------------------------------------------------------------


@pytest.fixture
def store(db_url):
    opened = open_store(db_url, Settings(ren_offer_expiry_days=10))
    yield opened
    opened.close()


def ren_dossier(store, ref="SIN-1"):
    """A dossier the robot offered REN on: quoted 1 650 TTC, revised 1 100 TTC, deductible 150."""
    store.create_dossier(Dossier(ref, dt.date(2025, 3, 1), D("150"), "degats_des_eaux", "0612345678", "a@b.fr",
                                 "69003"), today=TODAY)
    store.add_document(ref, Document("d", ref.encode().hex().ljust(64, "0")[:64], MediaType.PDF, Path("/x.pdf"),
                                     "x.pdf", 10, 1))
    lines = [LineReview(0, "Peinture murs", D("1500"), D("1000"), D("0.1"), grid_item="pei_murs", quantity=D("20"),
                        unit="m2", reference_total_ht=D("1000")),
             LineReview(1, "Dépose mobilier", D("0"), D("0"), D("0.1"), covered=False)]
    review = Review(ref, "d", "g1", "ren_proposed", D("1650"), D("1100"), D("550"), D("150"), None, lines, [])
    return DossierService(store).record_review(ref, review, 1)


def events_of(store, ref, event_type):
    return [e for e in store.events(ref) if e.type == event_type]


def test_a_ren_decision_opens_one_offer_and_audits_it(store):
    stored = ren_dossier(store)
    DossierService(store).record_review("SIN-1", stored.review, 1)  # the same decision again
    [offer] = RenOffers(store).list()
    assert offer.state == "offered" and offer.offered_by == "robot"
    assert (offer.revised_ttc, offer.saving_ttc) == (D("1100"), D("550"))
    assert offer.event_id == events_of(store, "SIN-1", "ren_offer.requested")[0].id
    assert [line["description"] for line in offer.lines] == ["Peinture murs", "Dépose mobilier"]
    assert [e.action for e in store.history("SIN-1")].count("ren_offered") == 1


def test_accepted_opens_one_mission_and_closes_clos_ren(store):
    ren_dossier(store)
    offers = RenOffers(store)
    result = offers.accept("SIN-1", by="alice", reason="l'assuré accepte au téléphone")
    assert result.changed and result.offer.state == "accepted" and result.offer.answered_by == "alice"
    review = result.review.review
    assert (review.status, review.motive, review.indemnity) == ("closed", MOTIVE_REN, D("0"))
    [mission] = events_of(store, "SIN-1", REN_MISSION_REQUESTED)
    jsonschema.validate(mission.payload, event_schema(REN_MISSION_REQUESTED))
    body = mission.payload["mission"]
    assert body["provenance"] == REN_PROVENANCE == "REN suite revue"
    assert body["revised_ttc"] == 1100.0 and body["site"] == {"postcode": "69003"}
    assert body["contact"] == {"phone": "0612345678", "email": "a@b.fr"}
    assert [line["description"] for line in body["work_lines"]] == ["Peinture murs"]  # uncovered work left out
    assert result.offer.result_event_id == mission.id
    assert events_of(store, "SIN-1", "payment.requested") == []
    assert len(events_of(store, "SIN-1", "dossier.closed")) == 1

    again = offers.accept("SIN-1", by="bob")
    assert not again.changed and again.offer.answered_by == "alice"
    assert len(events_of(store, "SIN-1", REN_MISSION_REQUESTED)) == 1
    assert [e.action for e in store.history("SIN-1")].count("ren_accepted") == 1
    with pytest.raises(StateError, match="already accepted"):
        offers.refuse("SIN-1", by="bob")
    assert verify_store(store).intact


def test_refused_pays_the_revised_amount_through_the_payment_path(store):
    ren_dossier(store)
    offers = RenOffers(store)
    result = offers.refuse("SIN-1", by="alice", reason="préfère son artisan")
    review = result.review.review
    assert (review.status, review.motive, review.indemnity) == ("closed", MOTIVE_REVISED, D("950"))  # 1 100 - 150
    [payment] = events_of(store, "SIN-1", "payment.requested")
    assert payment.payload["payment"]["amount"] == 950.0 and payment.payload["payment"]["basis"] == "revised"
    assert payment.payload["payment"]["approval"]["level"] == "auto"
    assert result.offer.result_event_id == payment.id
    assert not offers.refuse("SIN-1", by="alice").changed
    assert len(events_of(store, "SIN-1", "payment.requested")) == 1
    with pytest.raises(StateError, match="already refused"):
        offers.accept("SIN-1", by="bob")
    entry = [e for e in store.history("SIN-1") if e.action == "ren_refused"][0]
    assert entry.actor == "alice" and entry.reason == "préfère son artisan"
    assert entry.after["offer"]["state"] == "refused" and entry.before["offer"]["state"] == "offered"


def test_an_unanswered_offer_expires_after_the_configured_days(store):
    ren_dossier(store)
    offers = RenOffers(store)
    [offer] = offers.list()
    assert offers.expire(now=offer.offered_at + dt.timedelta(days=9, hours=23)) == []
    [expired] = offers.expire(now=offer.offered_at + dt.timedelta(days=10))
    assert expired.offer.state == "expired" and expired.offer.answer_reason == "no answer within 10 days"
    review = expired.review.review
    assert (review.motive, review.indemnity, review.decided_by) == (MOTIVE_REVISED, D("950"), "robot")
    assert len(events_of(store, "SIN-1", "payment.requested")) == 1
    assert offers.expire(now=offer.offered_at + dt.timedelta(days=30)) == []
    assert not offers.refuse("SIN-1", by="alice").changed  # the refusal arrives late: already as refused
    with pytest.raises(StateError, match="already expired"):
        offers.accept("SIN-1", by="alice")


def test_the_networks_answer_with_an_idempotency_key(store):
    ren_dossier(store, "SIN-1")
    ren_dossier(store, "SIN-2")
    offers = RenOffers(store)
    first = offers.answer("SIN-1", "accept", by="reseau", idempotency_key="k-1")
    assert first.changed and first.offer.idempotency_key == "k-1"
    again = offers.answer("SIN-1", "accept", by="reseau", idempotency_key="k-1")
    assert not again.changed and len(events_of(store, "SIN-1", REN_MISSION_REQUESTED)) == 1
    with pytest.raises(StateError, match="k-1"):
        offers.answer("SIN-1", "refuse", by="reseau", idempotency_key="k-1")
    with pytest.raises(StateError, match="k-1"):
        offers.answer("SIN-2", "accept", by="reseau", idempotency_key="k-1")
    assert offers.list(dossier_ref="SIN-2")[0].state == "offered"
    assert not offers.answer("SIN-1", "accept", by="reseau", idempotency_key="k-2").changed  # already accepted
    with pytest.raises(StateError):
        offers.answer("SIN-1", "expire", by="reseau")


def test_a_later_decision_withdraws_the_offer(store):
    ren_dossier(store)
    DossierService(store).override("SIN-1", 0, by="alice", reason="métré refait", amount=D("1480"))
    [offer] = RenOffers(store).list()
    assert offer.state == "withdrawn"
    assert "ren_withdrawn" in [e.action for e in store.history("SIN-1")]
    with pytest.raises(StateError, match="already withdrawn"):
        RenOffers(store).accept("SIN-1", by="alice")


def test_no_offer_no_answer(store):
    store.create_dossier(Dossier("SIN-9", dt.date(2025, 3, 1), D("150"), "degats_des_eaux", "0612345678", "a@b.fr",
                                 "69003"), today=TODAY)
    with pytest.raises(StateError, match="no REN offer"):
        RenOffers(store).accept("SIN-9", by="alice")


def test_ren_commands(tmp_path):
    db = f"sqlite:///{tmp_path / 'ren.db'}"
    store = open_store(db)
    ren_dossier(store, "SIN-1")
    ren_dossier(store, "SIN-2")
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(ren_app, [*args, "--db", db], env={"COLUMNS": "250"})

    listed = invoke("list", "--state", "offered")
    assert listed.exit_code == 0 and "SIN-1" in listed.output and "SIN-2" in listed.output
    accepted = invoke("accept", "SIN-1", "--by", "alice", "--reason", "ok")
    assert accepted.exit_code == 0 and "accepted" in accepted.output and REN_MISSION_REQUESTED in accepted.output
    assert "nothing changed" in invoke("accept", "SIN-1", "--by", "alice").output
    contradicted = invoke("refuse", "SIN-1", "--by", "bob")
    assert contradicted.exit_code == 3 and "E_STATE" in contradicted.output
    refused = invoke("refuse", "SIN-2", "--by", "bob")
    assert refused.exit_code == 0 and "payment.requested" in refused.output and "950.00" in refused.output
    assert invoke("list", "--state", "nonsense").exit_code == 3
    assert invoke("expire", "--now", "2999-01-01T00:00").output.strip().endswith("0 offer(s) expired")
    store.close()
