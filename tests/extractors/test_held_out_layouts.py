"""Layouts and wordings the extractor was not tuned on: section sub-totals, short column labels ("Mt HT", "Q"),
units glued to the quantity, "Base HT" / "TVA totale" totals, a supplier named only in the footer band,
"À l'attention de" client blocks beside the supplier's address, "DEVIS - Réf. X"."""
from decimal import Decimal
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from core.models import Word
from corpusgen import make_document
from extractors import extract_document
from extractors.fields import find_site_postcode, find_totals, resolve_totals
from extractors.layout import TextLine
from extractors.numbers import read_unit, split_quantity_unit
from extractors.table import is_table_end, parse_header

WIDTH, HEIGHT = A4


def _line(*cells: tuple[float, str], y: float = 0.5) -> TextLine:
    """One line of words at height ``y``; each cell starts at its x (page fraction)."""
    words = []
    for x, text in cells:
        for token in text.split(" "):
            words.append(Word(token, x, y, x + len(token) * 0.007, y + 0.012, 1.0))
            x += (len(token) + 1) * 0.007
    return TextLine(words, page=1)


def test_a_section_sub_total_does_not_end_the_table_but_the_quote_totals_do():
    for sub_total in ("Total chapitre 1", "Total poste 2", "Total Plomberie", "Total lot 3 HT", "Sous-total Peinture"):
        assert not is_table_end(_line((0.07, sub_total), (0.85, "394,40"))), sub_total
    # "Total" set in the Réf. column, the section's name in the designation column.
    assert not is_table_end(_line((0.05, "Total"), (0.15, "Plomberie"), (0.85, "394,40")))
    for total in ("Total HT", "Total net HT", "Base HT", "TVA au taux de 10 %", "Montant à régler", "TOTAL TTC",
                  "Net à payer TTC", "Total", "Total à reporter"):
        assert is_table_end(_line((0.55, total), (0.85, "1 727,72"))), total


def test_short_total_label_and_bare_q_name_their_columns():
    header = parse_header(_line((0.05, "Ouvrage"), (0.45, "Q"), (0.52, "Unité"), (0.60, "Prix HT"), (0.75, "Mt HT")))
    assert [c.kind for c in header.columns] == ["description", "quantity", "unit", "unit_price", "total"]
    glued = parse_header(_line((0.05, "Nature des travaux"), (0.50, "Qté."), (0.60, "Prix HT"), (0.75, "MtHT"),
                               (0.88, "Code TVA")))
    assert [c.kind for c in glued.columns] == ["description", "quantity", "unit_price", "total", "vat"]


@pytest.mark.parametrize("cell, expected", [
    ("47,33 M2", (Decimal("47.33"), "M2")),
    ("11,00 unité", (Decimal("11.00"), "unité")),
    ("2,74 m.l.", (Decimal("2.74"), "m.l.")),
    ("12,5m²", (Decimal("12.5"), "m²")),
    ("1 234,5 m2", (Decimal("1234.5"), "m2")),
    ("12,50", None),
])
def test_quantity_and_unit_in_one_cell(cell, expected):
    assert split_quantity_unit(cell) == expected


def test_base_ht_beside_a_vat_code_legend_and_tva_totale():
    lines = [
        _line((0.05, "Code TVA 1 : 20 % - 2 : 10 %"), (0.55, "Base HT"), (0.85, "3 377,33")),
        _line((0.55, "TVA 10 %"), (0.85, "100,00")),
        _line((0.55, "TVA 20 %"), (0.85, "475,47")),
        _line((0.55, "TVA totale"), (0.85, "575,47")),
        _line((0.55, "Total TTC net"), (0.85, "3 952,80")),
    ]
    totals = find_totals(lines)
    assert (totals.ht, totals.tva, totals.ttc) == (Decimal("3377.33"), Decimal("575.47"), Decimal("3952.80"))


def test_client_postcode_when_ocr_garbled_the_client_label():
    # The label "À l'attention de :" read "À F'anention de :"; the supplier's address block sits beside.
    lines = [
        _line((0.55, "À F'anention de :"), y=0.06),
        _line((0.07, "42 quai des Brotteaux"), (0.55, "M. Catherine MERCIER"), y=0.075),
        _line((0.07, "94300 Vincennes"), (0.55, "42 route de Lyon"), y=0.09),
        _line((0.07, "Tél : 02 58 89 84 47 - contact@lambert.fr"), (0.55, "63000 Clermont-Ferrand"), y=0.105),
    ]
    assert find_site_postcode(lines) == "63000"


