"""The robot's doubt about the grid: it closes or offers REN only when the quote as a whole is
clearly on one side of the variance threshold, given how market prices scatter around the grid."""
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from core.settings import Settings
from decisions import decide, market_scatter_ttc
from tests.decide.decide_helpers import PAINT, GridDouble, dossier, extraction, line, priced

D = Decimal
# Lines scatter by 10 % each, nothing shared by the quote; one deviation of margin on either side.
SETTINGS = Settings(market_spread=D("0.10"), quote_spread=D(0), close_confidence=D("1"), ren_confidence=D("1"))


def run(lines_and_refs, settings=SETTINGS):
    lines = [item_line for item_line, _ in lines_and_refs]
    priced_lines = [priced(i, item_line, PAINT, reference_unit=ref, high_unit=ref * D("1.5"))
                    for i, (item_line, ref) in enumerate(lines_and_refs)]
    grid = GridDouble()
    return decide(extraction(lines), priced_lines, dossier(), grid.version, settings, grid=grid)


def paint(quoted_ht, reference_ht):
    """One 10 m² painting line (10 % VAT) quoted at ``quoted_ht`` against a reference of ``reference_ht``;
    the price tolerance (20 %) cuts it when it is more than 20 % over."""
    quoted, reference = D(quoted_ht), D(reference_ht)
    return line(quoted, qty=10, unit="m2", pu=quoted / 10, trade="peinture"), reference / 10


def codes(review):
    return sorted({flag.code for flag in review.all_flags})


def test_closed_only_when_excess_plus_scatter_stays_within_the_threshold():
    # Reference 1 000 HT = 1 100 TTC: one deviation is 110 €. Quoted 81.82 HT above: 90.00 € TTC over.
    closed = run([paint("1081.82", "1000")])
    assert closed.status == "auto_validated" and codes(closed) == []
    # One cent more and excess + scatter = 200.01 €: the robot cannot be sure the excess is within 200 €.
    doubtful = run([paint("1081.83", "1000")])
    assert doubtful.status == "to_review" and codes(doubtful) == ["ABOVE_REFERENCE"]
    assert doubtful.flags[0].figures == {"above_reference_ttc": 90.01, "uncertainty_ttc": 110.0, "threshold_ttc": 200.0}
    assert "± 110,00 €" in doubtful.flags[0].message


def test_many_small_lines_are_known_more_precisely_than_one_big_line():
    one_big = run([paint("2000", "2000")])
    four_small = run([paint("500", "500") for _ in range(4)])
    # Same reference total (2 200 TTC): 220 € of scatter on one line, 110 € on four independent lines.
    assert one_big.status == "to_review" and one_big.flags[0].figures["uncertainty_ttc"] == 220.0
    assert four_small.status == "auto_validated"


def test_the_scatter_shared_by_the_whole_quote_does_not_shrink_with_more_lines():
    shared = Settings(market_spread=D("0.10"), quote_spread=D("0.05"), close_confidence=D("1"))
    four_small = run([paint("500", "500") for _ in range(4)], shared)
    # √(0.10² × 4 × 550² + (0.05 × 2 200)²) = √(12 100 + 12 100) = 155.56 €
    assert four_small.status == "auto_validated"
    assert market_scatter_ttc(four_small.lines, shared).quantize(D("0.01")) == D("155.56")
    eight_small = run([paint("500", "500") for _ in range(8)], shared)
    # 4 400 € of reference: the shared part alone is 220 €, beyond the threshold.
    assert eight_small.status == "to_review" and codes(eight_small) == ["ABOVE_REFERENCE"]


def test_ren_needs_the_whole_quote_clearly_over_the_reference():
    # One line 400 € HT over its band (cut), another 300 € HT under its reference: the quote as a whole
    # is 110 € TTC over, give or take 163 € — a 440 € TTC variance, but REN is not certain.
    mixed = run([paint("1400", "1000"), paint("700", "1000")])
    assert mixed.variance_ttc == D("440.00")
    assert mixed.status == "to_review" and "VARIANCE_UNCERTAIN" in codes(mixed)
    assert mixed.flags[0].figures["above_reference_ttc"] == 110.0
    clear = run([paint("1400", "1000"), paint("1000", "1000")])
    assert clear.status == "ren_proposed" and "VARIANCE_UNCERTAIN" not in codes(clear)


