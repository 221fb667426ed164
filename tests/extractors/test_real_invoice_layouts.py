"""What real invoices and quotes from other software hold, each in a small PDF made here: column labels in
any wording (fr/de/en, or none the reader knows), headers on two rows, line-number and article-code columns,
notes under a line, discount columns, prices per N units, credit notes, VAT summary tables, down-payments
and amounts due that are not the TTC, both thousands notations, tables running over two pages, and
documents whose totals are printed without a readable table (TABLE_NOT_FOUND)."""
from decimal import Decimal
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from extractors import extract_document
from extractors.figures import read_figure

D = Decimal
WIDTH, HEIGHT = A4


def _pdf(path: Path, pages: list[list[tuple[float, float, str]]]) -> Path:
    """A PDF whose pages hold (x, y from the top, text) strings, 9 pt Helvetica."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for page in pages:
        pdf.setFont("Helvetica", 9)
        for x, y, text in page:
            pdf.drawString(x, HEIGHT - y, text)
        pdf.showPage()
    pdf.save()
    return path


def _rows(top: float, rows: list[list[tuple[float, str]]], step: float = 13) -> list[tuple[float, float, str]]:
    return [(x, top + index * step, text) for index, row in enumerate(rows) for x, text in row]


def _right(x: float, text: str) -> tuple[float, str]:
    """A figure set flush right at ``x`` (its width in 9 pt Helvetica, about 5 pt a character)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return x - stringWidth(text, "Helvetica", 9), text


def _letterhead(title: str) -> list[tuple[float, float, str]]:
    return [(40, 50, "Ets Dupont Couverture"), (40, 62, "12 rue des Lilas 69003 Lyon"), (350, 50, title),
            (350, 62, "N° 2025-118 du 12/03/2025")]


def _lines(extraction):
    return [(line.description, line.quantity, line.unit_price_ht, line.total_ht) for line in extraction.lines]


# One table body, set under headers worded in any language, or in words no reader knows.
_HEADERS = {
    "fr": [[(40, "N°"), (70, "Réf."), (140, "Libellé de l'ouvrage"), (330, "Nombre"), (390, "Tarif"), (470, "Valeur")]],
    "de": [[(40, "Pos"), (70, "Art.-Nr."), (140, "Leistung"), (330, "Anz."), (390, "Einzel-"), (470, "Gesamt")],
           [(390, "preis"), (470, "netto")]],
    "en": [[(40, "#"), (70, "SKU"), (140, "Item"), (330, "Units"), (390, "Rate"), (470, "Amount")]],
    "unknown": [[(40, "Xq"), (70, "Zorb"), (140, "Blick"), (330, "Wum"), (390, "Frab"), (470, "Gnu")]],
}


@pytest.mark.parametrize("wording", sorted(_HEADERS))
def test_a_table_is_read_by_what_its_cells_hold_whatever_its_labels(tmp_path, wording):
    body = [
        [(40, "1"), (70, "A-100"), (140, "Dachrinne erneuern"), (330, "12 m"), _right(430, "45,50"), _right(540, "546,00")],
        [(140, "Bestell-Nr.: 4711")],  # a note under the line: belongs to it, is no item
        [(40, "2"), (70, "B-200"), (140, "Fallrohr aus Zink"), (330, "2 Stk"), _right(430, "617,70"),
         _right(540, "1.235,40")],
        [(140, "montieren, inkl. Schellen")],  # the designation wraps
        [(140, "- Hinweis: Lieferung frei Baustelle")],
    ]
    header = _HEADERS[wording]
    totals = [
        [(330, "Nettobetrag"), _right(540, "1.781,40")],
        [(330, "USt. 19 %"), _right(540, "338,47")],
        [(330, "Rechnungsbetrag"), _right(540, "2.119,87")],
        [(330, "Anzahlung"), _right(540, "500,00")],
        [(330, "Zahlbetrag"), _right(540, "1.619,87")],
    ]
    page = _letterhead("RECHNUNG") + _rows(150, header) + _rows(150 + 13 * len(header) + 4, body) + _rows(300, totals)
    extraction = extract_document(_pdf(tmp_path / "doc.pdf", [page]))
    assert extraction.is_quote and extraction.flags == []
    assert _lines(extraction) == [
        ("Dachrinne erneuern", D(12), D("45.50"), D("546.00")),
        ("Fallrohr aus Zink montieren, inkl. Schellen", D(2), D("617.70"), D("1235.40")),
    ]
    # Neither the down-payment nor the amount left to pay is the TTC.
    assert (extraction.totals.ht, extraction.totals.tva, extraction.totals.ttc) == (D("1781.40"), D("338.47"), D("2119.87"))