def _draw_quote(path: Path) -> None:
    """A chapters quote: the supplier's name only in the footer band, its address beside the client's block."""
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    pdf.setFont("Helvetica", 9)

    def text(x_mm: float, y_from_top: float, value: str, right: bool = False) -> None:
        x, y = x_mm * 2.8346, HEIGHT - y_from_top
        (pdf.drawRightString if right else pdf.drawString)(x, y, value)

    text(20, 50, "À l'attention de :")
    text(20, 62, "M. et Mme Claire PETIT")
    text(120, 62, "14 rue des Tanneurs")
    text(20, 74, "8 rue des Lilas")
    text(120, 74, "13005 Marseille")
    text(20, 86, "69003 Lyon")
    text(120, 86, "Tél : 04 91 00 00 00 - contact@exemple.fr")
    text(20, 120, "DEVIS - Réf. 2025-DEV-00176")
    text(120, 120, "Établi le 12/03/2025")
    columns = [(15, "Réf. article"), (40, "Nature des travaux"), (108, "Qté"), (150, "Prix HT"), (158, "Code TVA"), (195, "Mt HT")]
    for x, label in columns:
        text(x, 150, label, right=x in (150, 195))
    rows = [
        ("", "CHAPITRE 1 – Plomberie", "", "", "", ""),
        ("1.1", "Remplacement robinet d'arrêt", "2,00 unité", "85,50", "1", "171,00"),
        ("1.2", "Recherche de fuite", "1,00 Fft", "250,00", "1", "250,00"),
        ("Total", "chapitre 1", "", "", "", "421,00"),
        ("Peinture", "", "", "", "", ""),  # a bare section title, set from the Réf. column
        ("2.1", "Peinture plafond 2 couches", "12,50 m²", "24,00", "1", "300,00"),
        ("", "Total chapitre 2", "", "", "", "300,00"),
    ]
    y = 168
    for ref, description, quantity, price, code, total in rows:
        text(15, y, ref)
        text(40, y, description)
        text(108, y, quantity)
        text(150, y, price, right=True)
        text(163, y, code)
        text(195, y, total, right=True)
        y += 14
    text(20, y + 10, "Code TVA 1 : 20 %")
    text(130, y + 10, "Base HT")
    text(195, y + 10, "721,00", right=True)
    text(130, y + 24, "TVA au taux de 20 %")
    text(195, y + 24, "144,20", right=True)
    text(130, y + 38, "Montant à régler")
    text(195, y + 38, "865,20", right=True)
    text(20, 790, "SARL Martin Plomberie")
    text(20, 802, "14 rue des Tanneurs - 13005 Marseille - Tél. 04 91 00 00 00")
    text(20, 814, "SIRET 732 829 320 00074 - APE 4322A - TVA intracom. FR44732829320")
    pdf.showPage()
    pdf.save()


def test_chapters_quote_with_footer_supplier(tmp_path):
    path = tmp_path / "chapters.pdf"
    _draw_quote(path)
    quote = extract_document(path, "q1")
    assert [(line.description, line.quantity, line.unit, line.unit_price_ht, line.total_ht, line.vat_rate)
            for line in quote.lines] == [
        ("Remplacement robinet d'arrêt", Decimal("2.00"), "u", Decimal("85.50"), Decimal("171.00"), Decimal("0.2")),
        ("Recherche de fuite", Decimal("1.00"), "forfait", Decimal("250.00"), Decimal("250.00"), Decimal("0.2")),
        ("Peinture plafond 2 couches", Decimal("12.50"), "m2", Decimal("24.00"), Decimal("300.00"), Decimal("0.2")),
    ]
    assert (quote.totals.ht, quote.totals.tva, quote.totals.ttc) == (Decimal("721.00"), Decimal("144.20"),
                                                                     Decimal("865.20"))
    assert quote.supplier.name == "SARL Martin Plomberie"
    assert quote.supplier.siret == "73282932000074"
    assert quote.quote_number == "2025-DEV-00176"
    assert quote.site_postcode == "69003"


def _figures(record: dict) -> dict:
    """A contract record with its figures as Decimal (the contract writes them as strings or numbers)."""
    figures = ("quantity", "unit_price_ht", "total_ht", "ht", "tva", "ttc")
    return {key: Decimal(str(value)) if key in figures and value is not None else value
            for key, value in record.items() if key in figures or key == "unit"}


# One generated held-out quote per layout family, each in another of the four held-out wordings
# (the seed picks the wording; the assertion on `vocabulary` says which).
@pytest.mark.parametrize("family, seed, vocabulary", [
    ("chapters", 3, 7), ("glued", 1, 8), ("pillars", 3, 9), ("airy", 1, 6),
])
def test_generated_held_out_quote_reads_like_its_truth(tmp_path, family, seed, vocabulary):
    generated = make_document(tmp_path, family, "pdf-digital", seed=seed, template=family, held_out=True)
    truth = generated.truth
    assert truth["vocabulary"] == vocabulary
    quote = extract_document(generated.path, family).to_contract()
    assert [_figures(line) for line in quote["lines"]] == [_figures(line) for line in truth["lines"]]
    assert _figures(quote["totals"]) == _figures(truth["totals"])
    assert quote["supplier"]["name"] == truth["supplier"]["name"]
    assert quote["quote_number"] == truth["quote_number"]
    assert quote["site_postcode"] == truth["site_postcode"]


