"""OCR misreadings the quote's own arithmetic settles (quantity × unit price = line total, Σ lines = total HT,
HT + TVA = TTC), and the ones it must leave alone. Word boxes are laid out like a scan's OCR output."""
from decimal import Decimal

from core.models import LineItem, PageText
from extractors.numbers import digit_edits
from extractors.quote import exact_quotients, read_quote, repair_line
from extractors.table import unit_by_designation
from tests.extractors.test_table_reader import build_page, words_at

TITLE = words_at(0.05, [(0.07, "DEVIS N° 2025-12")])
HEADER = TITLE + words_at(0.15, [(0.07, "Désignation"), (0.50, "Qté"), (0.56, "Unité"), (0.66, "P.U. HT"), (0.80, "Montant HT"),
                         (0.90, "TVA")])
FIGURES = {1, 3, 4}


def row(y: float, description: str, quantity: str, unit: str, price: str, total: str, rate: str = "10 %"):
    return words_at(y, [(0.07, description), (0.54, quantity), (0.57, unit), (0.72, price), (0.88, total),
                        (0.90, rate)], FIGURES)


def totals(y: float, ht: str, tva: str, ttc: str, tva_label: str = "Total TVA"):
    return [words_at(y, [(0.60, "Total HT"), (0.88, ht)], {1}),
            words_at(y + 0.015, [(0.60, tva_label), (0.88, tva)], {1}),
            words_at(y + 0.03, [(0.60, "Total TTC"), (0.88, ttc)], {1})]


LINES = [
    row(0.17, "Mise en peinture des murs", "19,51", "m2", "32,27", "629,59"),
    row(0.19, "Heure de manutention", "3,00", "h", "61,26", "183,78"),
]  # 813,37 HT; TVA at 10 %: 81,34


def ocr_row(y: float, description: str, unit: str, quantity: str = "2,00", price: str = "10,00", total: str = "20,00"):
    """A line of a table without a VAT column."""
    return words_at(y, [(0.07, description), (0.54, quantity), (0.57, unit), (0.72, price), (0.88, total)], FIGURES)


def test_a_ttc_cut_short_is_ht_plus_tva_when_the_lines_vouch_for_both():
    """"5 051,51" split by the layout and read "5": HT is the lines' sum, TVA their rate, so TTC is HT + TVA."""
    quote = read_quote([build_page([HEADER, *LINES, *totals(0.25, "813,37", "81,34", "8")])], "ttc-cut")
    assert (quote.totals.ht, quote.totals.tva, quote.totals.ttc) == (Decimal("813.37"), Decimal("81.34"),
                                                                      Decimal("894.71"))
    assert any(w.startswith("total TTC lu 8, corrigé en 894.71") for w in quote.warnings)


def test_a_ttc_is_not_overridden_when_the_lines_do_not_add_up_to_the_total_ht():
    """A misread line leaves HT unconfirmed: the printed TTC is kept and the disagreement reported."""
    lump = words_at(0.19, [(0.07, "Nettoyage fin de chantier"), (0.57, "Fft"), (0.88, "1 111,11"), (0.90, "10 %")], {2})
    lines = [LINES[0], lump]
    quote = read_quote([build_page([HEADER, *lines, *totals(0.25, "813,37", "81,34", "8")])], "ttc-kept")
    assert quote.totals.ttc == Decimal("8.00")
    assert any("≠ TTC" in w for w in quote.warnings)


def test_a_ttc_unrelated_to_ht_plus_tva_is_kept():
    """A figure that cannot be HT + TVA misread (an amount due after a deposit, say) is not replaced."""
    quote = read_quote([build_page([HEADER, *LINES, *totals(0.25, "813,37", "81,34", "536,06")])], "ttc-other")
    assert quote.totals.ttc == Decimal("536.06")


