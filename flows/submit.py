"""Hand a review to the warm ``quote-review serve`` process and wait for its verdict.

This is what ``prefect.deployments.run_deployment`` does (create a flow run of the deployment,
poll its state), spoken directly to Prefect's REST API with the standard library: importing
Prefect's client costs a command 2-4 s, more than the review of a digital quote.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from core import errors
from core.errors import OrchestrationError, QuoteReviewError
from core.models import Dossier
from core.review import Review

TERMINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
POLL_SECONDS = 0.1
# A deployment is READY while its runner polled the API in the last minute (Prefect's own rule).
READY = "READY"
RUNS_DIR_NAME = "runs"


def outcome_path(home: str | Path, flow_run_id: str) -> Path:
    """Where a served ``review-quote`` run leaves its outcome for the command that submitted it."""
    return Path(home) / RUNS_DIR_NAME / f"{flow_run_id}.json"


@dataclass
class SubmittedOutcome:
    flow_run_id: str
    review: Review | None
    error: QuoteReviewError | None


# A busy Prefect server answers 503 (its database is locked) or 429; Prefect's client retries those too.
RETRIED_STATUSES = {429, 502, 503}
ATTEMPTS = 6


def _call(api_url: str, method: str, route: str, body: dict | None = None, timeout: float = 10.0) -> dict | None:
    data = None if body is None else json.dumps(body).encode()
    for attempt in range(1, ATTEMPTS + 1):
        request = urllib.request.Request(f"{api_url}{route}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            if exc.code in RETRIED_STATUSES and attempt < ATTEMPTS:
                time.sleep(0.2 * 2 ** attempt)
                continue
            raise OrchestrationError(f"Prefect API {method} {route}: HTTP {exc.code} {exc.read()[:300]!r}") from exc
        except OSError as exc:
            raise OrchestrationError(f"Prefect API {method} {route}: {exc}") from exc


def served_deployment_id(api_url: str, flow_name: str = "review-quote", deployment: str = "serve") -> str | None:
    """The deployment's id when a ``quote-review serve`` process is polling for it, else None."""
    try:
        found = _call(api_url, "GET", f"/deployments/name/{urllib.parse.quote(flow_name)}/{urllib.parse.quote(deployment)}",
                      timeout=2.0)
    except OrchestrationError:
        return None
    if not found or found.get("status") != READY or found.get("paused"):
        return None
    return found["id"]


def dossier_parameters(dossier: Dossier) -> dict:
    return {"ref": dossier.ref, "claim_date": dossier.claim_date.isoformat(), "deductible": str(dossier.deductible),
            "guarantee": dossier.guarantee, "phone": dossier.phone, "email": dossier.email, "postcode": dossier.postcode}


def run_deployment(api_url: str, deployment_id: str, parameters: dict, timeout: float = 900.0) -> dict:
    """Create a flow run of the deployment and wait until it ends; returns the flow run."""
    created = _call(api_url, "POST", f"/deployments/{deployment_id}/create_flow_run", {"parameters": parameters})
    run_id = created["id"]
    deadline = time.monotonic() + timeout
    while True:
        run = _call(api_url, "GET", f"/flow_runs/{run_id}")
        if run and run.get("state") and run["state"]["type"] in TERMINAL_STATES:
            return run
        if time.monotonic() > deadline:
            raise OrchestrationError(f"flow run {run_id} did not end within {timeout:.0f} s")
        time.sleep(POLL_SECONDS)


def _error_from(payload: dict) -> QuoteReviewError:
    cls = getattr(errors, payload.get("type") or "", None)
    if not (isinstance(cls, type) and issubclass(cls, QuoteReviewError)):
        cls = QuoteReviewError
    error = cls(payload["message"], path=payload.get("path"))
    if error.code != payload.get("code"):
        error.code = payload.get("code")
    return error


def submit_review(api_url: str, deployment_id: str, path: Path, dossier: Dossier, db_url: str | None,
                  grid_dir: str | None, home: Path) -> SubmittedOutcome:
    """Review ``path`` in the served process; the verdict comes back through the outcome file."""
    parameters = {"path": str(Path(path).resolve()), "dossier": dossier_parameters(dossier), "db_url": db_url,
                  "grid_dir": grid_dir, "home": str(home)}
    run = run_deployment(api_url, deployment_id, parameters)
    state = run["state"]
    result_file = outcome_path(home, run["id"])
    if state["type"] != "COMPLETED" or not result_file.exists():
        raise OrchestrationError(f"the served review ended {state['type']}: {state.get('message') or 'no message'} "
                                 f"(flow run {run['id']})")
    payload = json.loads(result_file.read_text(encoding="utf-8"))
    result_file.unlink()
    review = Review.from_contract(payload["review"]) if payload.get("review") else None
    error = _error_from(payload["error"]) if payload.get("error") else None
    return SubmittedOutcome(run["id"], review, error)
