import datetime as dt
from decimal import Decimal

import pytest

from core.errors import GridError
from core.models import GUARANTEES, TRADES
from pricing.grid import DEPARTEMENTS, departement_of, diff_grids, index_grid, load_grid


def test_postcode_to_departement():
    assert departement_of("75011") == "75"
    assert departement_of("01000") == "01"
    assert departement_of("20000") == "2A"
    assert departement_of("20199") == "2A"
    assert departement_of("20200") == "2B"
    assert departement_of("20620") == "2B"
    assert departement_of("97411") == "974"
    assert departement_of("97600") == "976"
    assert departement_of(" 13 008") == "13"
    assert departement_of("7501") is None
    assert departement_of(None) is None


def test_shipped_grid_is_complete(grid):
    assert len(grid.items) >= 200
    assert {item.trade for item in grid.items.values()} == set(TRADES)
    assert set(grid.zones) == set(DEPARTEMENTS) and len(DEPARTEMENTS) == 102
    assert all(item.source.startswith(("http", "Insee")) for item in grid.items.values())
    assert all(len(item.keywords) >= 1 for item in grid.items.values())
    assert {rule.guarantee for rule in grid.cover_rules} == set(GUARANTEES)
    assert grid.version == "2025.3" and grid.effective_date == dt.date(2026, 1, 1)


def test_prices_follow_the_departement(grid):
    national = grid.items["pei_murs"].price_ht
    assert grid.reference_unit_price("pei_murs", None) == national
    paris = grid.reference_unit_price("pei_murs", "75011")
    # Painting is supplied and fitted: Paris's labour coefficient applies to the labour half.
    assert grid.items["pei_murs"].kind == "both" and grid.manifest.labour_share == Decimal("0.5")
    assert paris == (national * (1 + (grid.zone_coefficient("75") - 1) / 2)).quantize(Decimal("0.01"))
    assert paris > grid.reference_unit_price("pei_murs", "59000")
    low, high = grid.band("pei_murs", "97100")
    assert low < grid.reference_unit_price("pei_murs", "97100") < high
    with pytest.raises(KeyError):
        grid.reference_unit_price("no_such_item", "75011")


def test_the_departement_coefficient_applies_to_labour_not_to_supplies(grid):
    paris = grid.zone_coefficient("75")
    assert grid.item_coefficient("plb_recherche_fuite", "75011") == paris  # labour
    assert grid.item_coefficient("ser_cles", "75011") == 1  # a supply costs the same everywhere
    assert grid.reference_unit_price("ser_cles", "75011") == grid.items["ser_cles"].price_ht
    assert grid.item_coefficient("pei_murs", None) == 1


def test_labour_uses_local_rows_before_national_times_coefficient(grid):
    assert grid.labour_rate("plomberie", "75001") == Decimal("85.00")  # local row, not 55 × 1.25
    national = grid.labour[("plomberie", "*")].hourly_rate_ht
    assert grid.labour_rate("plomberie", "33000") == (national * grid.zone_coefficient("33")).quantize(Decimal("0.01"))
    assert grid.minimum_billing("couverture", None) == grid.labour[("couverture", "*")].minimum_billing_ht


def test_water_damage_covers_damage_and_leak_search_not_the_leak_repair(grid):
    assert grid.covers("degats_des_eaux", "plb_recherche_fuite", None)
    assert not grid.covers("degats_des_eaux", "plb_reparation_fuite", None)
    assert not grid.covers("degats_des_eaux", "plb_tuyau_cuivre", None)
    assert grid.covers("degats_des_eaux", "pei_plafond", None)
    assert grid.covers("degats_des_eaux", None, "assechement")
    assert not grid.covers("degats_des_eaux", None, None)  # e.g. a discount line
    assert grid.covers("bris_de_glace", "vit_double_vitrage", None)
    assert not grid.covers("bris_de_glace", "men_fenetre_pvc", None)
    with pytest.raises(ValueError):
        grid.covers("inondation", None, "peinture")


