"""Persistence: dossiers, documents, cached pages and extractions, reviews, audit trail, outbox.

    store = open_store()            # $QUOTE_REVIEW_DB or sqlite:///var/quote-review.db; runs migrations
"""
from store.repository import (
    DB_URL_ENV,
    DEFAULT_DB_URL,
    AuditEntry,
    DossierSummary,
    PendingEvent,
    ReprocessItem,
    Store,
    StoredDocument,
    StoredReview,
    default_db_url,
    open_store,
    validate_dossier,
)

__all__ = [
    "DB_URL_ENV", "DEFAULT_DB_URL", "AuditEntry", "DossierSummary", "PendingEvent", "ReprocessItem", "Store",
    "StoredDocument", "StoredReview", "default_db_url", "open_store", "validate_dossier",
]
