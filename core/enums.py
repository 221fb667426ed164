"""The closed vocabularies of the review: statuses, flag codes, who decided, where a page's words came from.

Each member is a ``StrEnum``: it equals, prints and serialises as its value, so the JSON contracts
(``schemas/``) and the database columns keep the very strings they held before.
"""
from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """A dossier's status (``schemas/review.schema.json``)."""

    AUTO_VALIDATED = "auto_validated"
    TO_REVIEW = "to_review"
    OUT_OF_SCOPE = "out_of_scope"
    NOT_REVISABLE = "not_revisable"
    DUPLICATE = "duplicate"
    NOT_A_QUOTE = "not_a_quote"
    ACCEPTED_UNDER_200 = "accepted_under_200"
    REN_PROPOSED = "ren_proposed"
    CLOSED = "closed"


# Final until a reviewer reopens the dossier.
TERMINAL_STATUSES = frozenset({
    Status.AUTO_VALIDATED, Status.ACCEPTED_UNDER_200, Status.CLOSED, Status.DUPLICATE, Status.NOT_A_QUOTE,
    Status.OUT_OF_SCOPE,
})


class FlagCode(StrEnum):
    """Why a line or a dossier was revised or sent to a human; the catalogue is in ``core.review``."""

    PRICE_ABOVE_GRID = "PRICE_ABOVE_GRID"
    NOT_COVERED = "NOT_COVERED"
    LABOUR_ABOVE_MINIMUM = "LABOUR_ABOVE_MINIMUM"
    UNMATCHED_LINE = "UNMATCHED_LINE"
    SUPPLY_PRICE_GAP = "SUPPLY_PRICE_GAP"
    VAT_RATE_SUSPECT = "VAT_RATE_SUSPECT"
    ARITHMETIC_MISMATCH = "ARITHMETIC_MISMATCH"
    EINVOICE_MISMATCH = "EINVOICE_MISMATCH"
    LOW_OCR_CONFIDENCE = "LOW_OCR_CONFIDENCE"
    ABOVE_REFERENCE = "ABOVE_REFERENCE"
    VARIANCE_UNCERTAIN = "VARIANCE_UNCERTAIN"
    MISSING_QUANTITY = "MISSING_QUANTITY"
    OUT_OF_SCOPE_LOW = "OUT_OF_SCOPE_LOW"
    OUT_OF_SCOPE_HIGH = "OUT_OF_SCOPE_HIGH"
    DUPLICATE = "DUPLICATE"
    NOT_A_QUOTE = "NOT_A_QUOTE"
    TABLE_NOT_FOUND = "TABLE_NOT_FOUND"
    REVIEWER_OVERRIDE = "REVIEWER_OVERRIDE"


class DecidedBy(StrEnum):
    ROBOT = "robot"
    REVIEWER = "reviewer"


class PageSource(StrEnum):
    """Where a page's words came from."""

    TEXT_LAYER = "text_layer"
    OCR = "ocr"


class ExtractionMethod(StrEnum):
    """How a document's pages were read, all of them together."""

    TEXT_LAYER = "text_layer"
    OCR = "ocr"
    MIXED = "mixed"
