"""Persistence: dossiers, documents, cached pages and extractions, reviews, audit trail, outbox.

The store persists and queries; the rules that decide what to write (a decision, a reviewer's action and
the events they emit) are the workflow's (``workflow/``).

    store = open_store()            # $QUOTE_REVIEW_DB or sqlite:///var/quote-review.db; runs migrations
"""
from store.repository import (
    DB_URL_ENV,
    DEFAULT_DB_URL,
    AuditEntry,
    DossierState,
    DossierSummary,
    PendingEvent,
    QuoteClaimed,
    ReprocessItem,
    ReviewChange,
    Store,
    StoredDocument,
    StoredReview,
    default_db_url,
    open_store,
    quote_keys,
    validate_dossier,
)

__all__ = [
    "DB_URL_ENV", "DEFAULT_DB_URL", "AuditEntry", "DossierState", "DossierSummary", "PendingEvent", "QuoteClaimed", "ReprocessItem",
    "ReviewChange", "Store",
    "StoredDocument", "StoredReview", "default_db_url", "open_store", "quote_keys", "validate_dossier",
]
