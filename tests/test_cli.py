"""The command line as a user types it: extract, review, batch, and bad input."""
import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from cli.main import app

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
QUOTE_SCHEMA = json.loads((REPO / "schemas" / "quote.schema.json").read_text())
REVIEW_SCHEMA = json.loads((REPO / "schemas" / "review.schema.json").read_text())
runner = CliRunner()


def test_extract_writes_contract_json_for_every_sample(tmp_path):
    samples = sorted(p for p in EXAMPLES.iterdir() if p.suffix in {".pdf", ".jpg", ".png"})
    assert {p.suffix for p in samples} == {".pdf", ".jpg", ".png"}
    result = runner.invoke(app, ["extract", *map(str, samples), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for sample in samples:
        extraction = json.loads((tmp_path / f"{sample.stem}.json").read_text())
        jsonschema.validate(extraction, QUOTE_SCHEMA)
        truth = json.loads((EXAMPLES / "truth" / f"{sample.stem}.truth.json").read_text())
        assert extraction["is_quote"] == truth["is_quote"]
        if truth["is_quote"]:
            assert extraction["totals"]["ttc"] == truth["totals"]["ttc"]


@pytest.mark.parametrize("name, content, code", [
    ("vide.pdf", b"", "E_EMPTY"),
    ("lettre.pdf", "Bonjour, voici mon devis.\n".encode(), "E_UNSUPPORTED_TYPE"),
    ("casse.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<", "E_CORRUPT"),
    ("photo.heic", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 40, "E_UNSUPPORTED_TYPE"),
])
def test_bad_input_gets_one_line_with_a_stable_code_and_a_non_zero_exit(tmp_path, name, content, code):
    bad = tmp_path / name
    bad.write_bytes(content)
    good = EXAMPLES / "devis-plombier-juste.pdf"
    result = runner.invoke(app, ["extract", str(bad), str(good), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    error_lines = [line for line in result.output.splitlines() if line.startswith("error")]
    assert error_lines == [f"error {bad}: {code}: " + error_lines[0].split(f"{code}: ", 1)[1]]
    assert "Traceback" not in result.output
    assert (tmp_path / "out" / "devis-plombier-juste.json").exists()


def test_review_prints_the_contract_json(prefect_api, tmp_path, monkeypatch):
    monkeypatch.setenv("QUOTE_REVIEW_HOME", str(tmp_path / "var"))
    result = runner.invoke(app, [
        "review", str(EXAMPLES / "devis-plombier-juste.pdf"), "--dossier", "CLI-1", "--postcode", "75011",
        "--guarantee", "degats_des_eaux", "--deductible", "150", "--format", "json",
        "--db", f"sqlite:///{tmp_path / 'qr.db'}",
    ])
    assert result.exit_code == 0, result.output
    review = json.loads(result.stdout)
    jsonschema.validate(review, REVIEW_SCHEMA)
    assert review["dossier_ref"] == "CLI-1" and review["deductible"] == 150


def test_review_refuses_an_invalid_dossier(prefect_api, tmp_path, monkeypatch):
    monkeypatch.setenv("QUOTE_REVIEW_HOME", str(tmp_path / "var"))
    result = runner.invoke(app, [
        "review", str(EXAMPLES / "devis-plombier-juste.pdf"), "--dossier", "CLI-2", "--guarantee", "assurance_vie",
        "--deductible", "150", "--db", f"sqlite:///{tmp_path / 'qr.db'}",
    ])
    assert result.exit_code == 3
    assert "E_INVALID_DOSSIER" in result.output


def test_batch_writes_a_summary_and_goes_on_past_bad_files(prefect_api, tmp_path, monkeypatch):
    monkeypatch.setenv("QUOTE_REVIEW_HOME", str(tmp_path / "var"))
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "devis-plombier-juste.pdf").write_bytes((EXAMPLES / "devis-plombier-juste.pdf").read_bytes())
    (folder / "vide.pdf").write_bytes(b"")
    result = runner.invoke(app, ["batch", str(folder), "--out", str(tmp_path / "out"), "--quiet",
                                 "--db", f"sqlite:///{tmp_path / 'qr.db'}"])
    assert result.exit_code == 2
    summary = (tmp_path / "out" / "summary.csv").read_text().splitlines()
    assert summary[0].startswith("file,dossier_ref,status")
    rows = {line.split(",")[0]: line for line in summary[1:]}
    assert "E_EMPTY" in rows["vide.pdf"]
    jsonschema.validate(json.loads((tmp_path / "out" / "devis-plombier-juste.json").read_text()), REVIEW_SCHEMA)
