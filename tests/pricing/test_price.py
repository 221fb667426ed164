from decimal import Decimal

from core.models import Extraction, LineItem
from pricing.price import price_lines


def _extraction(postcode="75011"):
    return Extraction(
        doc_id="t1", is_quote=True, site_postcode=postcode,
        lines=[
            LineItem("Mise en peinture murs, impression + 2 couches velours", Decimal("840"), Decimal("30"), "m2", Decimal("28")),
            LineItem("Frais de déplacement", Decimal("60"), None, None, None),
            LineItem("Remise 5 % sur total HT", Decimal("-45")),
            LineItem("Installation piscine hors sol", Decimal("3000"), Decimal("1"), "u", Decimal("3000")),
            LineItem("Faïence murale salle de bain", Decimal("300"), Decimal("5"), "ml", Decimal("60")),
        ],
    )


def test_lines_are_priced_for_the_site_departement(grid, matcher):
    priced = price_lines(_extraction(), grid, matcher)
    paint, travel, discount, pool, tiles = priced
    assert [p.index for p in priced] == [0, 1, 2, 3, 4]
    assert paint.item_id == "pei_murs" and paint.trade == "peinture"
    assert paint.reference_unit_price_ht == grid.reference_unit_price("pei_murs", "75011")
    assert paint.reference_total_ht == paint.reference_unit_price_ht * 30
    assert (paint.low_unit_ht, paint.high_unit_ht) == grid.band("pei_murs", "75011")
    assert paint.line.trade is None  # the extraction is not mutated
    # A lump sum printed without quantity counts as one forfait.
    assert travel.item_id == "div_deplacement" and travel.reference_total_ht == travel.reference_unit_price_ht
    assert discount.match.item is None and discount.trade is None and discount.reference_unit_price_ht is None
    assert pool.match.item is None and pool.reference_total_ht is None
    # Quoted in ml against an m2 item: a unit price is given but no comparable total.
    assert tiles.item_id == "car_faience" and not tiles.unit_compatible and tiles.reference_total_ht is None


def test_postcode_argument_overrides_the_extraction(grid, matcher):
    lille = price_lines(_extraction(), grid, matcher, postcode="59000")[0]
    paris = price_lines(_extraction(), grid, matcher)[0]
    assert lille.reference_unit_price_ht < paris.reference_unit_price_ht
    national = price_lines(_extraction(postcode=None), grid, matcher)[0]
    assert national.reference_unit_price_ht == grid.items["pei_murs"].price_ht


def test_only_supply_only_lines_are_linked_to_a_public_supply_price():
    from pricing.grid import load_grid
    from pricing.price import supply_of

    grid = load_grid()
    assert supply_of(grid, "Fourniture cylindre de sécurité 5 clés Vachette") == "sup_cylindre_a2p1"
    assert supply_of(grid, "Fourniture seule plaque BA13") == "sup_ba13"
    assert supply_of(grid, "F&P cylindre de sécurité 5 clés") is None
    assert supply_of(grid, "Fourniture et pose cylindre de sécurité") is None
