"""A batch on a real Dask LocalCluster (two worker processes) decides as the thread runner does."""
import datetime as dt
from decimal import Decimal

import importlib.util

import pytest

from core.models import Dossier
from corpusgen import make_document

# Not importorskip: importing prefect_dask imports Prefect before the prefect_api fixture sets its URL.
pytestmark = pytest.mark.skipif(importlib.util.find_spec("prefect_dask") is None, reason="prefect-dask not installed")


def test_a_batch_on_two_dask_worker_processes_equals_the_thread_runner(prefect_api, tmp_path):
    from flows.dask_runner import DASK, THREAD, run_batch

    folder = tmp_path / "docs"
    folder.mkdir()
    paths = [make_document(folder, f"devis-{seed}", "pdf-digital", seed=seed, template=template).path
             for seed, template in ((3, "grid"), (5, "lots"))]
    (folder / "vide.pdf").write_bytes(b"")
    items = [(str(path), Dossier(f"DK-{path.stem}", dt.date(2025, 3, 1), Decimal("150"), "degats_des_eaux",
                                 postcode="75011"))
             for path in [*paths, folder / "vide.pdf"]]

    def contracts(runner: str) -> list:
        home = tmp_path / runner
        outcomes = run_batch(items, f"sqlite:///{home / 'qr.db'}", None, str(home), runner=runner, dask_workers=2)
        return [o.review.to_contract() if o.review else o.error.code for o in outcomes]

    on_threads, on_dask = contracts(THREAD), contracts(DASK)
    assert on_dask[-1] == "E_EMPTY"
    assert on_dask == on_threads
