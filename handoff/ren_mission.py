"""``ren_mission.requested``: the policyholder accepted the REN offer; the contractor network opens a mission.

Its id is a UUID5 of the offer's own event id: one offer, one mission, however often the answer arrives.
"""
from __future__ import annotations

import uuid

from core.models import Dossier, money_json
from core.review import Review
from handoff.events import _NAMESPACE, Event, _common

REN_MISSION_REQUESTED = "ren_mission.requested"
REN_PROVENANCE = "REN suite revue"


def mission_event_id(offer_event_id: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{offer_event_id}\x1f{REN_MISSION_REQUESTED}"))


def build_mission_event(review: Review, dossier: Dossier, document_version: int, offer_id: int,
                        offer_event_id: str) -> Event:
    """The mission for the revised work of ``review`` (the offer's review, closed "Clos - REN")."""
    ident = mission_event_id(offer_event_id)
    work_lines = [
        {"index": line.index, "description": line.description, "quantity": line.to_contract()["quantity"],
         "unit": line.unit, "grid_item": line.grid_item, "revised_total_ht": money_json(line.revised_total_ht),
         "vat_rate": line.to_contract()["vat_rate"]}
        for line in review.lines if line.covered and line.revised_total_ht > 0
    ]
    payload = {"id": ident, "type": REN_MISSION_REQUESTED, **_common(review, dossier, document_version), "mission": {
        "provenance": REN_PROVENANCE,
        "offer_id": offer_id,
        "offer_event_id": offer_event_id,
        "revised_ttc": money_json(review.revised_ttc),
        "saving_ttc": money_json(review.variance_ttc),
        "site": {"postcode": dossier.postcode},
        "contact": {"phone": dossier.phone, "email": dossier.email},
        "work_lines": work_lines,
    }}
    return Event(ident, REN_MISSION_REQUESTED, dossier.ref, document_version, payload, True)
