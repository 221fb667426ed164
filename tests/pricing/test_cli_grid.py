import json

from typer.testing import CliRunner

from cli.grid import grid_app
from pricing.grid import DEFAULT_GRID_DIR

runner = CliRunner()


def test_check_prints_counts_and_version():
    result = runner.invoke(grid_app, ["check"])
    assert result.exit_code == 0, result.output
    assert "grid 2025.3" in result.output and "210 items" in result.output and "lexicon terms" in result.output and "OK" in result.output


def test_check_fails_with_file_row_column(grid_copy):
    items = grid_copy / "items.csv"
    items.write_text(items.read_text(encoding="utf-8").replace(",m2,28.00,20.00,50.00,both,", ",m3x,28.00,20.00,50.00,both,", 1), encoding="utf-8")
    result = runner.invoke(grid_app, ["check", "--grid", str(grid_copy)])
    assert result.exit_code == 1
    assert "items.csv" in result.output and "column unit" in result.output and "unknown unit" in result.output


def test_show_item_with_postcode():
    result = runner.invoke(grid_app, ["show", "cou_gouttiere_zinc", "--postcode", "75011"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    # A supplied-and-fitted item: the labour coefficient applies to half its price (55 × 1.125).
    assert "61.88" in result.output and "75: labour × 1.25, this item × 1.125" in result.output
    assert runner.invoke(grid_app, ["show", "nope"]).exit_code == 1


def test_match_json_one_object_per_line(tmp_path):
    csv_file = tmp_path / "lines.csv"
    csv_file.write_text("description,unit\nDépose/repose tapisserie,m2\nInstallation piscine hors sol,u\n", encoding="utf-8")
    result = runner.invoke(grid_app, ["match", "F&P faience murale 20x40", "--csv", str(csv_file), "--postcode", "13008", "--format", "json"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [r["grid_item"] for r in records] == ["car_faience", "pei_papier_peint", None]
    assert records[0]["trade"] == "carrelage" and records[0]["reference_unit_price_ht"] == 61.5  # 60 × (1 + ½ × 0.05)
    assert records[2]["grid_label"] is None and records[2]["reference_unit_price_ht"] is None
    assert {"description", "grid_item", "grid_label", "match_score", "trade", "reference_unit_price_ht"} <= records[0].keys()


def test_match_table():
    result = runner.invoke(grid_app, ["match", "Frais de déplacement", "--postcode", "75011"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "div_deplacement" in result.output and "62.50" in result.output


def test_index_then_diff(tmp_path):
    target = tmp_path / "v2"
    result = runner.invoke(grid_app, ["index", "--from", str(DEFAULT_GRID_DIR), "--to", str(target), "--old-index", "132.0",
                                      "--new-index", "135.3", "--version", "2025.4", "--effective-date", "2026-09-01"])
    assert result.exit_code == 0, result.output
    assert "wrote grid 2025.4" in result.output
    diff = runner.invoke(grid_app, ["diff", str(DEFAULT_GRID_DIR), str(target)], env={"COLUMNS": "200"})
    assert diff.exit_code == 0
    assert "0 added, 0 removed, 210 price changes" in diff.output and "+2.50 %" in diff.output
    bad = runner.invoke(grid_app, ["index", "--from", str(DEFAULT_GRID_DIR), "--to", str(tmp_path / "v3"), "--old-index", "0",
                                   "--new-index", "135", "--version", "x", "--effective-date", "2025-09-01"])
    assert bad.exit_code == 1
