"""REN offer rows: opened with their ``ren_offer.requested`` event, withdrawn when a later decision leaves them.

Row-level helpers, called inside the transaction that writes the decision (``store.repository``); the
answers (accepted, refused, expired) are written by ``store.ren_store`` under the rules of ``ren/``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import cents
from handoff.events import REN_OFFER_REQUESTED
from store.audit_chain import append_entry
from store.models import RenOfferRow

OFFERED = "offered"
WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class RenOffer:
    id: int
    event_id: str
    dossier_ref: str
    document_version: int
    cycle: int
    state: str
    offered_by: str
    offered_at: dt.datetime
    revised_ttc: Decimal
    saving_ttc: Decimal
    lines: list
    answered_at: dt.datetime | None
    answered_by: str | None
    answer_reason: str | None
    idempotency_key: str | None
    result_event_id: str | None


def offer_from_row(row: RenOfferRow) -> RenOffer:
    return RenOffer(row.id, row.event_id, row.dossier_ref, row.document_version, row.cycle, row.state,
                    row.offered_by, row.offered_at, Decimal(row.revised_ttc_cents) / 100,
                    Decimal(row.saving_ttc_cents) / 100, row.lines, row.answered_at, row.answered_by,
                    row.answer_reason, row.idempotency_key, row.result_event_id)


def _cents(amount: float | None) -> int:
    return int(cents(Decimal(str(amount or 0))) * 100)


def open_offer(session: Session, event_id: str, payload: dict, dossier_ref: str, document_version: int, cycle: int,
               now: dt.datetime) -> RenOfferRow:
    """The offer a new ``ren_offer.requested`` event makes, with its audit entry."""
    offer = payload["offer"]
    row = RenOfferRow(
        event_id=event_id, dossier_ref=dossier_ref, document_version=document_version, cycle=cycle, state=OFFERED,
        offered_by=payload.get("decided_by") or "robot", offered_at=now,
        revised_ttc_cents=_cents(offer["work_ttc"]), saving_ttc_cents=_cents(offer["saving_ttc"]),
        lines=payload.get("lines") or [],
    )
    session.add(row)
    session.flush()
    append_entry(session, dossier_ref=dossier_ref, at=now, actor=row.offered_by, action="ren_offered",
                 after={"offer": row.id, "event": event_id, "state": OFFERED, "work_ttc": offer["work_ttc"],
                        "saving_ttc": offer["saving_ttc"]})
    return row


def sync_offers(session: Session, dossier_ref: str, events: list, document_version: int, cycle: int,
                now: dt.datetime) -> None:
    """After a decision is written: the offers it no longer carries are withdrawn, a new offer event opens one."""
    withdraw_stale_offers(session, dossier_ref, {e.id for e in events}, now)
    for event in events:
        if event.type == REN_OFFER_REQUESTED and session.scalar(
                select(RenOfferRow.id).where(RenOfferRow.event_id == event.id)) is None:
            open_offer(session, event.id, event.payload, dossier_ref, document_version, cycle, now)


def withdraw_stale_offers(session: Session, dossier_ref: str, kept_event_ids: set[str], now: dt.datetime) -> None:
    """A new decision on the dossier that does not carry an open offer's event leaves that offer: withdrawn."""
    stale = session.scalars(select(RenOfferRow).where(
        RenOfferRow.dossier_ref == dossier_ref, RenOfferRow.state == OFFERED)).all()
    for row in stale:
        if row.event_id in kept_event_ids:
            continue
        row.state, row.answered_at, row.answered_by = WITHDRAWN, now, "system"
        row.answer_reason = "a later decision on the dossier replaced the offer"
        append_entry(session, dossier_ref=dossier_ref, at=now, actor="system", action="ren_withdrawn",
                     reason=row.answer_reason, before={"offer": row.id, "state": OFFERED},
                     after={"offer": row.id, "state": WITHDRAWN})
