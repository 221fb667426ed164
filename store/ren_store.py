"""Recording a REN offer's answer: the offer's new state, the closing review, its events and the audit
entry, in one transaction, under the rules ``plan`` (``ren.service``) applies."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from core.errors import StateError
from store.models import RenOfferRow
from store.ren_offers import RenOffer, offer_from_row
from store.repository import (
    DossierState,
    ReviewChange,
    Store,
    StoredReview,
    _audit,
    _dossier_from_row,
    _dossier_row,
    _insert_review,
    _latest_review_row,
    _review_summary,
    _stored_review,
)


@dataclass(frozen=True)
class RenAnswerChange:
    """What an answer writes: the offer's new state and who/why, and the closing review with its events."""

    state: str
    answered_by: str
    reason: str | None
    idempotency_key: str | None
    result_event_id: str | None
    review: ReviewChange


@dataclass(frozen=True)
class RenAnswerResult:
    offer: RenOffer
    review: StoredReview | None
    changed: bool


Plan = Callable[[RenOffer, DossierState, RenOffer | None], RenAnswerChange | None]


def answer_offer(store: Store, dossier_ref: str, plan: Plan, idempotency_key: str | None,
                 now: dt.datetime) -> RenAnswerResult:
    """Lock the dossier's latest offer, let ``plan`` decide, write what it returns; ``None`` changes nothing."""
    with store.transaction(write=True) as session:
        dossier = _dossier_from_row(_dossier_row(session, dossier_ref))
        offer_row = session.scalars(
            select(RenOfferRow).where(RenOfferRow.dossier_ref == dossier_ref)
            .order_by(RenOfferRow.id.desc()).limit(1).with_for_update()
        ).first()
        if offer_row is None:
            raise StateError(f"dossier {dossier_ref} has no REN offer")
        current = _latest_review_row(session, dossier_ref)
        state = DossierState(dossier, None if current is None else _stored_review(current),
                             None if current is None else current.contract, 0)
        key_owner = None
        if idempotency_key is not None:
            owner_row = session.scalars(select(RenOfferRow).where(RenOfferRow.idempotency_key == idempotency_key)).first()
            key_owner = None if owner_row is None else offer_from_row(owner_row)
        change = plan(offer_from_row(offer_row), state, key_owner)
        if change is None:
            return RenAnswerResult(offer_from_row(offer_row), state.current, False)
        before_offer = {"offer": offer_row.id, "state": offer_row.state}
        offer_row.state, offer_row.answered_at, offer_row.answered_by = change.state, now, change.answered_by
        offer_row.answer_reason, offer_row.idempotency_key = change.reason, change.idempotency_key
        offer_row.result_event_id = change.result_event_id
        session.flush()
        review = change.review
        row = _insert_review(session, dossier_ref, review.review, review.document_version, review.cycle,
                             review.events, document_id=None if current is None else current.document_id)
        after = (_review_summary(row) or {}) | {"offer": {"id": offer_row.id, "state": change.state,
                                                          "idempotency_key": change.idempotency_key}}
        _audit(session, dossier_ref, review.actor, review.action, reason=review.reason,
               before=(_review_summary(current) or {}) | {"offer": before_offer}, after=after)
        return RenAnswerResult(offer_from_row(offer_row), _stored_review(row), True)


def list_offers(store: Store, state: str | None = None, dossier_ref: str | None = None) -> list[RenOffer]:
    with store.transaction() as session:
        query = select(RenOfferRow).order_by(RenOfferRow.id)
        if state is not None:
            query = query.where(RenOfferRow.state == state)
        if dossier_ref is not None:
            query = query.where(RenOfferRow.dossier_ref == dossier_ref)
        return [offer_from_row(row) for row in session.scalars(query)]
