import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from core import review as rules
from core.errors import StateError
from core.review import Review
from core.models import cents
from core.settings import Settings
from decisions import apply_override, close, decide, reopen
from tests.decide.decide_helpers import (
    CYLINDER,
    LEAK,
    PAINT,
    TAP,
    GridDouble,
    dossier,
    extraction,
    line,
    priced,
    quote_for_ttc,
)

D = Decimal
# A grid that matches the market exactly: the line rules alone decide (the market doubt has its own tests).
SETTINGS = Settings(market_spread=D(0), quote_spread=D(0))
SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "review.schema.json").read_text())


def run(ext, priced_lines, grid=None, **kwargs):
    grid = grid or GridDouble()
    review = decide(ext, priced_lines, dossier(**kwargs), grid.version, SETTINGS, grid=grid)
    jsonschema.validate(review.to_contract(), SCHEMA)
    return review


def codes(review):
    return sorted({flag.code for flag in review.all_flags})


@pytest.mark.parametrize("ttc, status, flag", [
    ("649.99", "out_of_scope", "OUT_OF_SCOPE_LOW"),
    ("650.00", "auto_validated", None),
    ("6500.00", "auto_validated", None),
    ("6500.01", "out_of_scope", "OUT_OF_SCOPE_HIGH"),
])
def test_scope_boundaries_are_exact_to_the_cent(ttc, status, flag):
    review = run(*quote_for_ttc(ttc))
    assert review.status == status
    if flag:
        assert codes(review) == [flag]
        assert review.motive == "Hors périmètre"
        assert review.revised_ttc is None and review.indemnity is None
    else:
        assert review.revised_ttc == D(ttc) and review.indemnity == D(ttc) - 150


def _overpriced(excess_ttc: str):
    """A quote whose only line is cut so that the TTC variance is exactly ``excess_ttc`` (10 % VAT)."""
    reference_ht = D("1000.00")
    quoted_ht = (reference_ht + D(excess_ttc) / D("1.1")).quantize(D("0.01"))
    paint = line(quoted_ht, qty=1, unit="m2", pu=quoted_ht, trade="peinture")
    return extraction([paint]), [priced(0, paint, PAINT, reference_unit="1000", high_unit="1000")]


def test_variance_of_200_00_is_accepted_and_200_01_goes_to_ren():
    accepted = run(*_overpriced("200.00"))
    assert accepted.variance_ttc == D("200.00")
    assert accepted.status == "accepted_under_200"
    assert accepted.motive == "Clos - Eco. moins de 200 euros"
    assert accepted.indemnity == accepted.quoted_ttc - 150
    ren = run(*_overpriced("200.01"))
    assert ren.variance_ttc == D("200.01")
    assert ren.status == "ren_proposed" and ren.indemnity is None
    assert "PRICE_ABOVE_GRID" in codes(ren)


def test_price_inside_the_band_is_not_cut():
    paint = line("1180", qty=10, unit="m2", pu="118", trade="peinture")
    review = run(extraction([paint]), [priced(0, paint, PAINT, reference_unit="100", high_unit="120")])
    assert review.lines[0].revised_total_ht == D("1180.00")
    assert review.status == "auto_validated"  # 198 € TTC above the reference: within the threshold
    paint = line("1200", qty=10, unit="m2", pu="120", trade="peinture")
    review = run(extraction([paint]), [priced(0, paint, PAINT, reference_unit="100", high_unit="120")])
    assert review.lines[0].revised_total_ht == D("1200.00")
    assert codes(review) == ["ABOVE_REFERENCE"] and review.status == "to_review"
    assert review.flags[0].figures == {"above_reference_ttc": 220.0, "uncertainty_ttc": 0.0, "threshold_ttc": 200.0}
    above = line("1200.10", qty=10, unit="m2", pu="120.01", trade="peinture")
    cut = run(extraction([above]), [priced(0, above, PAINT, reference_unit="100", high_unit="120")])
    assert cut.lines[0].revised_total_ht == D("1000.00")
    assert cut.variance_ttc == D("220.11") and cut.status == "ren_proposed"