def test_an_english_invoice_with_comma_thousands_continues_on_its_second_page(tmp_path):
    header = [[(40, "No."), (70, "Description"), (330, "Qty"), (390, "Unit price"), (470, "Line total")]]
    first = _letterhead("INVOICE") + _rows(150, header) + _rows(170, [
        [(40, "1"), (70, "Roof tiles replacement"), (330, "20 m2"), _right(430, "61.77"), _right(540, "1,235.40")],
        [(40, "2"), (70, "Gutter cleaning"), (330, "1 ea"), _right(430, "120.00"), _right(540, "120.00")],
    ]) + [(450, 800, "Page 1 / 2")]
    second = _rows(60, [
        [(40, "3"), (70, "Scaffolding hire"), (330, "5 days"), _right(430, "223.08"), _right(540, "1,115.40")],
    ]) + _rows(120, [
        [(330, "Subtotal"), _right(540, "2,470.80")],
        [(330, "Tax 20%"), _right(540, "494.16")],
        [(330, "Total"), _right(540, "2,964.96")],
        [(330, "Paid to date"), _right(540, "1,000.00")],
        [(330, "Balance due"), _right(540, "1,964.96")],
    ])
    extraction = extract_document(_pdf(tmp_path / "doc.pdf", [first, second]))
    assert extraction.is_quote
    assert [(d, t) for d, _, _, t in _lines(extraction)] == [
        ("Roof tiles replacement", D("1235.40")), ("Gutter cleaning", D("120.00")), ("Scaffolding hire", D("1115.40"))]
    assert extraction.lines[2].page == 2
    assert (extraction.totals.ht, extraction.totals.tva, extraction.totals.ttc) == (D("2470.80"), D("494.16"), D("2964.96"))


def test_a_credit_note_with_a_discount_column_a_price_per_n_units_and_a_vat_summary(tmp_path):
    header = [[(40, "Réf."), (90, "Désignation"), (300, "Qté"), (350, "P.U. HT"), (430, "Rem."), (480, "Montant HT")]]
    body = [
        [(40, "R1"), (90, "Carreaux grès 30x30"), _right(320, "-10"), _right(400, "25,00"), (430, "10 %"),
         _right(540, "-225,00")],
        [(40, "R2"), (90, "Joint époxy"), _right(320, "-4"), _right(410, "30,00 € / 3 PCE"), _right(540, "-40,00")],
    ]
    vat_summary = [
        [(40, "Taux"), (100, "Base HT"), (180, "TVA")],
        [(40, "20 %"), _right(150, "-265,00"), _right(210, "-53,00")],
    ]
    totals = [
        [(330, "Total HT"), _right(540, "-265,00")],
        [(330, "TVA 20 %"), _right(540, "-53,00")],
        [(330, "Total TTC"), _right(540, "-318,00")],
    ]
    page = _letterhead("AVOIR") + _rows(150, header) + _rows(170, body) + _rows(230, vat_summary) + _rows(230, totals)
    extraction = extract_document(_pdf(tmp_path / "doc.pdf", [page]))
    assert _lines(extraction) == [
        ("Carreaux grès 30x30", D(-10), D("25.00"), D("-225.00")),
        ("Joint époxy", D(-4), D("30.00"), D("-40.00")),  # the price printed is for 3 pieces
    ]
    assert (extraction.totals.ht, extraction.totals.tva, extraction.totals.ttc) == (D("-265.00"), D("-53.00"), D("-318.00"))


def test_a_down_payment_and_the_rest_to_pay_are_not_the_ttc(tmp_path):
    header = [[(40, "Désignation"), (330, "Qté"), (390, "P.U. HT"), (470, "Total HT")]]
    body = [[(40, "Remplacement ballon eau chaude"), (330, "1"), _right(430, "1 000,00"), _right(540, "1 000,00")]]
    totals = [
        [(330, "Total HT"), _right(540, "1 000,00")],
        [(330, "TVA 10 %"), _right(540, "100,00")],
        [(330, "Total TTC"), _right(540, "1 100,00")],
        [(330, "Acompte déjà versé"), _right(540, "330,00")],
        [(330, "Reste à payer"), _right(540, "770,00")],
    ]
    page = _letterhead("FACTURE") + _rows(150, header) + _rows(170, body) + _rows(220, totals)
    extraction = extract_document(_pdf(tmp_path / "doc.pdf", [page]))
    assert len(extraction.lines) == 1
    assert (extraction.totals.ht, extraction.totals.tva, extraction.totals.ttc) == (D("1000.00"), D("100.00"), D("1100.00"))


