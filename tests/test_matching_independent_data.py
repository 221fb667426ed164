"""The independent matching evaluation set is well formed (columns, trades, units, size)."""
import csv
from pathlib import Path

DATA = Path(__file__).parent / "data" / "matching_independent.csv"
TRADES = {
    "plomberie", "peinture", "platrerie", "carrelage", "sols", "electricite", "menuiserie", "serrurerie",
    "vitrerie", "couverture", "maconnerie", "assechement", "nettoyage", "divers",
}
UNITS = {"m2", "ml", "m3", "u", "h", "forfait", "kg"}
MINIMUM_ROWS = 600


def _rows():
    with DATA.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_columns_and_size():
    with DATA.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert header[:5] == ["designation", "unit", "trade", "work", "source"]
    assert len(_rows()) >= MINIMUM_ROWS


def test_every_row_has_a_known_trade_and_unit_and_a_source():
    for row in _rows():
        assert row["designation"].strip(), row
        assert row["trade"] in TRADES, row
        assert row["unit"] in UNITS, row
        assert row["work"].strip(), row
        assert row["source"].strip(), row


def test_designations_are_unique():
    designations = [row["designation"].casefold() for row in _rows()]
    assert len(designations) == len(set(designations))


ITEMS = Path(__file__).parent.parent / "reference_prices" / "items.csv"
OUT_OF_GRID = "out_of_grid"


def test_every_label_is_a_grid_item_or_out_of_grid():
    with ITEMS.open(encoding="utf-8", newline="") as handle:
        item_ids = {row["id"] for row in csv.DictReader(handle)}
    for row in _rows():
        assert row["grid_item"] == OUT_OF_GRID or row["grid_item"] in item_ids, row
        assert row["labelled_after_grid"] == "yes", row


def test_both_in_grid_and_out_of_grid_lines_are_represented():
    labels = [row["grid_item"] for row in _rows()]
    assert labels.count(OUT_OF_GRID) >= len(labels) // 10
    assert len(labels) - labels.count(OUT_OF_GRID) >= len(labels) // 3