def test_uncovered_line_is_revised_to_zero_and_not_paid():
    tap = line("700", qty=1, unit="u", pu="700", trade="plomberie")
    paint = line("150", qty=5, unit="m2", pu="30", trade="peinture")
    grid = GridDouble(uncovered_trades={"peinture"})
    review = run(extraction([tap, paint]), [priced(0, tap, TAP, "700", "700"), priced(1, paint, PAINT, "30", "30")], grid)
    assert not review.lines[1].covered and review.lines[1].revised_total_ht == 0
    assert "NOT_COVERED" in codes(review)
    assert review.variance_ttc == D("165.00")
    assert review.status == "accepted_under_200"
    # Accepted means the price is accepted, not the uncovered work: 770 TTC - 150 deductible.
    assert review.indemnity == D("620.00")


def test_unmatched_line_keeps_its_amount_and_its_doubt_weighs_on_the_dossier():
    odd = line("900", qty=1, unit="u", pu="900", description="Prestation mystère")
    review = run(extraction([odd]), [priced(0, odd, None)])
    assert review.lines[0].revised_total_ht == D("900.00")
    # 990 € TTC nobody can price, give or take 50 %: a reviewer decides.
    assert codes(review) == ["ABOVE_REFERENCE", "UNMATCHED_LINE"]
    assert review.status == "to_review" and review.indemnity is None
    assert review.flags[0].figures["uncertainty_ttc"] == 495.0  # one deviation: 50 % × 990
    fee = line("60", qty=1, unit="u", pu="60", description="Frais de dossier")
    tap = line("700", qty=1, unit="u", pu="700", trade="plomberie")
    small = run(extraction([tap, fee]), [priced(0, tap, TAP, "700", "700"), priced(1, fee, None)])
    assert codes(small) == ["UNMATCHED_LINE"] and small.status == "auto_validated"
    assert small.lines[1].revised_total_ht == D("60.00")


def test_missing_quantity_on_area_work_is_not_revisable():
    paint = line("800", unit="m2", trade="peinture")
    review = run(extraction([paint]), [priced(0, paint, PAINT)])
    assert review.status == "not_revisable"
    assert review.revised_ttc is None
    assert "MISSING_QUANTITY" in codes(review)
    assert review.flags[-1].figures == {"lines": [0]}


def test_lump_sum_without_quantity_is_revisable():
    leak = line("700", unit="forfait", trade="plomberie")
    review = run(extraction([leak]), [priced(0, leak, LEAK, reference_unit="650", high_unit="800")], GridDouble(minimum=D("800")))
    assert review.status == "auto_validated"


@pytest.mark.parametrize("qty, pu, total, flagged", [
    ("3", "10.00", "30.01", False),
    ("3", "10.00", "30.02", True),
])
def test_line_arithmetic_tolerance_is_one_cent(qty, pu, total, flagged):
    tap = line(total, qty=qty, unit="u", pu=pu, trade="plomberie")
    big = line("700", qty=1, unit="u", pu="700", trade="plomberie")
    review = run(extraction([tap, big]), [priced(0, tap, TAP, pu, "1000"), priced(1, big, TAP, "700", "700")])
    assert ("ARITHMETIC_MISMATCH" in codes(review)) is flagged


def test_totals_that_do_not_add_up_are_flagged():
    tap = line("700", qty=1, unit="u", pu="700", trade="plomberie")
    review = run(extraction([tap], ht="700", tva="70", ttc="775"), [priced(0, tap, TAP, "700", "700")])
    assert codes(review) == ["ARITHMETIC_MISMATCH"]
    assert review.status == "to_review"
    review = run(extraction([tap], ht="710", tva="71", ttc="781"), [priced(0, tap, TAP, "700", "700")])
    assert review.flags[0].figures == {"sum_lines_ht": 700.0, "total_ht": 710.0}


