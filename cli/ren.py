"""``quote-review ren ...``: the REN offers and the policyholder's answers (``ren/``)."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import typer
from rich.table import Table

from cli.dossier import ByOption, DbOption, _fail, _fmt, _store, console
from core.errors import InvalidDossierError, QuoteReviewError
from ren import RenOffers
from store.ren_store import RenAnswerResult

ren_app = typer.Typer(help="REN (repair in kind) offers: list, accept, refuse, expire.", no_args_is_help=True)
ReasonOption = Annotated[Optional[str], typer.Option("--reason", help="Why (recorded in the audit trail)")]


@ren_app.command("list")
def list_(
    state: Annotated[Optional[str], typer.Option(help="offered, accepted, refused, expired or withdrawn")] = None,
    db: DbOption = None,
) -> None:
    """The REN offers, oldest first, with their state and answer."""
    try:
        offers = RenOffers(_store(db)).list(state)
    except ValueError:
        _fail(InvalidDossierError(f"unknown offer state {state!r}"))
    except QuoteReviewError as error:
        _fail(error)
    table = Table("offer", "dossier", "state", "offered (UTC)", "by", "work TTC", "saving TTC", "answered by", "reason")
    for offer in offers:
        table.add_row(str(offer.id), offer.dossier_ref, offer.state, offer.offered_at.strftime("%Y-%m-%d %H:%M"),
                      offer.offered_by, _fmt(offer.revised_ttc), _fmt(offer.saving_ttc), offer.answered_by or "",
                      offer.answer_reason or "")
    console.print(table)


def _said(ref: str, result: RenAnswerResult) -> None:
    offer, review = result.offer, result.review
    if not result.changed:
        console.print(f"dossier {ref}: REN offer {offer.id} already {offer.state}; nothing changed", highlight=False)
        return
    events = ", ".join(f"{e['type']} {e['id']}" for e in review.review.events)
    console.print(f"dossier {ref}: REN offer {offer.id} {offer.state}; closed {review.review.motive!r}, indemnity "
                  f"{_fmt(review.review.indemnity)}; events {events}", highlight=False)


@ren_app.command()
def accept(ref: str, by: ByOption, reason: ReasonOption = None, db: DbOption = None) -> None:
    """The policyholder accepts the repair in kind: mission to the network, dossier closed 'Clos - REN'."""
    try:
        result = RenOffers(_store(db)).accept(ref, by=by, reason=reason)
    except QuoteReviewError as error:
        _fail(error)
    _said(ref, result)


@ren_app.command()
def refuse(ref: str, by: ByOption, reason: ReasonOption = None, db: DbOption = None) -> None:
    """The policyholder refuses: indemnity = revised amount, 'Clos - Montant indemnisation révisé', payment asked."""
    try:
        result = RenOffers(_store(db)).refuse(ref, by=by, reason=reason)
    except QuoteReviewError as error:
        _fail(error)
    _said(ref, result)


@ren_app.command()
def expire(
    now: Annotated[Optional[str], typer.Option("--now", help="Take this UTC time as now (YYYY-MM-DDTHH:MM)")] = None,
    db: DbOption = None,
) -> None:
    """Expire the offers unanswered for ren_offer_expiry_days (treated as refused)."""
    try:
        when = None if now is None else dt.datetime.fromisoformat(now).replace(tzinfo=dt.timezone.utc)
    except ValueError:
        _fail(InvalidDossierError("--now is a time, YYYY-MM-DDTHH:MM"))
    try:
        results = RenOffers(_store(db)).expire(now=when)
    except QuoteReviewError as error:
        _fail(error)
    for result in results:
        _said(result.offer.dossier_ref, result)
    console.print(f"{len(results)} offer(s) expired")
