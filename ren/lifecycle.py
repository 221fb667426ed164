"""The REN offer's state machine. Pure: no database, no clock.

    offered ──accept──▶ accepted   (REN mission for the network; dossier "Clos - REN")
       │ ──refuse──▶ refused    (indemnity = revised amount; "Clos - Montant indemnisation révisé")
       │ ──expire──▶ expired    (no answer in time: as refused, with its own reason)
       └ (a later decision on the dossier) ──▶ withdrawn

The same outcome arriving again changes nothing (a re-run, a second click, the network retrying);
a contradictory answer is a ``StateError``.
"""
from __future__ import annotations

from enum import StrEnum

from core.errors import StateError


class OfferState(StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class Answer(StrEnum):
    ACCEPT = "accept"
    REFUSE = "refuse"
    EXPIRE = "expire"


TRANSITIONS = {
    (OfferState.OFFERED, Answer.ACCEPT): OfferState.ACCEPTED,
    (OfferState.OFFERED, Answer.REFUSE): OfferState.REFUSED,
    (OfferState.OFFERED, Answer.EXPIRE): OfferState.EXPIRED,
}

# Answers that find their outcome already there: nothing to do. A refusal after the offer expired
# asks for what expiry already did (the revised indemnity); expiry never touches an answered offer.
ALREADY_DONE = frozenset({
    (OfferState.ACCEPTED, Answer.ACCEPT),
    (OfferState.REFUSED, Answer.REFUSE),
    (OfferState.EXPIRED, Answer.REFUSE),
    (OfferState.EXPIRED, Answer.EXPIRE),
    (OfferState.ACCEPTED, Answer.EXPIRE),
    (OfferState.REFUSED, Answer.EXPIRE),
    (OfferState.WITHDRAWN, Answer.EXPIRE),
})


def next_state(state: str, answer: str) -> OfferState | None:
    """The state ``answer`` moves an offer in ``state`` to; None when it is already done; else ``StateError``."""
    state, answer = OfferState(state), Answer(answer)
    if (state, answer) in TRANSITIONS:
        return TRANSITIONS[(state, answer)]
    if (state, answer) in ALREADY_DONE:
        return None
    raise StateError(f"the REN offer is already {state}: '{answer}' contradicts it")