@pytest.mark.parametrize("rate, description, item, suspect", [
    ("0.055", "Peinture des murs", PAINT, True),
    ("0.055", "Isolation des combles laine de verre", PAINT, False),
    ("0.10", "Peinture des murs", PAINT, False),
    ("0.10", "Cylindre de sécurité, fourniture seule", CYLINDER, True),
    ("0.10", "Cylindre de sécurité, fourni et posé", CYLINDER, False),
    ("0.10", "Peinture - construction neuve", PAINT, True),
    ("0.07", "Peinture des murs", PAINT, True),
    ("0.20", "Peinture des murs", PAINT, False),
])
def test_vat_rate_consistency(rate, description, item, suspect):
    work = line("700", qty=7, unit="m2", pu="100", vat=rate, description=description)
    review = run(extraction([work]), [priced(0, work, item, "100", "100")])
    assert ("VAT_RATE_SUSPECT" in codes(review)) is suspect


def test_zero_vat_of_an_exempt_supplier_is_not_suspect():
    work = line("700", qty=7, unit="m2", pu="100", vat="0")
    review = run(extraction([work], tva="0"), [priced(0, work, PAINT, "100", "100")])
    assert codes(review) == []


@pytest.mark.parametrize("pu, qty, catalogue, flagged", [
    ("130.00", "10", "100", False),   # exactly 30 %: not over
    ("130.01", "10", "100", True),    # over 30 % and 300.10 € over
    ("250.00", "1", "150", True),     # +66 %, 100.00 € gap... see next
    ("250.00", "1", "150.01", False), # +66 %, 99.99 € gap: under 100 €
    ("250.01", "1", "150", True),
])
def test_supply_gap_needs_both_30_percent_and_100_euros(pu, qty, catalogue, flagged):
    if (pu, catalogue) == ("250.00", "150"):
        flagged = False  # 100.00 € exactly is not over 100 €
    total = D(pu) * D(qty)
    item_line = line(total, qty=qty, unit="u", pu=pu, vat="0.20", trade="serrurerie")
    filler = line("700", qty=1, unit="u", pu="700", trade="plomberie")
    grid = GridDouble(supplies={"sup_cylindre": D(catalogue)})
    review = run(extraction([item_line, filler]),
                 [priced(0, item_line, CYLINDER, pu, "1000", supply_id="sup_cylindre"), priced(1, filler, TAP, "700", "700")],
                 grid)
    assert ("SUPPLY_PRICE_GAP" in codes(review)) is flagged
    if flagged:
        assert review.status == "to_review"


def test_labour_lump_sum_above_minimum_billing_is_informative():
    leak = line("700", unit="forfait", trade="plomberie")
    review = run(extraction([leak]), [priced(0, leak, LEAK, reference_unit="700", high_unit="800")], GridDouble(minimum=D("90")))
    assert codes(review) == ["LABOUR_ABOVE_MINIMUM"]
    assert review.lines[0].flags[0].figures == {"quoted_total_ht": 700.0, "minimum_billing_ht": 90.0}
    assert review.status == "auto_validated"


def test_low_ocr_confidence_sends_to_a_human():
    tap = line("700", qty=1, unit="u", pu="700", trade="plomberie", confidence=0.59)
    review = run(extraction([tap]), [priced(0, tap, TAP, "700", "700")])
    assert codes(review) == ["LOW_OCR_CONFIDENCE"] and review.status == "to_review"
    tap = line("700", qty=1, unit="u", pu="700", trade="plomberie", confidence=0.6)
    assert run(extraction([tap]), [priced(0, tap, TAP, "700", "700")]).status == "auto_validated"


def test_not_a_quote_and_duplicate_come_first():
    ext, lines = quote_for_ttc("10000.00")
    ext.is_quote = False
    review = run(ext, lines)
    assert review.status == "not_a_quote" and review.motive == "Doublon / Erreur document"
    ext, lines = quote_for_ttc("10000.00")
    review = decide(ext, lines, dossier(), "v", SETTINGS, duplicate_of="dossier D-0 v1", grid=GridDouble())
    assert review.status == "duplicate" and review.flags[0].figures["duplicate_of"] == "dossier D-0 v1"