def test_a_misread_vat_with_no_rate_printed_is_ttc_minus_ht_when_that_is_a_usual_rate_of_ht():
    # No VAT column and no rate by the VAT figure: only the usual rates can vouch for TTC − HT.
    rows = [HEADER[:-1], ocr_row(0.17, "Mise en peinture des murs", "m2", "19,51", "32,27", "629,59"),
            ocr_row(0.19, "Heure de manutention", "h", "3,00", "61,26", "183,78")]
    quote = read_quote([build_page([*rows, *totals(0.25, "813,37", "57", "894,71", tva_label="TVA")])], "tva")
    assert quote.totals.tva == Decimal("81.34")
    assert any(w.startswith("total TVA lu 57, corrigé en 81.34") for w in quote.warnings)


def test_a_line_total_the_other_figures_cannot_fix_is_pinned_by_the_total_ht():
    """"7,10" read "11" and "1,322.02" read "1,32202": the line alone gives no answer (11 × 0,12 fits, wrongly);
    the total HT less the other lines gives 1 322,02, and 7,10 × 186,20 makes it with one digit changed."""
    rows = [
        HEADER,
        row(0.17, "Vitre claire posée sous parclose", "11", "m2", "186.20", "1,32202", "20 %"),
        row(0.19, "F&P cornière anti-effraction", "1", "u", "237.83", "237.83", "20 %"),
        *totals(0.25, "1,559.85", "311.97", "1,871.82"),
    ]
    quote = read_quote([build_page(rows)], "pinned")
    glass = quote.lines[0]
    assert (glass.quantity, glass.unit_price_ht, glass.total_ht) == (Decimal("7.1"), Decimal("186.20"), Decimal("1322.02"))
    assert glass.confidence <= 0.8
    assert any("corrigé en 7.1 × 186.20 = 1322.02 (somme des lignes = total HT)" in w for w in quote.warnings)


def test_a_price_below_one_quantity_is_chosen_by_the_fewest_edits_and_never_guessed():
    """0,76 × 11,85 and 0,76 × 11,86 both make 9,01: a read "11,95" is one edit from 11,85; an unreadable
    price stays unread."""
    assert exact_quotients(Decimal("9.01"), Decimal("0.76")) == [Decimal("11.85"), Decimal("11.86")]
    rows = [
        HEADER,
        row(0.17, "Réfection mastic silicone", "0,76", "ml", "11,95", "9,01"),
        row(0.19, "Joint silicone", "0,76", "ml", "", "9,01"),
        *totals(0.25, "18,02", "1,80", "19,82"),
    ]
    mastic, joint = read_quote([build_page(rows)], "below-one").lines
    assert mastic.unit_price_ht == Decimal("11.85")
    assert joint.unit_price_ht is None


def test_a_metre_unit_whose_exponent_ocr_lost_is_read_from_the_designation():
    rows = [
        HEADER[:-1],
        ocr_row(0.17, "Mise en peinture des murs, finition velours", "M"),
        ocr_row(0.19, "F&P plinthes MDF blanches", "M"),
        ocr_row(0.21, "Évacuation des déchets en décharge agréée", "m?"),
        ocr_row(0.23, "Heure de manutention, compris évacuation des gravats", "M"),  # the head names nothing
        words_at(0.27, [(0.60, "Total HT"), (0.88, "80,00")], {1}),
    ]
    units = [line.unit for line in read_quote([build_page(rows)], "exponents").lines]
    assert units == ["m2", "ml", "m3", "ml"]
    text_layer = PageText(number=1, width=595, height=842, words=build_page(rows).words, source="text_layer")
    assert [line.unit for line in read_quote([text_layer], "printed-m").lines][:3] == ["ml", "ml", "m2"]


def test_the_designation_settles_a_unit_only_when_its_words_agree():
    both = ("ml", "m2", "m3")
    assert unit_by_designation("Ratissage enduit garnissant + lissage", both) == "m2"
    assert unit_by_designation("Peinture des plinthes et huisseries", both) == "ml"
    assert unit_by_designation("Maçonnerie agglos creux ép. 20, enduit compris", both) == "m2"
    assert unit_by_designation("Réfection mastic silicone sur vitrage", both) == "ml"  # not the glass under it
    assert unit_by_designation("Dalle béton armé coulée", both) is None  # a surface and a volume
    assert unit_by_designation("Démolition mur endommagé", both) is None  # by the m² or the m³
    assert unit_by_designation("F&P plinthes MDF blanches", ("m2", "m3")) is None  # the exponent was seen


