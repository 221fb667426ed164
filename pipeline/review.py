"""The review of one document, stage by stage, as plain functions.

``flows/`` wraps each stage in a Prefect task; tests and benchmarks call them
directly. The services (store, grid, matcher, settings) are opened once and
shared by every document of a batch.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import QuoteReviewError
from core.models import Document, Dossier, Extraction, PageText
from core.review import Review
from core.settings import Settings
from decisions import decide
from extractors import EXTRACTOR_VERSION, read_pages, read_quote
from ingestion.ingest import ingest
from pricing.grid import Grid, load_grid
from pricing.matching import Matcher
from pricing.price import PricedLine, price_lines
from store.repository import Store, open_store

_matchers: dict[tuple[str, str], Matcher] = {}
_matchers_lock = threading.Lock()


def matcher_for(grid: Grid) -> Matcher:
    """One matcher per grid version and process: building one loads spaCy's French model (seconds)."""
    key = (str(grid.path), grid.version)
    with _matchers_lock:
        if key not in _matchers:
            _matchers[key] = Matcher(grid)
        return _matchers[key]


@dataclass
class ReviewServices:
    store: Store
    grid: Grid
    matcher: Matcher
    settings: Settings
    originals_dir: Path

    @classmethod
    def open(cls, db_url: str | None = None, grid_dir: Path | None = None, home: Path | None = None) -> "ReviewServices":
        """The services for ``home`` (default ``$QUOTE_REVIEW_HOME``): its database unless ``db_url`` says
        otherwise, its originals folder."""
        settings = Settings.load()
        if home is not None:
            settings = settings.updated({"home": Path(home)}, origin="home")
        grid = load_grid(grid_dir) if grid_dir else load_grid()
        return cls(open_store(db_url or settings.db_url, settings), grid, matcher_for(grid), settings,
                   settings.originals_dir)

    def close(self) -> None:
        self.store.close()


@dataclass
class StoredUpload:
    document: Document
    version: int


@dataclass
class ReviewOutcome:
    """What happened to one file: a review, or the error that refused it (the original is kept either way)."""

    source: Path
    dossier_ref: str
    review: Review | None = None
    error: QuoteReviewError | None = None
    seconds: float = 0.0
    extraction: Extraction | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None


def ingest_stage(services: ReviewServices, path: Path, dossier: Dossier) -> StoredUpload:
    services.store.upsert_dossier(dossier)
    document = ingest(path, services.originals_dir)
    return StoredUpload(document, services.store.add_document(dossier.ref, document))


def pages_stage(services: ReviewServices, upload: StoredUpload) -> list[PageText]:
    """The page words, read once per file: later runs (re-pricing) take them from the store."""
    document = upload.document
    pages = services.store.cached_pages(document.sha256, EXTRACTOR_VERSION)
    if pages is None:
        pages = read_pages(document.original_path, document.media_type)
        services.store.save_pages(document.sha256, EXTRACTOR_VERSION, pages)
    return pages


def extract_stage(services: ReviewServices, upload: StoredUpload, pages: list[PageText]) -> Extraction:
    extraction = read_quote(pages, upload.document.doc_id)
    services.store.save_extraction(upload.document.sha256, EXTRACTOR_VERSION, extraction)
    return extraction


def price_stage(services: ReviewServices, extraction: Extraction, dossier: Dossier) -> list[PricedLine]:
    postcode = dossier.postcode or extraction.site_postcode
    return price_lines(extraction, services.grid, services.matcher, postcode)


def decide_stage(services: ReviewServices, dossier: Dossier, upload: StoredUpload, extraction: Extraction,
                 priced: list[PricedLine]) -> Review:
    """Decide and record the decision with its outbox events in one transaction."""
    duplicate_of = services.store.find_duplicate(dossier.ref, upload.version, upload.document.sha256, extraction)
    review = decide(extraction, priced, dossier, services.grid.version, services.settings, duplicate_of, grid=services.grid)
    return services.store.record_review(dossier.ref, review, upload.version).review


def review_file(services: ReviewServices, path: Path, dossier: Dossier) -> ReviewOutcome:
    """Every stage for one file; bad input becomes an outcome with its error, never an exception."""
    started = time.perf_counter()
    outcome = ReviewOutcome(Path(path), dossier.ref)
    try:
        upload = ingest_stage(services, path, dossier)
        pages = pages_stage(services, upload)
        outcome.extraction = extract_stage(services, upload, pages)
        priced = price_stage(services, outcome.extraction, dossier)
        outcome.review = decide_stage(services, dossier, upload, outcome.extraction, priced)
    except QuoteReviewError as error:
        error.path = error.path or str(path)
        outcome.error = error
    outcome.seconds = time.perf_counter() - started
    return outcome


def cached_extraction_stage(services: ReviewServices, upload: StoredUpload) -> Extraction:
    """The extraction of an already-read document, from the store: no page is read again."""
    document = upload.document
    extraction = services.store.cached_extraction(document.sha256, EXTRACTOR_VERSION)
    if extraction is None:
        extraction = extract_stage(services, upload, pages_stage(services, upload))
    return extraction


def reprocess_dossier(services: ReviewServices, dossier_ref: str, document_version: int) -> Review:
    """Price and decide again with the current grid, from the stored extraction (no OCR)."""
    dossier = services.store.get_dossier(dossier_ref)
    stored = services.store.document(dossier_ref, document_version)
    upload = StoredUpload(stored.document, stored.version)
    extraction = cached_extraction_stage(services, upload)
    priced = price_stage(services, extraction, dossier)
    return decide_stage(services, dossier, upload, extraction, priced)
