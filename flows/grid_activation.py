"""A new grid version made effective, and every open dossier re-decided on it.

``quote-review grid activate VERSION`` records the active grid in ``$QUOTE_REVIEW_HOME/active-grid.json``
(every later review prices with it unless ``--grid`` says otherwise), then runs ``reprice-open-dossiers``:
each open dossier whose robot decision was made with another grid version is priced and decided again
from its stored extraction (no page is read again), in chunks (one Prefect task per chunk, so ten
thousand dossiers make twenty task runs, not ten thousand). The report lists every decision that
changed, before → after, and why: the flags gained and lost, and the lines whose reference price moved.
``--dry-run`` computes the same report and writes nothing.
"""
import datetime as dt
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

import decisions
from core.errors import GridError, QuoteReviewError
from core.review import Review
from pipeline.review import ACTIVE_GRID_FILE, REPROCESS_STAGES, DocumentJob, ReviewServices, run_stage
from pricing.grid import DEFAULT_GRID_DIR, Grid, load_grid
from store.repository import quote_keys

GRIDS_DIR_NAME = "grids"  # $QUOTE_REVIEW_HOME/grids/<any name>/: grid versions ``activate`` finds by version
REPORTS_DIR_NAME = "repricing"
CHUNK_SIZE = 500


# --- the active grid ----------------------------------------------------------------------------


def find_grid(version: str, home: str | Path, also: Path | None = None) -> Grid:
    """The grid of that version: in ``also``, else under ``$QUOTE_REVIEW_HOME/grids/``, else the default grid."""
    candidates = [also] if also else []
    grids_dir = Path(home) / GRIDS_DIR_NAME
    if grids_dir.is_dir():
        candidates += sorted(p for p in grids_dir.iterdir() if p.is_dir())
    candidates.append(DEFAULT_GRID_DIR)
    seen = []
    for folder in candidates:
        try:
            grid = load_grid(folder)
        except GridError:
            continue
        seen.append(grid.version)
        if grid.version == version:
            return grid
    raise GridError(f"no grid of version {version!r} (found {', '.join(seen) or 'none'}); "
                    f"put it under {grids_dir} or name its folder with --from")


def record_active_grid(home: str | Path, grid: Grid) -> Path:
    record = Path(home) / ACTIVE_GRID_FILE
    record.parent.mkdir(parents=True, exist_ok=True)
    partial = record.with_suffix(".part")
    partial.write_text(json.dumps({"version": grid.version, "path": str(Path(grid.path).resolve()),
                                   "activated_at": dt.datetime.now(dt.timezone.utc).isoformat()}) + "\n")
    os.replace(partial, record)
    return record


# --- re-pricing -----------------------------------------------------------------------------------


@dataclass
class DecisionChange:
    dossier_ref: str
    document_version: int
    before: dict  # status, revised_ttc, indemnity, grid_version
    after: dict
    why: list[str]


@dataclass
class RepricingReport:
    grid_version: str
    dry_run: bool
    examined: int = 0
    changed: list[DecisionChange] = field(default_factory=list)
    unchanged: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)

    def to_json(self) -> dict:
        return {**asdict(self), "changed": [asdict(c) for c in self.changed]}


def _summary(review: Review) -> dict:
    contract = review.to_contract()
    return {key: contract[key] for key in ("status", "motive", "revised_ttc", "indemnity", "grid_version")}