def test_totals_without_a_readable_table_make_an_invoice_flagged_table_not_found(tmp_path):
    page = _letterhead("FACTURE") + [
        (40, 150, "Travaux réalisés selon notre devis n° 2025-090 accepté le 02/02/2025."),
        (330, 220, "Total HT"), _right_at(540, 220, "1 250,00"),
        (330, 233, "TVA 10 %"), _right_at(540, 233, "125,00"),
        (330, 246, "Total TTC"), _right_at(540, 246, "1 375,00"),
    ]
    extraction = extract_document(_pdf(tmp_path / "doc.pdf", [page]))
    assert extraction.is_quote and extraction.lines == []
    assert extraction.flags == ["TABLE_NOT_FOUND"]
    assert extraction.totals.ttc == D("1375.00")
    assert extraction.to_contract()["flags"] == ["TABLE_NOT_FOUND"]


def test_a_letter_without_prices_is_not_a_quote(tmp_path):
    page = [(40, 60, "Madame, Monsieur,"),
            (40, 80, "Suite au dégât des eaux du 3 mars, je vous adresse les photos de la cuisine."),
            (40, 100, "Veuillez agréer mes salutations distinguées.")]
    extraction = extract_document(_pdf(tmp_path / "doc.pdf", [page]))
    assert not extraction.is_quote and extraction.flags == []


def _right_at(x: float, y: float, text: str) -> tuple[float, float, str]:
    left, text = _right(x, text)
    return left, y, text


@pytest.mark.parametrize("text, value, kind, basis", [
    ("1.235,40", D("1235.40"), "amount", None),
    ("1,235.40", D("1235.40"), "amount", None),
    ("€20.00", D("20.00"), "amount", None),
    ("= 18,00 €", D("18.00"), "amount", None),
    ("- 0,10", D("-0.10"), "amount", None),
    ("30,00 € / 3 PCE", D("30.00"), "amount", D(3)),
    ("19 %", D(19), "rate", None),
    ("300 Stk", D(300), "quantity", None),
    ("-5 Stk", D(-5), "quantity", None),
    ("12345", D(12345), "number", None),
    ("10/01/2024", None, None, None),
    ("Dachrinne", None, None, None),
])
def test_what_a_cell_holds(text, value, kind, basis):
    figure = read_figure(text)
    if value is None:
        assert figure is None
    else:
        assert (figure.value, figure.kind, figure.basis) == (value, kind, basis)


def test_net_price_allowances_and_charges_listed_under_the_row(tmp_path):
    # 5 × (20.00 − 1.00) − 6.00 + 1.00 = 90.00; 2 × 15.00 + 15.00 = 45.00: the total is no quantity × price.
    header = [[(40, "Item"), (70, "Product"), (250, "Quantity"), (310, "Unit Price"), (380, "Allowances"),
               (470, "Tax"), (510, "Total")]]
    body = [
        [(40, "1"), (70, "APX-COMP-001A - Industrial"), (250, "5 kg"), (310, "€20.00"), (380, "Volume Discount"),
         (470, "19%"), _right(550, "€90.00")],
        [(70, "Grade Fasteners"), (310, "- €1.00")],
        [(310, "= €19.00"), (380, "- €6.00")],
        [(380, "+ €1.00")],
        [(70, "Product Description: stainless steel fasteners.")],
        [(40, "2"), (70, "Premium Filter Cartridges"), (250, "2 kg"), (310, "€15.00"), (380, "Expedited"),
         (470, "19%"), _right(550, "€45.00")],
        [(380, "+ €15.00")],
    ]
    totals = [[(330, "Net Total Amount"), _right(550, "€135.00")], [(330, "VAT (19.00%)"), _right(550, "€25.65")],
              [(330, "Gross Total Amount"), _right(550, "€160.65")]]
    page = _letterhead("INVOICE") + _rows(150, header) + _rows(170, body) + _rows(280, totals)
    extraction = extract_document(_pdf(tmp_path / "doc.pdf", [page]))
    assert _lines(extraction) == [
        ("Industrial Grade Fasteners", D(5), D("19.00"), D("90.00")),
        ("Premium Filter Cartridges", D(2), D("15.00"), D("45.00")),
    ]
    assert (extraction.totals.ht, extraction.totals.tva, extraction.totals.ttc) == (D("135.00"), D("25.65"), D("160.65"))
