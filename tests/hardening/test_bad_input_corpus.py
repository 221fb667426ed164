"""The bad-input corpus through ``extract`` and through one ``batch``: every file gets its code or its
result, never a traceback, and the batch writes its summary and events whatever it holds."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from extractors.isolation import ReadLimits, set_limits
from tests.hardening.bad_inputs import build

runner = CliRunner()
ERROR_LINE = re.compile(r"^error (?P<path>.*?): (?P<code>E_[A-Z_]+): ")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad-inputs") / "in"
    expected = build(folder)
    assert sum(code != "ok" for code in expected.values()) >= 60
    return folder, expected


@pytest.fixture
def short_read_limit():
    set_limits(ReadLimits(timeout_seconds=8, memory_mb=700, workers=2))
    yield
    set_limits(ReadLimits.from_settings())


def _error_codes(output: str) -> dict[str, str]:
    codes = {}
    for line in output.splitlines():
        found = ERROR_LINE.match(line)
        if found:
            name = Path(found["path"]).name
            assert name not in codes, f"two error lines for {name}"
            codes[name] = found["code"]
    return codes


def test_extract_gives_every_bad_file_its_code_and_reads_the_good_ones(corpus, tmp_path, short_read_limit):
    folder, expected = corpus
    entries = sorted(folder.iterdir())
    result = runner.invoke(app, ["extract", *map(str, entries), "--out", str(tmp_path / "out")])
    assert "Traceback" not in result.output
    assert result.exit_code == 2
    codes = _error_codes(result.output)
    assert codes == {name: code for name, code in expected.items() if code != "ok"}
    for name, code in expected.items():
        if code == "ok":
            contract = json.loads((tmp_path / "out" / f"{Path(name).stem}.json").read_text())
            assert contract["doc_id"] == Path(name).stem
    # Error lines name the user's file, never the stored original.
    assert "originals" not in result.output


def test_one_batch_reviews_every_good_file_and_reports_every_bad_one(corpus, prefect_api, tmp_path, monkeypatch,
                                                                      short_read_limit):
    folder, expected = corpus
    home = tmp_path / "var"
    monkeypatch.setenv("QUOTE_REVIEW_HOME", str(home))
    dossiers = tmp_path / "dossiers.csv"
    # Saved by Excel on a French Windows: BOM, ';', and one row whose postcode names no département.
    dossiers.write_bytes("\ufefffile;dossier_ref;claim_date;postcode;guarantee;deductible;phone;email\r\n"
                         "devis-bon.pdf;SIN-2025-000777;2025-03-01;69003;degats_des_eaux;150,00;0601020304;inconnu\r\n"
                         "devis-deux-pages.pdf;SIN-2025-000778;2025-03-01;00000;degats_des_eaux;1e30;0601020304;inconnu\r\n"
                         .encode("utf-8"))
    expected = {**expected, "devis-deux-pages.pdf": "E_INVALID_DOSSIER"}
    out = tmp_path / "out"
    result = runner.invoke(app, ["batch", str(folder), "--dossiers", str(dossiers), "--out", str(out), "--quiet",
                                 "--db", f"sqlite:///{tmp_path / 'qr.db'}"])
    assert "Traceback" not in result.output
    assert result.exit_code == 3, result.output[-3000:]  # a dossier row was invalid
    assert _error_codes(result.output) == {name: code for name, code in expected.items() if code != "ok"}
    with (out / "summary.csv").open(encoding="utf-8") as handle:
        summary = {row["file"]: row for row in csv.DictReader(handle)}
    assert set(summary) == set(expected)
    for name, code in expected.items():
        row = summary[name]
        if code == "ok":
            assert row["status"] not in {"", "error"} and not row["error_code"], row
            assert (out / f"{Path(name).stem}.json").exists()
        else:
            assert (row["status"], row["error_code"]) == ("error", code), row
    assert summary["devis-bon.pdf"]["dossier_ref"] == "SIN-2025-000777"
    assert "line 3" in result.output  # the bad CSV row is named by its line
    events = list((home / "outbox").rglob("*.json"))
    assert events, "the events of the reviewed documents were delivered"