def test_a_bare_prix_ht_before_an_unreadable_label_is_the_unit_price():
    # OCR read "Mt HT" as "Mit H1": the unreadable label right of "Prix HT" is the line total.
    header = parse_header(_line((0.05, "Art."), (0.12, "Qté."), (0.20, "Nature des travaux"), (0.55, "Un"),
                                (0.65, "Prix HT"), (0.80, "Mit H1")))
    assert [c.kind for c in header.columns] == ["reference", "quantity", "description", "unit", "unit_price", "total"]


def test_a_vat_legend_heading_beside_a_garbled_base_ht_is_no_vat_amount():
    # "Code TVA | Base HT 4896,79" with the HT garbled ("489%6,79"): the VAT is the rate's line, the HT
    # then comes from TTC − TVA, instead of "TVA … 6,79" adding to the VAT.
    totals = find_totals([
        _line((0.05, "Code TVA"), (0.30, "Base HT"), (0.45, "489%6,79")),
        _line((0.05, "TVA au taux de code 2 (base 4896,79)"), (0.45, "489,68")),
        _line((0.05, "TOTAL TTC"), (0.45, "5386,47")),
    ])
    assert (totals.ht, totals.tva, totals.ttc) == (None, Decimal("489.68"), Decimal("5386.47"))


def test_a_vat_code_legend_whose_percent_sign_ocr_lost_is_no_vat_amount():
    totals = find_totals([_line((0.05, "Code TVA 1 : 20"), (0.22, "2:10"), (0.30, "3:55"), (0.40, "Base HT"),
                                (0.55, "4 599,04"))])
    assert totals.tva is None and totals.vat_lines == []
    assert totals.ht == Decimal("4599.04")


@pytest.mark.parametrize("cell, expected", [
    ("14,87 M?", (Decimal("14.87"), "M?")),
    ("58,8 m“", (Decimal("58.8"), "m“")),
    ("50,84 m2?", (Decimal("50.84"), "m2?")),
])
def test_a_glued_unit_whose_exponent_ocr_could_not_read_is_still_split_off_as_a_metre_unit(cell, expected):
    assert split_quantity_unit(cell) == expected
    assert read_unit(expected[1]) == "m2"


def test_a_bare_q_label_misread_as_a_digit_still_names_the_quantity_column():
    header = parse_header(_line((0.05, "Nature des travaux"), (0.55, "2"), (0.65, "Prix HT"), (0.80, "Mt HT")))
    assert [c.kind for c in header.columns] == ["description", "quantity", "unit_price", "total"]
    # A border read as "|" or "1" stays debris when the quantity has its own label.
    with_quantity = parse_header(_line((0.05, "Désignation"), (0.45, "Qté"), (0.55, "1"), (0.65, "Prix HT"),
                                       (0.80, "Mt HT")))
    assert [c.kind for c in with_quantity.columns] == ["description", "quantity", "unit_price", "total"]


def test_the_bases_printed_on_every_vat_line_give_the_ht_and_vouch_for_it_against_a_garbled_ttc():
    # A photo: "Montant HT 3 944,43" read "3443", "Montant à régler 4 232,01" read "4,23201".
    printed = find_totals([
        _line((0.05, "Montant HT."), (0.45, "3443")),
        _line((0.05, "T.V.A à 5.5 % (base 3,198.13)"), (0.45, "175.90")),
        _line((0.05, "T.V.A. à 10 % (base 375.73)"), (0.45, "37.57")),
        _line((0.05, "T.V.A. à 20 % (base 370.57)"), (0.45, "74.11")),
        _line((0.05, "Montant T.V.A."), (0.45, "287.58")),
        _line((0.05, "Montant à régler"), (0.45, "4,23201")),
    ])
    assert printed.ht == Decimal("3944.43") and printed.tva == Decimal("287.58")
    totals, warnings = resolve_totals(printed, lines_sum=Decimal("3956.21"), from_ocr=True)
    assert (totals.ht, totals.tva, totals.ttc) == (Decimal("3944.43"), Decimal("287.58"), Decimal("4232.01"))
    assert any("bases de TVA" in warning for warning in warnings)


def test_vat_bases_that_do_not_give_their_amounts_leave_the_printed_ht():
    printed = find_totals([
        _line((0.05, "Total HT"), (0.45, "1 000,00")),
        _line((0.05, "TVA 10 % (base 600,00)"), (0.45, "60,00")),
        _line((0.05, "TVA 20 % (base 400,00)"), (0.45, "81,00")),
    ])
    assert printed.ht == Decimal("1000.00") and not printed.ht_from_vat_bases
