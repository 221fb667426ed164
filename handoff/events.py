"""Events handed downstream: what each decision asks of other systems.

An event's id is a UUID derived from (dossier, document version, event type, cycle),
``cycle`` being the number of times the dossier was reopened: a re-run of the same
flow computes the same id, and the outbox's primary key keeps a second copy out.
Each type has a JSON Schema in ``schemas/events/``.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from core.enums import DecidedBy, Status
from core.models import Dossier, money_json
from core.review import MOTIVE_REVISED, Review
from core.settings import Settings

REN_OFFER_REQUESTED = "ren_offer.requested"
PAYMENT_REQUESTED = "payment.requested"
DOSSIER_CLOSED = "dossier.closed"
PAYMENT_CANCELLED = "payment.cancelled"
EVENT_TYPES = (REN_OFFER_REQUESTED, PAYMENT_REQUESTED, DOSSIER_CLOSED, PAYMENT_CANCELLED)
MONEY_EVENT_TYPES = frozenset({REN_OFFER_REQUESTED, PAYMENT_REQUESTED})
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas" / "events"
_NAMESPACE = uuid.UUID("6f1d5a52-3c1e-4a55-9a55-0c9d3e0b7a11")

APPROVAL_AUTO = "auto"
APPROVAL_TEAM_LEAD = "team_lead"
APPROVAL_MANAGER = "manager"
APPROVAL_RANK = {APPROVAL_AUTO: 0, APPROVAL_TEAM_LEAD: 1, APPROVAL_MANAGER: 2}


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    dossier_ref: str
    document_version: int
    payload: dict
    releasable: bool = True  # False while a payment waits for its approver


def event_id(dossier_ref: str, document_version: int, event_type: str, cycle: int = 0, offer: int = 0) -> str:
    """Deterministic, so a re-run decision finds its event already written; ``offer`` numbers a
    reviewer's later REN offer on the same document (the first offer keeps the plain id)."""
    key = f"{dossier_ref}\x1f{document_version}\x1f{event_type}\x1f{cycle}" + (f"\x1f{offer}" if offer else "")
    return str(uuid.uuid5(_NAMESPACE, key))


def approval_level(amount: Decimal, settings: Settings) -> str:
    if amount <= settings.approval_auto_max:
        return APPROVAL_AUTO
    if amount <= settings.approval_team_lead_max:
        return APPROVAL_TEAM_LEAD
    return APPROVAL_MANAGER


def build_events(review: Review, dossier: Dossier, document_version: int, settings: Settings, cycle: int = 0,
                 earlier_offers: int = 0) -> list[Event]:
    """The events a review asks for, in the order downstream should see them.

    ``earlier_offers`` is the number of REN offers already made on this document version.
    """
    events = []

    def make(event_type: str, extra: dict, releasable: bool = True) -> Event:
        offer = earlier_offers if event_type == REN_OFFER_REQUESTED else 0
        ident = event_id(dossier.ref, document_version, event_type, cycle, offer)
        payload = {"id": ident, "type": event_type, **_common(review, dossier, document_version), **extra}
        return Event(ident, event_type, dossier.ref, document_version, payload, releasable)

    if review.status == Status.REN_PROPOSED:
        events.append(make(REN_OFFER_REQUESTED, {"offer": {
            "work_ttc": money_json(review.revised_ttc),
            "saving_ttc": money_json(review.variance_ttc),
            "indemnity_if_refused": money_json(max(Decimal(0), (review.revised_ttc or Decimal(0))
                                                   - (review.deductible or Decimal(0)))),
        }}))
    indemnity = review.indemnity or Decimal(0)
    if review.status in (Status.AUTO_VALIDATED, Status.ACCEPTED_UNDER_200, Status.CLOSED) and indemnity > 0:
        level = approval_level(indemnity, settings)
        approved = level == APPROVAL_AUTO
        basis = "revised" if review.motive == MOTIVE_REVISED else "quoted"
        events.append(make(PAYMENT_REQUESTED, {"payment": {
            "amount": money_json(review.indemnity),
            "basis": basis,
            "approval": {
                "level": level,
                "status": "approved" if approved else "pending",
                "approved_by": DecidedBy.ROBOT.value if approved else None,
                "on_behalf_of": None,
                "approved_at": None,
            },
        }}, releasable=approved))
    if review.is_terminal:
        events.append(make(DOSSIER_CLOSED, {"closing": {"motive": review.motive}}))
    return events


def payment_cancelled(payment: Event, review: Review, dossier: Dossier, cycle: int, *, by: str,
                      reason: str | None) -> Event:
    """The event that tells downstream a payment waiting for its approval will never be released."""
    ident = event_id(dossier.ref, payment.document_version, PAYMENT_CANCELLED, cycle)
    payload = {"id": ident, "type": PAYMENT_CANCELLED, **_common(review, dossier, payment.document_version),
               "cancellation": {"payment_event_id": payment.id, "amount": payment.payload["payment"]["amount"],
                                "reason": reason, "cancelled_by": by}}
    return Event(ident, PAYMENT_CANCELLED, dossier.ref, payment.document_version, payload)


def _common(review: Review, dossier: Dossier, document_version: int) -> dict:
    return {
        "schema_version": 1,
        "dossier": {
            "ref": dossier.ref,
            "claim_date": dossier.claim_date.isoformat(),
            "guarantee": dossier.guarantee,
            "postcode": dossier.postcode,
            "phone": dossier.phone,
            "email": dossier.email,
        },
        "document_version": document_version,
        "doc_id": review.doc_id,
        "grid_version": review.grid_version,
        "status": review.status,
        "decided_by": review.decided_by,
        "amounts": {
            "quoted_ttc": money_json(review.quoted_ttc),
            "revised_ttc": money_json(review.revised_ttc),
            "variance_ttc": money_json(review.variance_ttc),
            "deductible": money_json(review.deductible),
            "indemnity": money_json(review.indemnity),
        },
        "lines": [
            {
                "index": line.index,
                "description": line.description,
                "quantity": line.to_contract()["quantity"],
                "unit": line.unit,
                "grid_item": line.grid_item,
                "covered": line.covered,
                "quoted_total_ht": money_json(line.quoted_total_ht),
                "reference_total_ht": money_json(line.reference_total_ht),
                "revised_total_ht": money_json(line.revised_total_ht),
                "vat_rate": line.to_contract()["vat_rate"],
            }
            for line in review.lines
        ],
    }


@cache
def event_schema(event_type: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{event_type}.json").read_text(encoding="utf-8"))