def test_a_quantity_and_a_total_that_both_lost_their_comma_are_read_back_together():
    """"6,54 × 28,02 = 183,25" read "654 × 28,02 = 18325" (and "0,74" read "074"): taking back both commas
    fits exactly, which beats the near fit 654 × 28,02 = 18 325,08 two digits away from what was read."""
    rows = [
        HEADER,
        row(0.17, "Mise en peinture des murs", "654", "m2", "28,02", "18325€"),
        row(0.19, "Enlèvement gravats", "074", "m3", "60,89", "4506€"),
        *totals(0.25, "228,31", "22,83", "251,14"),
    ]
    quote = read_quote([build_page(rows)], "two-commas")
    paint, rubble = quote.lines
    assert (paint.quantity, paint.total_ht) == (Decimal("6.54"), Decimal("183.25"))
    assert (rubble.quantity, rubble.total_ht) == (Decimal("0.74"), Decimal("45.06"))
    assert quote.totals.ht == Decimal("228.31") and not any("≠" in w for w in quote.warnings)
    assert any("quantity lu 654, corrigé en 6.54 ; total_ht lu 18325.00, corrigé en 183.25" in w for w in quote.warnings)


def test_a_line_total_whose_comma_was_read_as_a_space_is_read():
    """"91,44" read "91 44": two digits after a space are the cents, not a group of thousands."""
    rows = [HEADER, row(0.17, "Heure agent de nettoyage", "2,00", "h", "45,72", "91 44 €"), *totals(0.25, "91,44", "9,14", "100,58")]
    quote = read_quote([build_page(rows)], "space-comma")
    assert [line.total_ht for line in quote.lines] == [Decimal("91.44")]


def test_a_unit_cell_ocr_made_no_unit_of_is_read_from_the_designation():
    rows = [
        HEADER[:-1],
        ocr_row(0.17, "Enlèvement gravats et encombrants, mise en benne", "Cd"),
        ocr_row(0.19, "Ragréage autolissant", "LA"),
        ocr_row(0.21, "Forfait déplacement et stationnement", "FR"),
        ocr_row(0.23, "Démolition et évacuation maçonnerie", "ny"),  # by the m² or the m³: left unread
        words_at(0.27, [(0.60, "Total HT"), (0.88, "80,00")], {1}),
    ]
    quote = read_quote([build_page(rows)], "unreadable-units")
    assert [line.unit for line in quote.lines] == ["m3", "m2", "forfait", None]
    assert any(w.startswith("unité « Cd » illisible, déduite de la désignation (m3)") for w in quote.warnings)
    assert any(w.startswith("unité « ny » non reconnue") for w in quote.warnings)
    text_layer = PageText(number=1, width=595, height=842, words=build_page(rows).words, source="text_layer")
    assert [line.unit for line in read_quote([text_layer], "printed").lines] == [None, None, None, None]


def test_a_vat_label_glued_to_its_a_is_read_and_then_vouches_for_the_ttc():
    """"TVA à 10 %" read "TVAà": still the VAT line, so a TTC read "8947" is HT + TVA, not the VAT TTC − HT."""
    quote = read_quote([build_page([HEADER, *LINES, *totals(0.25, "813,37", "81,34", "8947", tva_label="TVAà 10 %")])],
                       "tva-glued")
    assert (quote.totals.tva, quote.totals.ttc) == (Decimal("81.34"), Decimal("894.71"))
    assert not any(w.startswith("TVA non lue") for w in quote.warnings)