def _why(before: dict, after: dict) -> list[str]:
    """What moved between two decisions of one quote: flags gained and lost, reference prices per line."""
    reasons = []
    old_flags = {f["code"] for f in before["flags"]}
    new_flags = {f["code"] for f in after["flags"]}
    if new_flags - old_flags:
        reasons.append("now flagged " + ", ".join(sorted(new_flags - old_flags)))
    if old_flags - new_flags:
        reasons.append("no longer flagged " + ", ".join(sorted(old_flags - new_flags)))
    old_lines = {line["index"]: line for line in before["lines"]}
    for line in after["lines"]:
        old = old_lines.get(line["index"])
        if old is None:
            continue
        if old["grid_item"] != line["grid_item"]:
            reasons.append(f"line {line['index']}: matched {old['grid_item']} → {line['grid_item']}")
        elif old["reference_unit_price_ht"] != line["reference_unit_price_ht"]:
            reasons.append(f"line {line['index']} ({line['grid_item']}): reference "
                           f"{old['reference_unit_price_ht']} → {line['reference_unit_price_ht']} HT")
    if before["revised_ttc"] != after["revised_ttc"]:
        reasons.append(f"revised TTC {before['revised_ttc']} → {after['revised_ttc']}")
    return reasons


def reprice_one(services: ReviewServices, dossier_ref: str, document_version: int, dry_run: bool) -> tuple[Review, Review]:
    """(decision before, decision after) on the services' grid, from the stored extraction."""
    current = services.store.latest_review(dossier_ref)
    job = DocumentJob.stored(dossier_ref, document_version)
    stages = REPROCESS_STAGES if not dry_run else [stage for stage in REPROCESS_STAGES if stage.name != "decide"]
    for stage in stages:
        run_stage(stage, services, job)
    if job.error is not None:
        raise job.error
    if dry_run:
        # The same duplicate test as DossierService.decide, which records; a dry run must not.
        sha256 = job.upload.document.sha256
        keys = quote_keys(sha256, job.extraction) if job.extraction.is_quote else ()
        duplicate_of = services.dossiers._duplicate_of(dossier_ref, document_version, sha256, job.extraction, keys)
        job.review = decisions.decide(job.extraction, job.priced, job.dossier, services.grid.version,
                                      services.settings, duplicate_of, grid=services.grid)
    return current.review, job.review


@task(name="reprice-chunk", cache_policy=NO_CACHE)
def reprice_chunk(services: ReviewServices, items: list[tuple[str, int]], dry_run: bool) -> RepricingReport:
    report = RepricingReport(services.grid.version, dry_run)
    for dossier_ref, document_version in items:
        report.examined += 1
        try:
            before, after = reprice_one(services, dossier_ref, document_version, dry_run)
        except QuoteReviewError as error:
            report.errors.append((dossier_ref, error.one_line()))
            continue
        old, new = before.to_contract(), after.to_contract()
        if (old["status"], old["revised_ttc"], old["indemnity"]) == (new["status"], new["revised_ttc"], new["indemnity"]):
            report.unchanged += 1
        else:
            report.changed.append(DecisionChange(dossier_ref, document_version, _summary(before), _summary(after),
                                                 _why(old, new)))
    return report


@flow(name="reprice-open-dossiers", log_prints=False, persist_result=False)
def reprice_open_dossiers(db_url: str | None = None, grid_dir: str | None = None, home: str = "var",
                          dry_run: bool = False, chunk_size: int = CHUNK_SIZE) -> RepricingReport:
    """Re-decide every open dossier decided on another grid version; the report is also written to
    ``$QUOTE_REVIEW_HOME/repricing/`` (not on a dry run)."""
    from flows.review import deliver_task

    services = ReviewServices.open(db_url, Path(grid_dir) if grid_dir else None, Path(home))  # else the active grid
    try:
        items = [(i.dossier_ref, i.document_version) for i in services.store.reviews_to_reprocess(services.grid.version)]
        report = RepricingReport(services.grid.version, dry_run)
        for start in range(0, len(items), chunk_size):
            part = reprice_chunk(quote(services), items[start:start + chunk_size], dry_run)
            report.examined += part.examined
            report.unchanged += part.unchanged
            report.changed += part.changed
            report.errors += part.errors
        if not dry_run:
            deliver_task(quote(services), Path(home) / "outbox")
            stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            target = Path(home) / REPORTS_DIR_NAME / f"{report.grid_version}-{stamp}.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=2, default=str) + "\n")
        return report
    finally:
        services.close()
