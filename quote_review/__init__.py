"""quote-review from Python: read a quote, or review it for a dossier, in a few lines.

    import quote_review
    dossier = quote_review.dossier("SIN-2025-001041", claim_date="2025-06-17", deductible=150, guarantee="degats_des_eaux")
    print(quote_review.review("examples/devis-plombier-juste.pdf", dossier).status)

``extract`` needs no database; ``review`` records the decision in the database of
``$QUOTE_REVIEW_HOME`` (or ``db``) and writes its events to that home's outbox. Both raise a
``QuoteReviewError`` (``.code``, ``.exit_code``) for input they cannot handle.
"""
from core.errors import QuoteReviewError
from core.models import Dossier, Extraction
from core.review import Review
from quote_review.api import dossier, extract, review

__all__ = ["Dossier", "Extraction", "QuoteReviewError", "Review", "dossier", "extract", "review"]
