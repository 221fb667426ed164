"""``quote-review serve``: one long-lived process that serves the flows as Prefect deployments.

Deployments (flow/deployment name, as ``prefect deployment ls`` lists them):
  review-quote/serve              one file for one dossier (``quote-review review`` submits here when it is up)
  review-batch/serve              many files in one run
  reprice-open-dossiers/serve     re-decide open dossiers on the active grid, in chunks, with a report (nightly)
  reprocess-open-dossiers/serve   the same, one task per dossier (on demand)
  inbox/serve                     files dropped in the inbox folder, reviewed once each (every few seconds)
  nightly-figures/serve           the day's figures as JSON under ``$QUOTE_REVIEW_HOME/figures``

The process loads the grid, the matcher (spaCy's French model) and the page readers once, and
forks each flow run from there (``flows.warm``). Runs of ``review-quote`` leave their outcome in
``$QUOTE_REVIEW_HOME/runs/<flow run id>.json`` for the command that submitted them (the flow's
return value stays in the child process: results are not persisted).
"""
# No `from __future__ import annotations`: Prefect builds the parameter model from these annotations
# in the flow run's process, where a pickled flow may not see this module's names.

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from prefect import flow
from prefect.runtime import flow_run as current_flow_run

from core.models import Dossier
from flows.review import review_quote
from flows.submit import outcome_path

SERVED_DEPLOYMENT = "serve"
FIGURES_DIR_NAME = "figures"


@dataclass(frozen=True)
class ServeOptions:
    db_url: str | None
    grid_dir: str | None
    home: str
    inbox_dir: str
    inbox_every_seconds: float = 10.0
    reprocess_cron: str = "0 2 * * *"
    figures_cron: str = "30 2 * * *"
    poll_seconds: float = 0.5  # how often the runner asks the API for runs to start
    limit: int = 4  # flow runs at once (each is a forked process)


def _write_outcome(home: str, outcome) -> None:
    """The outcome for the submitting command, written whole or not at all (rename)."""
    run_id = current_flow_run.id
    if not run_id:
        return
    target = outcome_path(home, run_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    error = outcome.error
    payload = {
        "dossier_ref": outcome.dossier_ref,
        "review": outcome.review.to_contract() if outcome.review is not None else None,
        "error": None if error is None else {"type": type(error).__name__, "code": error.code,
                                             "message": error.message, "path": error.path},
    }
    partial = target.with_suffix(".part")
    partial.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, target)


@flow(name="review-quote", log_prints=False, persist_result=False)
def served_review_quote(path: str, dossier: Dossier, db_url: str | None = None, grid_dir: str | None = None,
                        home: str = "var") -> dict:
    """``review_quote`` as the served deployment runs it: the same tasks, plus the outcome file."""
    outcome = review_quote.fn(path, dossier, db_url, grid_dir, home)
    _write_outcome(home, outcome)
    return {"dossier_ref": outcome.dossier_ref, "status": outcome.review.status if outcome.review else None,
            "error": outcome.error.code if outcome.error else None}


@flow(name="nightly-figures", log_prints=False, persist_result=False)
def nightly_figures(db_url: str | None = None, home: str = "var", day: str | None = None) -> dict:
    """Counts and amounts of the dossiers' current decisions, and of the day's decisions, as JSON."""
    from flows.figures import figures_of_day

    day_date = dt.date.fromisoformat(day) if day else dt.datetime.now(dt.timezone.utc).date()
    figures = figures_of_day(db_url, home, day_date)
    target = Path(home) / FIGURES_DIR_NAME / f"{day_date.isoformat()}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, target)
    return figures


def serve(options: ServeOptions) -> None:
    """Register the deployments and run them until interrupted (Ctrl-C, SIGTERM)."""
    import asyncio
    import datetime

    from prefect.runner import Runner

    from flows.grid_activation import reprice_open_dossiers
    from flows.inbox import watch_inbox
    from flows.reprocess import reprocess_open_dossiers
    from flows.review import review_batch
    from flows.warm import fork_flow_runs, warm_up

    Path(options.inbox_dir).mkdir(parents=True, exist_ok=True)
    warm_up(options.db_url, options.grid_dir, options.home)
    fork_flow_runs()
    common = {"db_url": options.db_url, "grid_dir": options.grid_dir, "home": options.home}
    runner = Runner(name="quote-review-serve", query_seconds=options.poll_seconds, limit=options.limit,
                    pause_on_shutdown=True)
    runner.add_flow(served_review_quote, name=SERVED_DEPLOYMENT, parameters=common)
    runner.add_flow(review_batch, name=SERVED_DEPLOYMENT, parameters=common)
    runner.add_flow(reprocess_open_dossiers, name=SERVED_DEPLOYMENT, parameters=common)
    runner.add_flow(reprice_open_dossiers, name=SERVED_DEPLOYMENT, parameters=common, cron=options.reprocess_cron)
    runner.add_flow(watch_inbox, name=SERVED_DEPLOYMENT, parameters={**common, "inbox_dir": options.inbox_dir},
                    interval=datetime.timedelta(seconds=options.inbox_every_seconds), concurrency_limit=1)
    runner.add_flow(nightly_figures, name=SERVED_DEPLOYMENT,
                    parameters={"db_url": options.db_url, "home": options.home}, cron=options.figures_cron)
    asyncio.run(runner.start())