def test_supply_control_thresholds(grid):
    public = grid.supply_price("sup_cylindre_a2p1").public_price_ht  # 80 €
    assert not grid.check_supply("sup_cylindre_a2p1", public * 2).queried  # +100 %, but only +80 €
    check = grid.check_supply("sup_cylindre_a2p1", public * 2, quantity=Decimal("2"))
    assert check.queried and check.gap_ht == public * 2  # +100 % and +160 €
    big = grid.supply_price("sup_chauffe_eau_200").public_price_ht  # 450 €
    assert not grid.check_supply("sup_chauffe_eau_200", big + 120).queried  # +120 € but +27 %
    assert grid.check_supply("sup_chauffe_eau_200", big * Decimal("1.5")).queried


def _replace_line(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_bad_price_names_file_row_and_column(grid_copy):
    items = grid_copy / "items.csv"
    lines = items.read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines, start=1) if line.startswith("pei_murs,"))
    _replace_line(items, ",m2,28.00,20.00,50.00,", ",m2,abc,20.00,50.00,")
    with pytest.raises(GridError) as err:
        load_grid(grid_copy)
    message = err.value.one_line()
    assert "items.csv" in message and f"row {row}" in message and "column price_ht" in message
    assert err.value.code == "E_GRID"


def test_price_outside_its_band_is_rejected(grid_copy):
    _replace_line(grid_copy / "items.csv", ",ml,65.00,15.00,200.00,", ",ml,650.00,15.00,200.00,")
    with pytest.raises(GridError, match="outside the band"):
        load_grid(grid_copy)


def test_unknown_trade_and_missing_departement_are_rejected(grid_copy):
    _replace_line(grid_copy / "labour.csv", "vitrerie,*", "vitrage,*")
    with pytest.raises(GridError, match=r"labour.csv, row \d+, column trade: unknown trade 'vitrage'"):
        load_grid(grid_copy)


def test_missing_departement_is_rejected(grid_copy):
    zones = grid_copy / "zones.csv"
    zones.write_text("\n".join(l for l in zones.read_text(encoding="utf-8").splitlines() if not l.startswith("2B,")) + "\n", encoding="utf-8")
    with pytest.raises(GridError, match="missing départements 2B"):
        load_grid(grid_copy)


def test_cover_rule_must_name_an_existing_item(grid_copy):
    with (grid_copy / "cover.csv").open("a", encoding="utf-8") as handle:
        handle.write("incendie,,pei_inexistant,yes,test\n")
    with pytest.raises(GridError, match="unknown grid item 'pei_inexistant'"):
        load_grid(grid_copy)


def test_index_moves_prices_by_the_bt01_ratio_and_diff_reports_it(grid, tmp_path):
    new = index_grid(grid.path, tmp_path / "v2", "132.0", "135.3", "2025.2", dt.date(2025, 9, 1), "2025-06")
    assert new.version == "2025.2" and new.effective_date == dt.date(2025, 9, 1)
    assert new.manifest.index.value == Decimal("135.3")
    ratio = Decimal("135.3") / Decimal("132.0")
    for item_id in ("pei_murs", "plb_chauffe_eau_200", "div_enduit_rebouchage"):
        assert new.items[item_id].price_ht == (grid.items[item_id].price_ht * ratio).quantize(Decimal("0.01"))
    assert new.zone_coefficient("75") == grid.zone_coefficient("75")
    assert new.labour[("plomberie", "*")].hourly_rate_ht == (grid.labour[("plomberie", "*")].hourly_rate_ht * ratio).quantize(Decimal("0.01"))
    d = diff_grids(grid, new)
    assert not d.added and not d.removed and len(d.changed) == len(grid.items)
    assert all(c.new_price_ht > c.old_price_ht for c in d.changed)


def test_index_refuses_to_overwrite_its_source(grid_copy):
    with pytest.raises(ValueError):
        index_grid(grid_copy, grid_copy, "132", "133", "x", dt.date(2025, 1, 1))
