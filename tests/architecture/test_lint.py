"""ruff (with its complexity limit) and mypy, run by the test command: a finding is a failing test."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Core, the stages and the orchestrator; mypy's files are in pyproject.toml ([tool.mypy]).
LINTED = ["core", "ingestion", "extractors", "pricing", "decisions", "store", "handoff", "workflow", "pipeline",
          "flows", "cli", "quote_review", "web"]


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *command], cwd=REPO, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing_and_no_function_is_too_complex():
    done = _run("ruff", "check", "--no-cache", "--output-format", "concise", *LINTED)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_mypy_finds_nothing_in_core_and_the_stages(tmp_path_factory):
    cache = tmp_path_factory.getbasetemp().parent / "mypy-cache"  # kept between runs of the suite
    done = _run("mypy", "--cache-dir", str(cache))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
