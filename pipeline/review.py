"""The review of one document: one ordered list of stages, run by one runner.

``STAGES`` is the order a new document goes through (ingest, read pages, extract, price, decide);
``REPROCESS_STAGES`` prices and decides again a document already read. ``run_stage`` is the one
place where a stage's error becomes the document's outcome: the plain API (``review_file``,
``quote_review.review``), the Prefect flows (``flows/``, one task per stage) and the CLI all go
through it. The services (store, grid, matcher, settings) are opened once and shared by every
document of a batch.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from core.errors import QuoteReviewError
from core.models import Document, Dossier, Extraction, PageText
from core.review import Review
from core.settings import Settings
from extractors import extraction_version, pages_version, read_einvoice_xml, read_extraction_safely, read_pages
from handoff import DeliveryReport, FolderSink, Sink, WebhookSink, deliver_pending
from ingestion.ingest import ingest
from pricing.grid import Grid, is_known_postcode, load_grid
from pricing.matching import Matcher
from pricing.price import PricedLine, price_lines
from store.repository import Store, open_store
from workflow import DossierService

_matchers: dict[tuple[str, str], Matcher] = {}
_matchers_lock = threading.Lock()


def matcher_for(grid: Grid) -> Matcher:
    """One matcher per grid version and process: building one loads spaCy's French model (seconds)."""
    key = (str(grid.path), grid.version)
    with _matchers_lock:
        if key not in _matchers:
            _matchers[key] = Matcher(grid)
        return _matchers[key]


ACTIVE_GRID_FILE = "active-grid.json"  # in $QUOTE_REVIEW_HOME, written by ``quote-review grid activate``


def active_grid_dir(home: Path) -> Path | None:
    """The grid folder ``grid activate`` made effective for this home, None when none was."""
    record = Path(home) / ACTIVE_GRID_FILE
    if not record.is_file():
        return None
    return Path(json.loads(record.read_text(encoding="utf-8"))["path"])


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
        if grid_dir is None and settings.grid_dir is None:
            grid_dir = active_grid_dir(settings.home)  # set by ``grid activate``; else the default grid
        grid = load_grid(grid_dir) if grid_dir else load_grid()
        return cls(open_store(db_url or settings.db_url, settings), grid, matcher_for(grid), settings,
                   settings.originals_dir)

    @property
    def dossiers(self) -> DossierService:
        """Deciding and the reviewers' actions, with the events they emit, over this store."""
        return DossierService(self.store, self.settings)

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


@dataclass
class DocumentJob:
    """One document on its way through the stages: each stage fills its part; the first error stops it."""

    path: Path
    dossier_ref: str
    dossier: Dossier | None = None
    document_version: int | None = None  # a stored document to review again
    upload: StoredUpload | None = None
    pages: list[PageText] | None = field(default=None, repr=False)
    extraction: Extraction | None = None
    priced: list[PricedLine] | None = field(default=None, repr=False)
    review: Review | None = None
    error: QuoteReviewError | None = None
    started: float = field(default_factory=time.perf_counter, repr=False)
    names_its_file: bool = True  # errors name the user's file; a stored document's errors name the dossier


    @classmethod
    def new(cls, path: Path | str, dossier: Dossier) -> "DocumentJob":
        return cls(Path(path), dossier.ref, dossier)

    @classmethod
    def stored(cls, dossier_ref: str, document_version: int) -> "DocumentJob":
        return cls(Path(dossier_ref), dossier_ref, document_version=document_version, names_its_file=False)

    def outcome(self) -> ReviewOutcome:
        return ReviewOutcome(self.path, self.dossier_ref, self.review, self.error,
                             time.perf_counter() - self.started, extraction=self.extraction)


@dataclass(frozen=True)
class Stage:
    """A named step: reads what earlier stages put on the job, adds its own part."""

    name: str
    run: Callable[[ReviewServices, DocumentJob], None]


def _ingest(services: ReviewServices, job: DocumentJob) -> None:
    assert job.dossier is not None
    services.store.upsert_dossier(job.dossier)
    document = ingest(job.path, services.originals_dir)
    job.upload = StoredUpload(document, services.store.add_document(job.dossier_ref, document))


def _read_pages(services: ReviewServices, job: DocumentJob) -> None:
    """The page words and the e-invoice XML, read once per file by the page readers: later runs
    (re-pricing, a new extractor) take them from the store."""
    assert job.upload is not None
    document = job.upload.document
    pages = services.store.cached_pages(document.sha256, pages_version())
    if pages is None:
        pages = read_pages(document.original_path, document.media_type)
        xml = read_einvoice_xml(document.original_path, document.media_type)
        services.store.save_pages(document.sha256, pages_version(), pages, xml)
    job.pages = pages


