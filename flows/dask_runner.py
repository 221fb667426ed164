"""A batch on a Dask cluster: one task per document (read its pages, extract, price, decide) on any worker.

``--runner dask`` starts a ``LocalCluster`` of worker processes on this machine; ``--dask-address
tcp://HOST:8786`` uses a running cluster (README, "Scaling out"). A worker opens the services (store,
grid, matcher with spaCy's French model) once, at its first document, and keeps them: tasks carry only
the file's path and its dossier, so every worker must reach the originals by the same path (a shared
mount) and the database by its URL (PostgreSQL; SQLite only for a cluster on one machine).
"""
import threading
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from core.models import Dossier
from core.settings import Settings
from pipeline.review import ReviewOutcome, ReviewServices, review_file
from store.repository import open_store

THREAD = "thread"
DASK = "dask"
RUNNERS = (THREAD, DASK)

_services: dict[tuple, ReviewServices] = {}
_services_lock = threading.Lock()


def worker_services(db_url: str | None, grid_dir: str | None, home: str) -> ReviewServices:
    """This process's services for that database, grid and home, opened at the first document."""
    key = (db_url, grid_dir, home)
    with _services_lock:
        if key not in _services:
            _services[key] = ReviewServices.open(db_url, Path(grid_dir) if grid_dir else None, Path(home))
        return _services[key]


@task(name="review-document", cache_policy=NO_CACHE)
def review_document(path: str, dossier: Dossier, db_url: str | None, grid_dir: str | None, home: str) -> ReviewOutcome:
    outcome = review_file(worker_services(db_url, grid_dir, home), Path(path), dossier)
    outcome.extraction = None  # the extraction is in the store; keep what travels back small
    return outcome


@task(name="deliver-events", cache_policy=NO_CACHE)
def deliver_batch_events(db_url: str | None, grid_dir: str | None, home: str):
    from pipeline.review import deliver_events

    return deliver_events(worker_services(db_url, grid_dir, home), Path(home) / "outbox")


def _migrate(db_url: str | None, home: str) -> None:
    """Bring the schema up to date once, here: workers opening a new database at once would race to create it."""
    settings = Settings.load().updated({"home": Path(home)}, origin="home")
    open_store(db_url or settings.db_url, settings).close()


def task_runner(runner: str = THREAD, dask_address: str | None = None, dask_workers: int = 2):
    """The Prefect task runner for ``--runner``: two threads, or Dask (a LocalCluster, or ``dask_address``)."""
    if runner == THREAD:
        return ThreadPoolTaskRunner(max_workers=2)
    from prefect_dask import DaskTaskRunner

    if dask_address:
        return DaskTaskRunner(address=dask_address)
    return DaskTaskRunner(cluster_class="distributed.LocalCluster",
                          cluster_kwargs={"n_workers": dask_workers, "threads_per_worker": 1, "processes": True,
                                          "dashboard_address": None})


@flow(name="review-batch-distributed", log_prints=False, persist_result=False)
def review_batch_distributed(items: list[tuple[str, Dossier]], db_url: str | None = None, grid_dir: str | None = None,
                             home: str = "var") -> list[ReviewOutcome]:
    """Every document of the batch as one task; run it ``with_options(task_runner=task_runner(...))``."""
    home = str(Path(home).resolve())
    _migrate(db_url, home)
    futures = [review_document.submit(str(Path(path).resolve()), dossier, db_url, grid_dir, home)
               for path, dossier in items]
    outcomes = [future.result() for future in futures]
    deliver_batch_events.submit(db_url, grid_dir, home).result()
    return outcomes


def run_batch(items: list[tuple[str, Dossier]], db_url: str | None, grid_dir: str | None, home: str,
              runner: str = DASK, dask_address: str | None = None, dask_workers: int = 2) -> list[ReviewOutcome]:
    chosen = review_batch_distributed.with_options(task_runner=task_runner(runner, dask_address, dask_workers))
    return chosen(items, db_url, grid_dir, home)
