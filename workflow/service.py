"""Deciding and the reviewers' actions, as rules over the store.

The store gives one transaction per change (``Store.append_review``): it hands the dossier's state to
a plan written here, and writes what the plan returns (the new review, its outbox events, the audit
line). The rules (when a dossier is locked, which cycle, which events) are all in this module and in
``decisions/``; the store holds none of them.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal

import decisions
from core.enums import DecidedBy
from core.errors import StateError
from core.models import Document, Dossier, Extraction
from core.review import Review
from core.settings import Settings
from decisions import GridLike, PricedLineLike
from handoff.events import Event, build_events
from store.repository import DossierState, ReviewChange, Store, StoredReview


def _with_event_ids(review: Review, events: list[Event]) -> Review:
    return replace(review, events=[{"type": e.type, "id": e.id} for e in events])


class DossierService:
    def __init__(self, store: Store, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings or store.settings

    # --- the robot ----------------------------------------------------------------------------

    def decide(self, dossier: Dossier, document: Document, document_version: int, extraction: Extraction,
               priced: Sequence[PricedLineLike], grid: GridLike) -> Review:
        """Decide one quote for its dossier and record the decision with its events."""
        duplicate_of = self.store.find_duplicate(dossier.ref, document_version, document.sha256, extraction)
        review = decisions.decide(extraction, priced, dossier, grid.version, self.settings, duplicate_of, grid=grid)
        return self.record_review(dossier.ref, review, document_version).review

    def record_review(self, dossier_ref: str, review: Review, document_version: int) -> StoredReview:
        """Save the robot's decision and its outbox events in one transaction.

        Re-running the same decision changes nothing; deciding again on a closed dossier is a
        ``StateError`` (a reviewer reopens it first).
        """
        def plan(state: DossierState) -> ReviewChange | None:
            current = state.current
            cycle = current.cycle if current is not None else 0
            if current is not None and current.review.is_terminal:
                same = (current.document_version == document_version
                        and current.review.grid_version == review.grid_version)
                if same and current.review.decided_by == DecidedBy.ROBOT:
                    return None
                raise StateError(
                    f"dossier {dossier_ref} is closed (status {current.status}); reopen it before a new decision"
                )
            events = build_events(review, state.dossier, document_version, self.settings, cycle)
            recorded = _with_event_ids(review, events)
            if (current is not None and current.document_version == document_version
                    and state.current_contract == recorded.to_contract()):
                return None
            return ReviewChange(recorded, document_version, cycle, events, actor=review.decided_by, action="decide")

        return self.store.append_review(dossier_ref, plan)

    # --- reviewers ----------------------------------------------------------------------------

    def override(self, dossier_ref: str, line_index: int, *, by: str, reason: str, amount: Decimal | None = None,
                 covered: bool | None = None, grid_item: tuple | None = None) -> StoredReview:
        return self._reviewer_action(
            dossier_ref, by, "override", reason,
            lambda review: decisions.apply_override(review, line_index, self.settings, by=by, reason=reason,
                                                    amount=amount, covered=covered, grid_item=grid_item),
            details={"line": line_index, "amount": None if amount is None else str(amount), "covered": covered,
                     "grid_item": grid_item[0] if grid_item else None},
        )

    def close_dossier(self, dossier_ref: str, motive: str, *, by: str, reason: str | None = None) -> StoredReview:
        return self._reviewer_action(dossier_ref, by, "close", reason, lambda review: decisions.close(review, motive))

    def propose_ren(self, dossier_ref: str, *, by: str, reason: str) -> StoredReview:
        if not reason or not reason.strip():
            raise StateError("a REN offer by a reviewer needs a reason")
        return self._reviewer_action(dossier_ref, by, "propose_ren", reason, decisions.propose_ren)

    def reopen(self, dossier_ref: str, *, by: str, reason: str) -> StoredReview:
        if not reason or not reason.strip():
            raise StateError("reopening a dossier needs a reason")
        return self._reviewer_action(dossier_ref, by, "reopen", reason, decisions.reopen, next_cycle=True)

    def approve_payment(self, dossier_ref: str, *, by: str, today: dt.date | None = None) -> Event:
        """Release a pending payment.requested event when ``by`` (or whom ``by`` stands in for) may approve it."""
        return self.store.approve_payment(dossier_ref, by=by, today=today)

    def _reviewer_action(self, dossier_ref: str, by: str, action: str, reason: str | None,
                         change: Callable[[Review], Review], details: dict | None = None,
                         next_cycle: bool = False) -> StoredReview:
        if not by or not by.strip():
            raise StateError(f"{action}: say who you are (--by)")

        def plan(state: DossierState) -> ReviewChange:
            current = state.current
            if current is None:
                raise StateError(f"dossier {dossier_ref} has no review yet; process its quote first")
            new_review = replace(change(current.review), events=[])
            cycle = current.cycle + 1 if next_cycle else current.cycle
            # A reviewer's REN offer after the robot's (or another) on the same document is a new offer.
            events = build_events(new_review, state.dossier, current.document_version, self.settings, cycle,
                                  state.ren_offers)
            return ReviewChange(_with_event_ids(new_review, events), current.document_version, cycle, events,
                                actor=by, action=action, reason=reason, details=details)

        return self.store.append_review(dossier_ref, plan)
