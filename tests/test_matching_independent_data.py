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