def test_a_unit_price_that_lost_its_comma_is_not_taken_for_a_quantity_below_one():
    # "88,42" read "8842": the price lost its comma; a quantity of 0,06 would need "0,0" lost from "6".
    assert digit_edits(Decimal("6"), Decimal("0.06")) == 2
    assert digit_edits(Decimal("0.06"), Decimal("0.06")) == 0
    item = LineItem(description="Remplacement flexible et joint sous évier", total_ht=Decimal("530.52"),
                    quantity=Decimal("6"), unit="u", unit_price_ht=Decimal("8842.00"))
    repair_line(item, from_ocr=True)
    assert (item.quantity, item.unit_price_ht) == (Decimal("6"), Decimal("88.42"))


def test_an_ocr_total_ht_that_lost_its_comma_is_the_sum_of_the_lines():
    from extractors.fields import PrintedTotals, resolve_totals
    D = Decimal
    printed = PrintedTotals(ht=D("702085.00"), tva=D("948.74"), ttc=None)
    totals, warnings = resolve_totals(printed, D("7020.85"), from_ocr=True)
    assert (totals.ht, totals.tva, totals.ttc) == (D("7020.85"), D("948.74"), D("7969.59"))
    assert any("virgule perdue" in w for w in warnings)
    # A line that lost its comma makes the lines' sum the bigger one: the printed HT stands.
    kept, _ = resolve_totals(PrintedTotals(ht=D("7020.85"), tva=D("948.74"), ttc=D("7969.59")), D("702085.00"), True)
    assert kept.ht == D("7020.85")
    # On a text layer nothing is second-guessed.
    digital, _ = resolve_totals(printed, D("7020.85"), from_ocr=False)
    assert digital.ht == D("702085.00")


def test_an_impossible_vat_is_dropped_and_the_lines_rates_rebuild_a_ttc_read_short():
    from extractors.fields import PrintedTotals, resolve_totals
    D = Decimal
    printed = PrintedTotals(ht=D("3701.36"), tva=D("22450029564.14"), ttc=D("71.50"))
    totals, warnings = resolve_totals(printed, D("3701.36"), from_ocr=True, lines_vat=frozenset({D("370.14")}))
    assert (totals.ht, totals.tva, totals.ttc) == (D("3701.36"), D("370.14"), D("4071.50"))
    assert any("impossible" in w for w in warnings)
    # Without the lines' VAT to check it against, nothing is rebuilt: no figure is invented.
    unsure, unsure_warnings = resolve_totals(printed, D("3701.36"), from_ocr=True)
    assert (unsure.tva, unsure.ttc) == (D("0"), D("71.50")) and "totaux illisibles : TVA" in unsure_warnings


def test_a_vat_above_a_misread_ht_is_kept_for_the_usual_repair():
    from extractors.fields import PrintedTotals, resolve_totals
    D = Decimal
    # "2.582,83" read 2.58283: the HT is the misreading, not the TVA; HT + TVA = TTC settles it.
    printed = PrintedTotals(ht=D("2.58283"), tva=D("385.54"), ttc=D("2968.37"))
    totals, _ = resolve_totals(printed, D("2582.83"), from_ocr=True)
    assert (totals.ht, totals.tva, totals.ttc) == (D("2582.83"), D("385.54"), D("2968.37"))


def test_a_garbled_vat_is_the_lines_vat_when_the_ttc_read_is_one_digit_from_ht_plus_it():
    from extractors.fields import PrintedTotals, resolve_totals
    D = Decimal
    printed = PrintedTotals(ht=D("4578.62"), tva=D("4.57"), ttc=D("5494.44"))
    # The lines' VAT rounded per line (915.73) or per rate (915.72): the TTC read tells which.
    totals, warnings = resolve_totals(printed, D("4578.62"), from_ocr=True, lines_vat=frozenset({D("915.72"), D("915.73")}))
    assert (totals.ht, totals.tva, totals.ttc) == (D("4578.62"), D("915.72"), D("5494.34"))
    # A consistent triple is left alone even when the lines' rates say otherwise (a line's rate may be misread).
    kept, _ = resolve_totals(PrintedTotals(ht=D("4578.62"), tva=D("457.86"), ttc=D("5036.48")), D("4578.62"),
                             from_ocr=True, lines_vat=frozenset({D("915.72")}))
    assert kept.tva == D("457.86")