def _extract(services: ReviewServices, job: DocumentJob) -> None:
    """The extraction from the pages and the e-invoice XML stored by ``_read_pages``."""
    assert job.upload is not None and job.pages is not None
    sha256 = job.upload.document.sha256
    xml = services.store.cached_einvoice_xml(sha256, pages_version())
    job.extraction = read_extraction_safely(job.pages, job.upload.document.doc_id, xml,
                                            job.upload.document.source_name)
    services.store.save_extraction(sha256, extraction_version(), job.extraction)


def _price(services: ReviewServices, job: DocumentJob) -> None:
    assert job.dossier is not None and job.extraction is not None
    extraction = job.extraction
    if not job.dossier.postcode and extraction.site_postcode and not is_known_postcode(extraction.site_postcode):
        # A postcode read on the quote that names no département (a misreading): the national grid.
        extraction = replace(extraction, site_postcode=None)
    billed = replace(extraction, lines=extraction.billed_lines())  # sub-invoice lines once, allowances as lines
    job.priced = price_lines(billed, services.grid, services.matcher, job.dossier.postcode or extraction.site_postcode)


def _decide(services: ReviewServices, job: DocumentJob) -> None:
    """Decide and record the decision with its outbox events in one transaction."""
    assert job.dossier is not None and job.upload is not None and job.extraction is not None
    assert job.priced is not None
    job.review = services.dossiers.decide(job.dossier, job.upload.document, job.upload.version, job.extraction,
                                          job.priced, services.grid)
    job.pages = None  # the words are in the store; keep a batch's memory flat


def _load_stored(services: ReviewServices, job: DocumentJob) -> None:
    assert job.document_version is not None
    job.dossier = services.store.get_dossier(job.dossier_ref)
    stored = services.store.document(job.dossier_ref, job.document_version)
    job.upload = StoredUpload(stored.document, stored.version)


def _stored_extraction(services: ReviewServices, job: DocumentJob) -> None:
    """The extraction of an already-read document, from the store: no page is read again."""
    assert job.upload is not None
    document = job.upload.document
    job.extraction = services.store.cached_extraction(document.sha256, extraction_version())
    if job.extraction is None:
        _read_pages(services, job)
        _extract(services, job)


INGEST = Stage("ingest", _ingest)
READ_PAGES = Stage("read-pages", _read_pages)
EXTRACT = Stage("extract", _extract)
PRICE = Stage("price", _price)
DECIDE = Stage("decide", _decide)
STAGES: tuple[Stage, ...] = (INGEST, READ_PAGES, EXTRACT, PRICE, DECIDE)
REPROCESS_STAGES: tuple[Stage, ...] = (Stage("load-stored", _load_stored), Stage("stored-extraction", _stored_extraction),
                                       PRICE, DECIDE)


def configured_sinks(outbox_dir: Path, settings: Settings | None = None) -> list[Sink]:
    """The folder of JSON files always; an HTTP webhook too when QUOTE_REVIEW_WEBHOOK_URL is set."""
    sinks: list[Sink] = [FolderSink(outbox_dir)]
    webhook_url = (settings or Settings.load()).webhook_url
    if webhook_url:
        sinks.append(WebhookSink(webhook_url))
    return sinks


def deliver_events(services: ReviewServices, outbox_dir: Path) -> DeliveryReport:
    """Deliver the outbox's pending events to every sink (each event once per sink)."""
    return deliver_pending(services.store, configured_sinks(outbox_dir, services.settings))


def run_stage(stage: Stage, services: ReviewServices, job: DocumentJob) -> DocumentJob:
    """Run one stage unless an earlier one failed; a ``QuoteReviewError`` becomes the job's error, naming the file."""
    if job.error is None:
        try:
            stage.run(services, job)
        except QuoteReviewError as error:
            if job.names_its_file:
                error.path = str(job.path)  # the user's file, never the stored original
            job.error = error
        except Exception as exc:  # noqa: BLE001 - one document's failure never ends a batch
            job.error = QuoteReviewError(f"{type(exc).__name__} in {stage.name}: {str(exc)[:300]}",
                                         path=str(job.path) if job.names_its_file else None)
    return job


def run_stages(services: ReviewServices, job: DocumentJob, stages: Sequence[Stage] = STAGES) -> ReviewOutcome:
    for stage in stages:
        run_stage(stage, services, job)
    return job.outcome()


def review_file(services: ReviewServices, path: Path | str, dossier: Dossier) -> ReviewOutcome:
    """Every stage for one file; bad input becomes an outcome with its error, never an exception."""
    return run_stages(services, DocumentJob.new(path, dossier))


def reprocess_dossier(services: ReviewServices, dossier_ref: str, document_version: int) -> ReviewOutcome:
    """Price and decide again with the current grid, from the stored extraction (no OCR)."""
    return run_stages(services, DocumentJob.stored(dossier_ref, document_version), REPROCESS_STAGES)