def test_discount_line_follows_the_revision_in_proportion():
    paint = line("2000", qty=10, unit="m2", pu="200", trade="peinture")
    discount = line("-100", vat="0.10", description="Remise 5 % sur total HT")
    review = run(extraction([paint, discount]), [priced(0, paint, PAINT, "100", "100"), priced(1, discount, None)])
    assert review.lines[1].revised_total_ht == D("-50.00")
    assert "UNMATCHED_LINE" not in codes(review)
    assert review.variance_ttc == D("1045.00")  # (2000-1000 + (-100+50)) * 1.1


def test_line_without_vat_rate_uses_the_quote_rate():
    tap = line("1000", qty=1, unit="u", pu="1000", vat=None, trade="plomberie")
    review = run(extraction([tap], tva="200"), [priced(0, tap, TAP, "800", "800")])
    assert review.lines[0].vat_rate == D("0.2")
    assert review.variance_ttc == D("240.00")


def test_indemnity_never_negative_with_a_big_deductible():
    review = run(*quote_for_ttc("700.00"), deductible="1000")
    assert review.status == "auto_validated" and review.indemnity == 0


def test_contract_round_trip():
    review = run(*_overpriced("500"))
    assert Review.from_contract(review.to_contract()).to_contract() == review.to_contract()


def test_override_close_reopen():
    review = run(*_overpriced("500"))
    assert review.status == "ren_proposed"
    changed = apply_override(review, 0, SETTINGS, by="alice", reason="métré vérifié", amount=D("1300"))
    assert changed.status == "to_review" and changed.decided_by == "reviewer"
    assert changed.lines[0].revised_total_ht == D("1300.00")
    assert changed.lines[0].flags[-1].code == "REVIEWER_OVERRIDE"
    closed = close(changed, rules.MOTIVE_REVISED)
    assert closed.indemnity == cents_ttc(D("1300")) - 150
    with pytest.raises(StateError):
        apply_override(closed, 0, SETTINGS, by="alice", reason="x", amount=D("1"))
    with pytest.raises(StateError):
        close(closed, rules.MOTIVE_REN)
    reopened = reopen(closed)
    assert reopened.status == "to_review" and reopened.indemnity is None
    with pytest.raises(StateError):
        close(reopened, "Clos - parce que")
    assert close(reopened, rules.MOTIVE_REN).indemnity == 0


def cents_ttc(ht):
    return (ht * D("1.1")).quantize(D("0.01"))


def test_override_coverage_and_item():
    tap = line("700", qty=1, unit="u", pu="700", trade="plomberie")
    odd = line("500", qty=1, unit="u", pu="500", description="Prestation mystère")
    review = run(extraction([tap, odd]), [priced(0, tap, TAP, "700", "700"), priced(1, odd, None)])
    assert review.status == "to_review"
    changed = apply_override(review, 1, SETTINGS, by="bob", reason="article trouvé",
                             grid_item=("plb_robinet", "Robinet", D("120"), D("120")))
    assert changed.lines[1].revised_total_ht == D("120.00") and changed.lines[1].grid_item == "plb_robinet"
    assert "UNMATCHED_LINE" not in codes(changed)
    uncovered = apply_override(changed, 0, SETTINGS, by="bob", reason="hors garantie", covered=False)
    assert uncovered.lines[0].revised_total_ht == 0 and not uncovered.lines[0].covered
    with pytest.raises(StateError):
        apply_override(changed, 7, SETTINGS, by="bob", reason="x", amount=D(1))


money = st.decimals(min_value=D("1"), max_value=D("3000"), places=2)


@hsettings(max_examples=150, deadline=None)
@given(quoted=st.lists(money, min_size=1, max_size=6), factors=st.lists(st.decimals("0.5", "2", places=2), min_size=6,
       max_size=6), deductible=st.decimals("0", "5000", places=2), uncovered=st.booleans())
