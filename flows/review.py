"""Prefect flows: ``review_quote`` for one file, ``review_batch`` for a folder, one task per stage.

Each stage task takes and returns a ``DocumentJob``; a job that failed on bad
input carries its error through the later stages untouched, so one bad file
never stops a batch. The batch submits stage by stage across all documents so
both cores read pages (OCR) at the same time.
"""
# No `from __future__ import annotations`: Prefect builds the parameter model from these annotations
# in the flow run's process, where a pickled flow may not see this module's names.

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from core.errors import OcrError, QuoteReviewError
from core.models import Dossier, Extraction, PageText
from core.review import Review
from core.settings import Settings
from handoff import FolderSink, WebhookSink, deliver_pending
from handoff.sinks import DeliveryError
from pipeline.review import (
    ReviewOutcome,
    ReviewServices,
    StoredUpload,
    decide_stage,
    extract_stage,
    ingest_stage,
    pages_stage,
    price_stage,
)
from pricing.price import PricedLine


@dataclass
class DocumentJob:
    path: Path
    dossier: Dossier
    upload: StoredUpload | None = None
    pages: list[PageText] | None = field(default=None, repr=False)
    extraction: Extraction | None = None
    priced: list[PricedLine] | None = field(default=None, repr=False)
    review: Review | None = None
    error: QuoteReviewError | None = None

    def outcome(self) -> ReviewOutcome:
        return ReviewOutcome(self.path, self.dossier.ref, self.review, self.error, extraction=self.extraction)


# Called with each finished job (the CLI's progress bar); set by ``on_document_done``.
_listeners: list[Callable[[DocumentJob], None]] = []


def on_document_done(listener: Callable[[DocumentJob], None]) -> Callable[[], None]:
    """Register a listener for finished documents; returns the function that removes it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


# Errors worth trying again (Tesseract timed out or failed on a loaded machine); bad input is never retried.
TRANSIENT_ERRORS = (OcrError,)
RETRIES = 2
RETRY_DELAY_SECONDS = 2


def _retries_left() -> bool:
    """True inside a task run that Prefect will run again if it raises."""
    context = TaskRunContext.get()
    return context is not None and context.task_run.run_count <= context.task.retries


def _stage(job: DocumentJob, run: Callable[[DocumentJob], None]) -> DocumentJob:
    if job.error is None:
        try:
            run(job)
        except QuoteReviewError as error:
            if isinstance(error, TRANSIENT_ERRORS) and _retries_left():
                raise  # Prefect runs the task again; the last attempt's error goes into the job
            error.path = error.path or str(job.path)
            job.error = error
    return job


@task(name="ingest", cache_policy=NO_CACHE)
def ingest_task(services: ReviewServices, job: DocumentJob) -> DocumentJob:
    return _stage(job, lambda j: setattr(j, "upload", ingest_stage(services, j.path, j.dossier)))


@task(name="read-pages", cache_policy=NO_CACHE, retries=RETRIES, retry_delay_seconds=RETRY_DELAY_SECONDS)
def pages_task(services: ReviewServices, job: DocumentJob) -> DocumentJob:
    return _stage(job, lambda j: setattr(j, "pages", pages_stage(services, j.upload)))


@task(name="extract", cache_policy=NO_CACHE)
def extract_task(services: ReviewServices, job: DocumentJob) -> DocumentJob:
    return _stage(job, lambda j: setattr(j, "extraction", extract_stage(services, j.upload, j.pages)))


@task(name="price", cache_policy=NO_CACHE)
def price_task(services: ReviewServices, job: DocumentJob) -> DocumentJob:
    return _stage(job, lambda j: setattr(j, "priced", price_stage(services, j.extraction, j.dossier)))


@task(name="decide", cache_policy=NO_CACHE)
def decide_task(services: ReviewServices, job: DocumentJob) -> DocumentJob:
    job = _stage(job, lambda j: setattr(j, "review", decide_stage(services, j.dossier, j.upload, j.extraction, j.priced)))
    job.pages = None  # the words are in the store; keep the flow's memory flat over a batch
    for listener in list(_listeners):
        listener(job)
    return job


def configured_sinks(outbox_dir: Path) -> list:
    """The folder of JSON files always; an HTTP webhook too when QUOTE_REVIEW_WEBHOOK_URL is set."""
    sinks = [FolderSink(outbox_dir)]
    webhook_url = Settings.load().webhook_url
    if webhook_url:
        sinks.append(WebhookSink(webhook_url))
    return sinks


@task(name="deliver-events", cache_policy=NO_CACHE, retries=RETRIES, retry_delay_seconds=RETRY_DELAY_SECONDS)
def deliver_task(services: ReviewServices, outbox_dir: Path):
    """Deliver pending events; a sink that failed is tried again (each event reaches each sink once)."""
    report = deliver_pending(services.store, configured_sinks(outbox_dir))
    if report.failed and _retries_left():
        raise DeliveryError(f"{len(report.failed)} deliveries failed, first: {report.failed[0][2]}")
    return report


STAGES = (ingest_task, pages_task, extract_task, price_task, decide_task)


@flow(name="review-quote", log_prints=False, persist_result=False)
def review_quote(path: str, dossier: Dossier, db_url: str | None = None, grid_dir: str | None = None,
                 home: str = "var") -> ReviewOutcome:
    """Review one file for one dossier: ingest, read pages, extract, price, decide, deliver events."""
    services = ReviewServices.open(db_url, Path(grid_dir) if grid_dir else None, Path(home))
    try:
        job = DocumentJob(Path(path), dossier)
        for stage in STAGES:
            job = stage(quote(services), quote(job))
        deliver_task(quote(services), Path(home) / "outbox")
        return job.outcome()
    finally:
        services.close()


@flow(name="review-batch", log_prints=False, persist_result=False, task_runner=ThreadPoolTaskRunner(max_workers=2))
def review_batch(items: list[tuple[str, Dossier]], db_url: str | None = None, grid_dir: str | None = None,
                 home: str = "var") -> list[ReviewOutcome]:
    """Review many files in one flow run, two documents at a time."""
    services = ReviewServices.open(db_url, Path(grid_dir) if grid_dir else None, Path(home))
    try:
        futures = [quote(DocumentJob(Path(path), dossier)) for path, dossier in items]
        for stage in STAGES:
            futures = [stage.submit(quote(services), future) for future in futures]
        jobs = [future.result() for future in futures]
        deliver_task(quote(services), Path(home) / "outbox")
        return [job.outcome() for job in jobs]
    finally:
        services.close()
