"""The public Python API, and the README's example run as written."""
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import quote_review
from core.errors import EmptyFileError, InvalidDossierError

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "devis-plombier-juste.pdf"


def test_extract_reads_a_quote_without_a_database():
    extraction = quote_review.extract(EXAMPLE)
    assert extraction.is_quote and extraction.totals.ttc == Decimal("1482.83")


def test_extract_raises_the_error_naming_the_file(tmp_path):
    empty = tmp_path / "vide.pdf"
    empty.write_bytes(b"")
    with pytest.raises(EmptyFileError) as caught:
        quote_review.extract(empty)
    assert caught.value.path == str(empty)


def test_review_records_the_decision_in_the_given_database(tmp_path):
    dossier = quote_review.dossier("API-1", claim_date="2025-06-17", deductible="150,00", guarantee="degats_des_eaux")
    review = quote_review.review(EXAMPLE, dossier, db=f"sqlite:///{tmp_path / 'api.db'}", home=tmp_path / "home")
    assert review.quoted_ttc == Decimal("1482.83") and review.dossier_ref == "API-1"
    assert (tmp_path / "api.db").exists() and list((tmp_path / "home" / "outbox").glob("*/*.json"))


def test_a_bad_dossier_value_is_an_invalid_dossier_error():
    with pytest.raises(InvalidDossierError):
        quote_review.dossier("API-2", claim_date="17/06/2025", deductible=0, guarantee="incendie")


def test_the_readme_example_runs_as_written(tmp_path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## From Python"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) == 3
    env = {"PATH": "/usr/bin:/bin", "QUOTE_REVIEW_HOME": str(tmp_path / "var"), "HOME": str(Path.home())}
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    expected = re.search(r"# (\w+)", code).group(1)
    assert done.stdout.strip() == expected
    assert (tmp_path / "var" / "quote-review.db").exists()  # QUOTE_REVIEW_HOME moved the default database