def test_properties_revised_never_above_quoted_and_indemnity_never_negative(quoted, factors, deductible, uncovered):
    lines, priced_lines = [], []
    for index, (amount, factor) in enumerate(zip(quoted, factors)):
        item_line = line(amount, qty=1, unit="u", pu=amount, trade="peinture" if index == 0 else "plomberie")
        reference = (amount / factor).quantize(D("0.01"))
        lines.append(item_line)
        priced_lines.append(priced(index, item_line, TAP, reference, reference))
    grid = GridDouble(uncovered_trades={"peinture"} if uncovered else set())
    review = run(extraction(lines), priced_lines, grid, deductible=str(deductible))
    for line_review in review.lines:
        assert line_review.revised_total_ht <= line_review.quoted_total_ht
    if review.indemnity is not None:
        assert review.indemnity >= 0
    if review.variance_ttc is not None:
        assert review.variance_ttc >= 0
        assert review.revised_ttc == review.quoted_ttc - review.variance_ttc


def test_settings_from_env_and_file(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("[decide]\nscope_min_ttc = 500\nvariance_threshold_ttc = \"150\"\n")
    loaded = Settings.load(path, environ={"QUOTE_REVIEW_SCOPE_MIN_TTC": "600"})
    assert loaded.scope_min_ttc == D("600") and loaded.variance_threshold_ttc == D("150")
    from core.errors import SettingsError
    with pytest.raises(SettingsError, match="unknown setting"):
        Settings.load(environ={}).updated({"nope": 1})


@pytest.mark.parametrize("quoted_unit, cut", [("1200.00", False), ("1200.01", True)])
def test_a_wide_grid_band_does_not_widen_the_price_tolerance(quoted_unit, cut):
    """Reference 1 000, band up to 2 000: the price tolerance (20 %) decides where cutting starts."""
    paint = line(quoted_unit, qty=1, unit="m2", pu=quoted_unit, trade="peinture")
    review = run(extraction([paint]), [priced(0, paint, PAINT, reference_unit="1000", high_unit="2000")])
    assert review.lines[0].revised_total_ht == (D("1000.00") if cut else D(quoted_unit))
    assert ("PRICE_ABOVE_GRID" in codes(review)) is cut


def test_a_line_priced_as_a_lump_sum_is_not_measured_work_even_if_its_item_is():
    paint = line("800", unit="forfait", trade="peinture")
    filler = line("200", qty=1, unit="u", pu="200", trade="peinture")
    review = run(extraction([paint, filler]), [priced(0, paint, PAINT), priced(1, filler, PAINT, "200", "200")])
    assert "MISSING_QUANTITY" not in codes(review)
    assert review.status != "not_revisable"


def test_uncovered_work_without_measurements_does_not_block_the_revision():
    pipe = line("300", unit="ml", trade="plomberie")
    paint = line("800", qty=20, unit="m2", pu="40", trade="peinture")
    review = run(extraction([pipe, paint]), [priced(0, pipe, TAP), priced(1, paint, PAINT, "40", "48")],
                 GridDouble(uncovered_trades={"plomberie"}))
    assert review.lines[0].covered is False and review.lines[0].revised_total_ht == 0
    assert review.status != "not_revisable"


def test_a_quote_whose_table_was_not_read_goes_to_a_reviewer_whatever_its_total():
    # Totals read, no lines: out of scope by its TTC and with nothing to price, yet never closed unread.
    for ttc in ("120.00", "2400.00", "10000.00"):
        ext = extraction([], ht=cents(D(ttc) / D("1.2")), ttc=ttc, tva=D(ttc) - cents(D(ttc) / D("1.2")))
        ext.flags = ["TABLE_NOT_FOUND"]
        review = run(ext, [])
        assert review.status == "to_review" and review.needs_human
        assert [f.code for f in review.flags] == ["TABLE_NOT_FOUND"]
        assert review.flags[0].figures["ttc"] == float(ttc)
    ext = extraction([], ht="0", tva="0", ttc="0", is_quote=False)
    assert run(ext, []).status == "not_a_quote"
