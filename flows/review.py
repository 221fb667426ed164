"""Prefect flows: ``review_quote`` for one file, ``review_batch`` for a folder, one task per stage.

The stages and the runner are ``pipeline.review``'s (``STAGES``, ``run_stage``): each task here is
one stage of that list run by that runner, so a job that failed on bad input carries its error
through the later stages untouched and one bad file never stops a batch. The batch submits stage
by stage across all documents so both cores read pages (OCR) at the same time.
"""
# No `from __future__ import annotations`: Prefect builds the parameter model from these annotations
# in the flow run's process, where a pickled flow may not see this module's names.

from collections.abc import Callable
from pathlib import Path

from prefect import Task, flow, task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from core.errors import OcrError
from core.models import Dossier
from handoff.sinks import DeliveryError
from pipeline.review import STAGES, DocumentJob, ReviewOutcome, ReviewServices, Stage, deliver_events, run_stage

# Called with each finished job (the CLI's progress bar); set by ``on_document_done``.
_listeners: list[Callable[[DocumentJob], None]] = []


def on_document_done(listener: Callable[[DocumentJob], None]) -> Callable[[], None]:
    """Register a listener for finished documents; returns the function that removes it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


# Errors worth trying again (Tesseract timed out or failed on a loaded machine, a sink did not answer);
# bad input is never retried. Only the stages named here retry.
TRANSIENT_ERRORS = (OcrError,)
RETRIED_STAGES = {"read-pages"}
RETRIES = 2
RETRY_DELAY_SECONDS = 2


def _retries_left() -> bool:
    """True inside a task run that Prefect will run again if it raises."""
    context = TaskRunContext.get()
    return context is not None and context.task_run.run_count <= context.task.retries


def stage_task(stage: Stage, last: bool = False) -> Task:
    """One stage of ``pipeline.review`` as a Prefect task; the last one tells the listeners."""

    def run(services: ReviewServices, job: DocumentJob) -> DocumentJob:
        job = run_stage(stage, services, job)
        if isinstance(job.error, TRANSIENT_ERRORS) and _retries_left():
            error, job.error = job.error, None
            raise error  # Prefect runs the stage again; the last attempt's error stays on the job
        if last:
            for listener in list(_listeners):
                listener(job)
        return job

    retries = RETRIES if stage.name in RETRIED_STAGES else 0
    return task(run, name=stage.name, cache_policy=NO_CACHE, retries=retries, retry_delay_seconds=RETRY_DELAY_SECONDS)


STAGE_TASKS = tuple(stage_task(stage, last=index == len(STAGES) - 1) for index, stage in enumerate(STAGES))


@task(name="deliver-events", cache_policy=NO_CACHE, retries=RETRIES, retry_delay_seconds=RETRY_DELAY_SECONDS)
def deliver_task(services: ReviewServices, outbox_dir: Path):
    """Deliver pending events; a sink that failed is tried again (each event reaches each sink once)."""
    report = deliver_events(services, outbox_dir)
    if report.failed and _retries_left():
        raise DeliveryError(f"{len(report.failed)} deliveries failed, first: {report.failed[0][2]}")
    return report


@flow(name="review-quote", log_prints=False, persist_result=False)
def review_quote(path: str, dossier: Dossier, db_url: str | None = None, grid_dir: str | None = None,
                 home: str = "var") -> ReviewOutcome:
    """Review one file for one dossier: ingest, read pages, extract, price, decide, deliver events."""
    services = ReviewServices.open(db_url, Path(grid_dir) if grid_dir else None, Path(home))
    try:
        job = DocumentJob.new(path, dossier)
        for stage in STAGE_TASKS:
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
        futures = [quote(DocumentJob.new(path, dossier)) for path, dossier in items]
        for stage in STAGE_TASKS:
            futures = [stage.submit(quote(services), future) for future in futures]
        jobs = [future.result() for future in futures]
        deliver_task(quote(services), Path(home) / "outbox")
        return [job.outcome() for job in jobs]
    finally:
        services.close()
