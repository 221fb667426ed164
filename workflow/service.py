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
from core.enums import DecidedBy, Status
from core.errors import StateError
from core.models import Document, Dossier, Extraction
from core.review import Review
from core.settings import Settings
from decisions import GridLike, PricedLineLike
from handoff.events import APPROVAL_RANK, MONEY_EVENT_TYPES, Event, build_events, payment_cancelled
from store.repository import (
    ApprovalPowers,
    DossierState,
    QuoteClaimed,
    ReviewChange,
    Store,
    StoredReview,
    quote_keys,
)


def _approval(payment: Event, powers: ApprovalPowers) -> dict:
    """The payment's approval by ``powers.user``: in their own right, else for an approver who delegated
    to them today; ``StateError`` when neither reaches the payment's level."""
    approval = payment.payload["payment"]["approval"]
    needed = APPROVAL_RANK[approval["level"]]
    if powers.own_level is not None and APPROVAL_RANK[powers.own_level] >= needed:
        on_behalf_of = None
    else:
        on_behalf_of = next((delegator for delegator, level in powers.delegations if APPROVAL_RANK[level] >= needed),
                            None)
        if on_behalf_of is None:
            raise StateError(f"{powers.user} may not approve this payment: it needs a {approval['level']} "
                             "or a current delegation from one")
    return dict(approval, status="approved", approved_by=powers.user, on_behalf_of=on_behalf_of,
                approved_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))


def _sent_money(review: Review) -> bool:
    """Whether this decision asked downstream for a REN offer or a payment."""
    return any(event["type"] in MONEY_EVENT_TYPES for event in review.events)


def _with_event_ids(review: Review, events: list[Event]) -> Review:
    return replace(review, events=[{"type": e.type, "id": e.id} for e in events])


class DossierService:
    def __init__(self, store: Store, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings or store.settings

    # --- the robot ----------------------------------------------------------------------------

    def decide(self, dossier: Dossier, document: Document, document_version: int, extraction: Extraction,
               priced: Sequence[PricedLineLike], grid: GridLike) -> Review:
        """Decide one quote for its dossier and record the decision with its events.

        The first upload of a quote to be recorded claims its keys (``store.quote_keys``) in the
        transaction that records its review; an upload that finds them taken, even by a worker that
        committed a moment before, is decided again as a duplicate of the owner.
        """
        keys = quote_keys(document.sha256, extraction) if extraction.is_quote else ()
        duplicate_of = self._duplicate_of(dossier.ref, document_version, document.sha256, extraction, keys)
        for _ in range(2):
            review = decisions.decide(extraction, priced, dossier, grid.version, self.settings, duplicate_of, grid=grid)
            claims = keys if review.status != Status.DUPLICATE else ()
            try:
                return self.record_review(dossier.ref, review, document_version, claims=claims).review
            except QuoteClaimed as claimed:
                duplicate_of = claimed.owner or self._claim_owner(dossier.ref, document_version, keys)
        raise StateError(f"dossier {dossier.ref}: the quote's claim changed twice while it was recorded; run it again")

    def _duplicate_of(self, dossier_ref: str, document_version: int, sha256: str, extraction: Extraction,
                      keys: tuple[str, ...]) -> str | None:
        """The upload that owns this quote, when not this one; quotes recorded before claims existed are
        found by the store's duplicate query."""
        owners = self.store.quote_claims(keys) if keys else {}
        if owners:
            return self._claim_owner(dossier_ref, document_version, keys, owners)
        return self.store.find_duplicate(dossier_ref, document_version, sha256, extraction)

    def _claim_owner(self, dossier_ref: str, document_version: int, keys: tuple[str, ...],
                     owners: dict[str, tuple[str, int]] | None = None) -> str | None:
        owners = self.store.quote_claims(keys) if owners is None else owners
        for key in keys:  # the bytes first, then the supplier's number and TTC
            owner = owners.get(key)
            if owner is not None and owner != (dossier_ref, document_version):
                return f"dossier {owner[0]} v{owner[1]}"
        return None

    def record_review(self, dossier_ref: str, review: Review, document_version: int,
                      claims: tuple[str, ...] = ()) -> StoredReview:
        """Save the robot's decision and its outbox events in one transaction.

        Re-running the same decision changes nothing; deciding again on a closed dossier is a
        ``StateError`` (a reviewer reopens it first); a dossier whose REN offer or payment has gone
        out keeps its decision (the robot never takes back what it sent downstream). ``claims`` are the
        quote's keys this review takes (``QuoteClaimed`` when another upload holds one).
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
            if current is not None and current.document_version == document_version and _sent_money(current.review):
                return None
            events = build_events(review, state.dossier, document_version, self.settings, cycle)
            recorded = _with_event_ids(review, events)
            if (current is not None and current.document_version == document_version
                    and state.current_contract == recorded.to_contract()):
                return None
            return ReviewChange(recorded, document_version, cycle, events, actor=review.decided_by, action="decide",
                                claims=claims)

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
        return self._reviewer_action(dossier_ref, by, "reopen", reason, decisions.reopen, next_cycle=True,
                                     cancels_pending_payments=True)

    def approve_payment(self, dossier_ref: str, *, by: str, today: dt.date | None = None) -> Event:
        """Release a pending payment.requested event when ``by`` (or whom ``by`` stands in for) may approve it."""
        return self.store.release_payment(dossier_ref, by, today or dt.date.today(), _approval)

    def _reviewer_action(self, dossier_ref: str, by: str, action: str, reason: str | None,
                         change: Callable[[Review], Review], details: dict | None = None,
                         next_cycle: bool = False, cancels_pending_payments: bool = False) -> StoredReview:
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
            # A reopened dossier is decided anew: the payment its old decision asked for is never released.
            cancelled = state.pending_payments if cancels_pending_payments else ()
            events += [payment_cancelled(payment, new_review, state.dossier, cycle, by=by, reason=reason)
                       for payment in cancelled]
            return ReviewChange(_with_event_ids(new_review, events), current.document_version, cycle, events,
                                actor=by, action=action, reason=reason, details=details,
                                cancelled_payments=tuple(payment.id for payment in cancelled))

        return self.store.append_review(dossier_ref, plan)
