"""The public functions; the CLI (``cli/``) is a layer over them."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path

from core.errors import InvalidDossierError, QuoteReviewError
from core.models import Dossier, Extraction
from core.review import Review
from core.settings import Settings


def dossier(ref: str, *, claim_date: dt.date | str | None = None, deductible: Decimal | int | float | str = 0,
            guarantee: str, postcode: str | None = None, phone: str = "000000000", email: str = "inconnu") -> Dossier:
    """A dossier from plain values: the claim date as ``YYYY-MM-DD`` (default today), the deductible in euros
    (``150``, ``"150,00"``). The dossier is validated in full when a review records it."""
    try:
        claim = claim_date if isinstance(claim_date, dt.date) else (
            dt.date.fromisoformat(claim_date) if claim_date else dt.date.today())
        amount = deductible if isinstance(deductible, Decimal) else Decimal(str(deductible).replace(",", "."))
    except (ValueError, InvalidOperation) as exc:
        raise InvalidDossierError(f"bad dossier field: {exc}") from exc
    return Dossier(ref=ref, claim_date=claim, deductible=amount, guarantee=guarantee, phone=phone, email=email,
                   postcode=postcode)


def extract(path: Path | str) -> Extraction:
    """Read one PDF, JPG or PNG into the quote contract (``schemas/quote.schema.json``); no database."""
    from extractors import extract_document

    try:
        return extract_document(Path(path))
    except QuoteReviewError as error:
        error.path = error.path or str(path)
        raise


def review(path: Path | str, dossier: Dossier, *, db: str | None = None, grid: Path | str | None = None,
           home: Path | str | None = None, prefect: bool = False) -> Review:
    """Review one quote for one dossier through every stage and return the decision.

    The decision and its events are recorded in ``db`` (default: the database of ``home``, itself
    ``$QUOTE_REVIEW_HOME`` or ``./var``) and the events delivered to ``home``'s outbox. With
    ``prefect=True`` the same stages run as the Prefect flow ``review-quote`` (the caller configures
    Prefect first, as ``flows.runtime.configure_prefect`` does).
    """
    home_dir = Path(home) if home is not None else Settings.load().home.resolve()
    if prefect:
        from flows.review import review_quote

        outcome = review_quote(str(path), dossier, db, str(grid) if grid else None, str(home_dir))
    else:
        from pipeline.review import ReviewServices, deliver_events, review_file

        services = ReviewServices.open(db, Path(grid) if grid else None, home_dir)
        try:
            outcome = review_file(services, path, dossier)
            deliver_events(services, home_dir / "outbox")
        finally:
            services.close()
    if outcome.error is not None:
        raise outcome.error
    assert outcome.review is not None
    return outcome.review
