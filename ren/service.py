"""Recording the answer to a REN offer: by a reviewer, by the network's system (idempotency key), or by expiry.

    offers = RenOffers(store)
    offers.accept("SIN-1", by="alice")                     # reviewer (CLI ``ren accept``)
    offers.answer("SIN-1", "refuse", by="reseau", idempotency_key="k-123")   # the network, through the API
    offers.expire()                                        # offers unanswered for ren_offer_expiry_days

Accepted: the offer's review closes "Clos - REN" (nothing paid) and ``ren_mission.requested`` goes to the
network. Refused or expired: it closes "Clos - Montant indemnisation révisé", the indemnity is the revised
amount less the deductible, and ``payment.requested`` follows (with its approval level, as any payment).
"""
from __future__ import annotations

import builtins
import datetime as dt
from dataclasses import replace

import decisions
from core.enums import DecidedBy, Status
from core.errors import StateError
from core.review import MOTIVE_REN, MOTIVE_REVISED
from core.settings import Settings
from handoff.events import PAYMENT_REQUESTED, build_events
from handoff.ren_mission import build_mission_event
from ren.lifecycle import Answer, OfferState, next_state
from store.repository import DossierState, ReviewChange, Store
from store.ren_offers import RenOffer
from store.ren_store import RenAnswerChange, RenAnswerResult, answer_offer, list_offers

SYSTEM = "system"
MAX_KEY_LENGTH = 128


class RenOffers:
    def __init__(self, store: Store, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings or store.settings

    def list(self, state: str | None = None, dossier_ref: str | None = None) -> list[RenOffer]:
        if state is not None:
            OfferState(state)  # a typo is an error, not an empty list
        return list_offers(self.store, state, dossier_ref)

    def accept(self, dossier_ref: str, *, by: str, reason: str | None = None,
               now: dt.datetime | None = None) -> RenAnswerResult:
        return self.answer(dossier_ref, Answer.ACCEPT, by=by, reason=reason, now=now)

    def refuse(self, dossier_ref: str, *, by: str, reason: str | None = None,
               now: dt.datetime | None = None) -> RenAnswerResult:
        return self.answer(dossier_ref, Answer.REFUSE, by=by, reason=reason, now=now)

    def answer(self, dossier_ref: str, answer: str, *, by: str, reason: str | None = None,
               idempotency_key: str | None = None, now: dt.datetime | None = None) -> RenAnswerResult:
        """Record the policyholder's answer to the dossier's current offer.

        The same answer again is a no-op (``changed`` False); a contradictory one is a ``StateError``. With an
        ``idempotency_key`` (the network's system), a key already used for another answer or another offer is
        a ``StateError`` too.
        """
        answer = Answer(answer)
        if answer == Answer.EXPIRE:
            raise StateError("an offer expires by itself (ren expire), it is not an answer")
        if not by or not by.strip():
            raise StateError(f"ren {answer}: say who records the answer (--by)")
        if idempotency_key is not None and not (0 < len(idempotency_key.strip()) <= MAX_KEY_LENGTH):
            raise StateError(f"an idempotency key has 1 to {MAX_KEY_LENGTH} characters")
        return self._record(dossier_ref, answer, by, reason, idempotency_key, now or _now())

    def expire(self, now: dt.datetime | None = None) -> builtins.list[RenAnswerResult]:
        """Every offer unanswered for more than ``ren_offer_expiry_days``: expired (as refused, its own reason)."""
        now = now or _now()
        days = self.settings.ren_offer_expiry_days
        due = [offer for offer in self.list(OfferState.OFFERED) if offer.offered_at + dt.timedelta(days=days) <= now]
        reason = f"no answer within {days} days"
        results = [self._record(offer.dossier_ref, Answer.EXPIRE, SYSTEM, reason, None, now) for offer in due]
        return [result for result in results if result.changed]

    def _record(self, dossier_ref: str, answer: Answer, by: str, reason: str | None, key: str | None,
                now: dt.datetime) -> RenAnswerResult:
        def plan(offer: RenOffer, state: DossierState, key_owner: RenOffer | None) -> RenAnswerChange | None:
            if key_owner is not None:
                if key_owner.id != offer.id or key_owner.state != TRANSITIONS_BY_ANSWER[answer]:
                    raise StateError(f"idempotency key {key!r} was already used for another answer "
                                     f"(offer {key_owner.id} of dossier {key_owner.dossier_ref}, {key_owner.state})")
                return None  # the same call again
            target = next_state(offer.state, answer)
            if target is None:
                return None
            return self._close(offer, state, target, by, reason, key)

        return answer_offer(self.store, dossier_ref, plan, key, now)

    def _close(self, offer: RenOffer, state: DossierState, target: OfferState, by: str, reason: str | None,
               key: str | None) -> RenAnswerChange:
        current = state.current
        if (current is None or current.status != Status.REN_PROPOSED
                or offer.event_id not in {event["id"] for event in current.review.events}):
            raise StateError(f"dossier {offer.dossier_ref}: its REN offer {offer.id} is not the current decision")
        review = current.review
        if target == OfferState.ACCEPTED:
            closed = replace(decisions.close(review, MOTIVE_REN), events=[])
            events = [build_mission_event(review, state.dossier, current.document_version, offer.id, offer.event_id)]
        else:
            closed = replace(decisions.close(review, MOTIVE_REVISED), events=[])
            if target == OfferState.EXPIRED:
                closed = replace(closed, decided_by=DecidedBy.ROBOT)
            events = []
        events += build_events(closed, state.dossier, current.document_version, self.settings, current.cycle)
        result = next((e.id for e in events if e.type in (PAYMENT_REQUESTED, "ren_mission.requested")), None)
        recorded = replace(closed, events=[{"type": e.type, "id": e.id} for e in events])
        change = ReviewChange(recorded, current.document_version, current.cycle, events, actor=by,
                              action=f"ren_{target.value}", reason=reason)
        return RenAnswerChange(target.value, by, reason, key, result, change)


TRANSITIONS_BY_ANSWER = {Answer.ACCEPT: OfferState.ACCEPTED, Answer.REFUSE: OfferState.REFUSED,
                         Answer.EXPIRE: OfferState.EXPIRED}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