def test_no_spread_means_the_line_rules_alone_decide():
    exact = Settings(market_spread=D(0), quote_spread=D(0))
    assert run([paint("1150", "1000")], exact).status == "auto_validated"  # 165 € TTC over: within 200
    assert run([paint("1400", "1000"), paint("700", "1000")], exact).status == "ren_proposed"


def test_overridden_lines_are_the_reviewers_and_leave_the_doubt():
    from decisions import apply_override
    review = run([paint("1081.83", "1000"), paint("300", "300")])
    assert review.status == "to_review"
    overridden = apply_override(review, 0, SETTINGS, by="alice", reason="métré vérifié", amount=D("1081.83"))
    assert "ABOVE_REFERENCE" not in codes(overridden)


money = st.decimals("50", "3000", places=2)


@hsettings(max_examples=60, deadline=None)
@given(references=st.lists(money, min_size=1, max_size=8), spread=st.sampled_from(["0.05", "0.10", "0.20"]))
def test_a_quote_at_the_reference_is_closed_exactly_when_its_scatter_is_within_the_threshold(references, spread):
    assume(650 <= sum(references) * D("1.1") <= 6500)
    settings = Settings(market_spread=D(spread), quote_spread=D(0), close_confidence=D("1"))
    review = run([paint(ref, ref) for ref in references], settings)
    scatter = D(spread) * sum(((ref * D("1.1")) ** 2 for ref in references), D(0)).sqrt()
    assert review.status == ("auto_validated" if scatter <= 200 else "to_review")
    assert review.status != "ren_proposed"
    assert market_scatter_ttc(review.lines, settings).quantize(D("0.01")) == scatter.quantize(D("0.01"))


def test_the_quotes_discount_lowers_its_excess_over_the_reference():
    settings = Settings(market_spread=D("0.10"), quote_spread=D(0), close_confidence=D("0.8"))
    # 1 150 HT against 1 000: 165 € TTC over, + 0.8 × 110 € of scatter = 253 € → a reviewer.
    assert run([paint("1150", "1000")], settings).status == "to_review"
    work, reference = paint("1150", "1000")
    discount = line("-57.50", description="Remise 5 % sur total HT")
    priced_lines = [priced(0, work, PAINT, reference_unit=reference, high_unit=reference * D("1.5")),
                    priced(1, discount, None)]
    grid = GridDouble()
    review = decide(extraction([work, discount]), priced_lines, dossier(), grid.version, settings, grid=grid)
    # Less 5 %: 1 092.50 HT, 101.75 € TTC over; + 88 € = 189.75 € → the robot closes it.
    assert review.status == "auto_validated"
    doubtful = decide(extraction([work, discount]), priced_lines, dossier(), grid.version, SETTINGS, grid=grid)
    assert doubtful.flags[0].figures["above_reference_ttc"] == 101.75


def test_a_reviewer_confirms_the_doubt_with_a_ren_offer():
    from core.errors import StateError
    from decisions import apply_override, close, propose_ren
    doubtful = run([paint("1140", "1000")])  # within the tolerance: nothing cut, but 154 € + 110 € over
    assert doubtful.status == "to_review" and doubtful.variance_ttc == 0
    with pytest.raises(StateError, match="override the over-priced lines"):
        propose_ren(doubtful)
    cut = apply_override(doubtful, 0, SETTINGS, by="alice", reason="prix constaté 100 €/m²", amount=D("1000"))
    offered = propose_ren(cut)
    assert offered.status == "ren_proposed" and offered.decided_by == "reviewer"
    assert offered.revised_ttc == D("1100.00") and offered.variance_ttc == D("154.00")
    with pytest.raises(StateError, match="only a dossier under review"):
        propose_ren(offered)
    assert close(offered, "Clos - REN").indemnity == 0
