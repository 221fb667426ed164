"""Prefect flows: ``review_quote`` for one file, ``review_batch`` for a folder, one task per stage.

The stages and the runner are ``pipeline.review``'s (``STAGES``, ``run_stage``): each task here is
one stage of that list run by that runner, so a job that failed on bad input carries its error
through the later stages untouched and one bad file never stops a batch. The batch submits stage
by stage across all documents so both cores read pages (OCR) at the same time.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from prefect import Task, flow, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from core.models import Dossier
from pipeline.review import STAGES, DocumentJob, ReviewOutcome, ReviewServices, Stage, deliver_events, run_stage

# Called with each finished job (the CLI's progress bar); set by ``on_document_done``.
_listeners: list[Callable[[DocumentJob], None]] = []


def on_document_done(listener: Callable[[DocumentJob], None]) -> Callable[[], None]:
    """Register a listener for finished documents; returns the function that removes it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


def stage_task(stage: Stage, last: bool = False) -> Task:
    """One stage of ``pipeline.review`` as a Prefect task; the last one tells the listeners."""

    def run(services: ReviewServices, job: DocumentJob) -> DocumentJob:
        job = run_stage(stage, services, job)
        if last:
            for listener in list(_listeners):
                listener(job)
        return job

    return task(run, name=stage.name, cache_policy=NO_CACHE)


STAGE_TASKS = tuple(stage_task(stage, last=index == len(STAGES) - 1) for index, stage in enumerate(STAGES))


@task(name="deliver-events", cache_policy=NO_CACHE)
def deliver_task(services: ReviewServices, outbox_dir: Path):
    return deliver_events(services, outbox_dir)


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
