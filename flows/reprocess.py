"""Re-pricing on schedule: open dossiers decided with another grid version are decided again.

The words of every page and the extraction are in the store, so this never runs OCR; it is cheap enough
to run nightly, and after every grid update (``quote-review reprocess``, or ``--serve`` for a schedule).
"""
# No `from __future__ import annotations`: Prefect builds the parameter model from these annotations
# in the flow run's process, where a pickled flow may not see this module's names.

from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from flows.review import deliver_task
from pipeline.review import ReviewServices, reprocess_dossier


@dataclass
class ReprocessReport:
    grid_version: str
    changed: list[tuple[str, str, str]] = field(default_factory=list)  # (dossier, old status, new status)
    unchanged: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


@task(name="reprocess-dossier", cache_policy=NO_CACHE)
def reprocess_task(services: ReviewServices, dossier_ref: str, document_version: int, report: ReprocessReport) -> None:
    before = services.store.latest_review(dossier_ref)
    outcome = reprocess_dossier(services, dossier_ref, document_version)
    if outcome.error is not None or outcome.review is None:
        report.errors.append((dossier_ref, outcome.error.one_line() if outcome.error else "no review"))
        return
    review = outcome.review
    if before is not None and before.status != review.status:
        report.changed.append((dossier_ref, before.status, review.status))
    else:
        report.unchanged.append(dossier_ref)


@flow(name="reprocess-open-dossiers", log_prints=False, persist_result=False)
def reprocess_open_dossiers(db_url: str | None = None, grid_dir: str | None = None, home: str = "var") -> ReprocessReport:
    services = ReviewServices.open(db_url, Path(grid_dir) if grid_dir else None, Path(home))
    try:
        report = ReprocessReport(services.grid.version)
        for item in services.store.reviews_to_reprocess(services.grid.version):
            reprocess_task(quote(services), item.dossier_ref, item.document_version, quote(report))
        deliver_task(quote(services), Path(home) / "outbox")
        return report
    finally:
        services.close()
