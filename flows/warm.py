"""Flow runs that start warm: forked from the long-lived ``quote-review serve`` process.

Prefect's runner starts every flow run of an in-memory flow in a *spawned* Python process
(``prefect.flow_engine.run_flow_in_subprocess``): a fresh interpreter that imports Prefect,
the page readers and spaCy's French model again (8-9 s before the first page is read).
The serve process loads all of that once (``warm_up``) and then *forks* each flow run, so
the child starts with the grid, the matcher and the readers already in memory. Prefect
resets its own background services after a fork (``os.register_at_fork`` in
``prefect._internal.concurrency``), and every run opens its own database connection.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from functools import wraps
from pathlib import Path
from typing import Any

logger = logging.getLogger("quote_review.serve")


def warm_up(db_url: str | None = None, grid_dir: str | None = None, home: str | None = None) -> dict[str, float]:
    """Load, once per process, what every review needs; returns the seconds each part took."""
    import time

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    import extractors  # noqa: F401  pdfplumber, pypdfium2, OpenCV, pytesseract
    import extractors.ocr  # noqa: F401
    import extractors.image_prep  # noqa: F401
    seconds["readers"] = time.perf_counter() - started

    started = time.perf_counter()
    from pipeline.review import ReviewServices

    # Opening the services loads the grid, builds the matcher (spaCy's French model, cached per
    # process in pipeline.review) and brings the database schema up to date (imports Alembic).
    services = ReviewServices.open(db_url, Path(grid_dir) if grid_dir else None, Path(home) if home else None)
    services.close()
    seconds["services"] = time.perf_counter() - started
    return seconds


def run_flow_in_forked_process(flow, flow_run=None, parameters: dict[str, Any] | None = None, wait_for=None,
                               context: dict[str, Any] | None = None, env: dict[str, str | None] | None = None):
    """``prefect.flow_engine.run_flow_in_subprocess`` with a forked child instead of a spawned one.

    Same arguments, same environment handling, same control-channel bootstrap; only the start
    method differs, so the child inherits this process's loaded modules and caches.
    """
    # The same helpers Prefect's own version uses, taken from where it takes them.
    from prefect import flow_engine as engine
    from prefect.flow_engine import run_flow

    @wraps(run_flow)
    def run_flow_with_env(*args: Any, env: dict[str, str | None] | None = None, remove_env: set[str] | None = None,
                          **kwargs: Any):
        for key in remove_env or ():
            os.environ.pop(key, None)
        os.environ.update(engine._runtime_subprocess_env(env))
        settings_context = engine.get_settings_context()
        with engine.SettingsContext(profile=settings_context.profile, settings=engine.Settings()):
            with engine.handle_engine_signals(getattr(flow_run, "id", None)):
                maybe_coro = run_flow(*args, **kwargs)
                if asyncio.iscoroutine(maybe_coro):
                    asyncio.run(maybe_coro)

    context = context or engine.serialize_context()
    merged_env = (engine.get_current_settings().to_environment_variables(exclude_unset=True) | os.environ
                  | {"PREFECT__ENABLE_CANCELLATION_AND_CRASHED_HOOKS": "false"} | (env or {}))
    sanitized = engine.sanitize_subprocess_env(merged_env)
    startup_env = {key: value for key, value in sanitized.items() if key in engine._CONTROL_CHANNEL_ENV_KEYS}
    wrapped_call = engine.cloudpickle_wrapped_call(
        run_flow_with_env, env=engine._runtime_subprocess_env(sanitized),
        remove_env={key for key, value in merged_env.items() if value is None},
        flow=flow, flow_run=flow_run, parameters=parameters, wait_for=wait_for, context=context,
    )
    process = multiprocessing.get_context("fork").Process(
        target=engine._run_serialized_call_with_control_bootstrap, args=(wrapped_call.args[0], startup_env))
    process.start()
    return process


def fork_flow_runs() -> None:
    """Make this process's Prefect runner fork its flow runs (see the module's docstring)."""
    import prefect.runner._starter_direct as starter_direct

    starter_direct.run_flow_in_subprocess = run_flow_in_forked_process
