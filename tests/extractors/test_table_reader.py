"""The shared table reader on word boxes laid out like a real quote (no PDF, no OCR needed)."""
from decimal import Decimal

from extractors.quote import read_quote
from pipeline.models import PageText, Word

CHAR = 0.0075
HEIGHT = 0.012


def words_at(y: float, cells: list[tuple[float, str]], align_right: set[int] = frozenset()) -> list[Word]:
    """Words of one line; a cell given at x starts there (or ends there when its index is in align_right)."""
    words = []
    for index, (x, text) in enumerate(cells):
        width = len(text) * CHAR
        start = x - width if index in align_right else x
        for token in text.split(" "):
            token_width = len(token) * CHAR
            words.append(Word(token, start, y, start + token_width, y + HEIGHT, 0.95))
            start += token_width + CHAR
    return words


def build_page(rows: list[list[Word]], number: int = 1) -> PageText:
    return PageText(number=number, width=595, height=842, words=[w for row in rows for w in row], source="ocr")


RIGHT = {2, 4, 5}


def test_borderless_table_with_codes_wrapped_lines_sections_and_discount():
    rows = [
        words_at(0.04, [(0.07, "SARL Martin Plomberie")]),
        words_at(0.06, [(0.07, "SIRET : 732 829 320 00074")]),
        words_at(0.10, [(0.07, "DEVIS N° D-2025-114"), (0.55, "Client :")]),
        words_at(0.115, [(0.07, "Date : 12/03/2025"), (0.55, "Mme Claire Petit")]),
        words_at(0.13, [(0.55, "8 rue des Lilas")]),
        words_at(0.145, [(0.55, "69003 Lyon")]),
        words_at(0.20, [(0.07, "Libellé"), (0.50, "Unité"), (0.62, "Quantité"), (0.72, "Prix unitaire"), (0.86, "Total HT"), (0.93, "TVA")]),
        words_at(0.22, [(0.07, "Lot 1 - Plomberie")]),
        words_at(0.24, [(0.07, "Remplacement robinet d'arrêt, fourniture"), (0.50, "U"), (0.68, "2,00"), (0.80, "85,50"), (0.92, "171,00"), (0.94, "1")], RIGHT | {3}),
        words_at(0.255, [(0.07, "et pose")]),
        words_at(0.275, [(0.07, "Recherche de fuite"), (0.50, "Fft"), (0.92, "250,00"), (0.94, "1")], {2}),
        words_at(0.295, [(0.07, "Sous-total lot 1"), (0.92, "421,00")], {1}),
        words_at(0.315, [(0.07, "Peinture plafond 2 couches"), (0.50, "m²"), (0.68, "12,50"), (0.80, "24,00"), (0.92, "300,00"), (0.94, "2")], RIGHT | {3}),
        words_at(0.335, [(0.07, "Remise 5 %"), (0.92, "-36,05")], {1}),
        words_at(0.37, [(0.07, "Codes TVA : 1 = 20 % ; 2 = 10 %"), (0.70, "Total HT"), (0.92, "684,95")], {2}),
        words_at(0.385, [(0.70, "TVA 20 %"), (0.92, "84,20")], {1}),
        words_at(0.40, [(0.70, "TVA 10 %"), (0.92, "30,00")], {1}),
        words_at(0.415, [(0.70, "Total TTC"), (0.92, "799,15")], {1}),
    ]
    quote = read_quote([build_page(rows)], "t1")
    assert quote.is_quote
    assert [line.description for line in quote.lines] == [
        "Remplacement robinet d'arrêt, fourniture et pose",
        "Recherche de fuite",
        "Peinture plafond 2 couches",
        "Remise 5 %",
    ]
    first, lump, paint, discount = quote.lines
    assert (first.quantity, first.unit, first.unit_price_ht, first.total_ht, first.vat_rate) == (
        Decimal("2.00"), "u", Decimal("85.50"), Decimal("171.00"), Decimal("0.2"))
    assert (lump.quantity, lump.unit, lump.unit_price_ht, lump.total_ht) == (None, "forfait", None, Decimal("250.00"))
    assert (paint.unit, paint.vat_rate) == ("m2", Decimal("0.1"))
    assert (discount.total_ht, discount.quantity, discount.unit) == (Decimal("-36.05"), None, None)
    assert (quote.totals.ht, quote.totals.tva, quote.totals.ttc) == (Decimal("684.95"), Decimal("114.20"), Decimal("799.15"))
    assert quote.supplier.siret == "73282932000074" and quote.supplier.siren == "732829320"
    assert quote.supplier.name == "SARL Martin Plomberie"
    assert quote.quote_number == "D-2025-114"
    assert quote.date.isoformat() == "2025-03-12"
    assert quote.site_postcode == "69003"


def test_columns_in_another_order_and_a_misread_digit_repaired_by_arithmetic():
    rows = [
        words_at(0.05, [(0.07, "Facture n° FA-3321"), (0.60, "Date : 3 mars 2025")]),
        words_at(0.08, [(0.07, "Lieu des travaux : 12 rue Haute 13001 Marseille")]),
        words_at(0.15, [(0.07, "Qté"), (0.15, "Désignation"), (0.62, "P.U. HT"), (0.80, "Montant HT")]),
        # 4 × 25,50 = 102,00 but OCR read the total as 108,00: one confusable digit (8 for 2? no: 2→7) -> only the
        # quantity-side reading "4" -> fixes must be unique; here the unit price 27,00 misread as 21,00 (7→1).
        words_at(0.17, [(0.10, "4"), (0.15, "Pose de plinthes bois"), (0.68, "21,00"), (0.88, "108,00")], {0, 2, 3}),
        words_at(0.19, [(0.10, "1"), (0.15, "Évacuation des gravats"), (0.68, "60,00"), (0.88, "60,00")], {0, 2, 3}),
        words_at(0.23, [(0.60, "Total HT"), (0.88, "168,00")], {1}),
        words_at(0.245, [(0.60, "TVA 10 %"), (0.88, "16,80")], {1}),
        words_at(0.26, [(0.60, "Net à payer"), (0.88, "184,80")], {1}),
    ]
    quote = read_quote([build_page(rows)], "t2")
    plinths = quote.lines[0]
    assert plinths.unit_price_ht == Decimal("27.00")
    assert any("corrigé" in w for w in quote.warnings)
    assert plinths.confidence < 0.95
    assert quote.site_postcode == "13001"
    assert quote.date.isoformat() == "2025-03-03"
    assert quote.totals.ttc == Decimal("184.80")
    assert all(line.vat_rate == Decimal("0.1") for line in quote.lines)


def test_a_letter_is_not_a_quote():
    rows = [
        words_at(0.05, [(0.07, "Madame, Monsieur,")]),
        words_at(0.08, [(0.07, "Suite au dégât des eaux du 3 mars 2025, je vous prie de trouver")]),
        words_at(0.10, [(0.07, "les photos des dommages. Montant estimé 1 200 euros.")]),
    ]
    quote = read_quote([build_page(rows)], "letter")
    assert not quote.is_quote and quote.lines == []


def test_ocr_gaps_are_filled_only_where_the_arithmetic_gives_one_answer():
    rows = [
        words_at(0.05, [(0.07, "DEVIS N° 77")]),
        # The header's quantity and unit labels are unreadable ("Fr", "Eur"): their cells name them.
        words_at(0.15, [(0.07, "Désignation"), (0.46, "Fr"), (0.56, "Eur"), (0.63, "P.U. HT"), (0.78, "Montant HT")]),
        words_at(0.17, [(0.07, "Ragréage sol P3"), (0.52, "28,97"), (0.56, "m2"), (0.72, "15,51"), (0.90, "449,32")], {1, 3, 4}),
        words_at(0.19, [(0.07, "Nettoyage fin de travaux"), (0.52, "1"), (0.56, "Fft"), (0.90, "177,46")], {1, 3}),
        words_at(0.21, [(0.07, "Remise 5 % sur total HT"), (0.90, "-31,34")], {1}),
        words_at(0.25, [(0.60, "Total HT"), (0.90, "595,44")], {1}),
        words_at(0.265, [(0.60, "TVA 10 %"), (0.90, "5954")], {1}),  # "59,54" read without its comma
        words_at(0.28, [(0.60, "Total TTC wo"), (0.90, "654,98")], {1}),
    ]
    quote = read_quote([build_page(rows)], "ocr-gaps")
    ragreage, cleaning, discount = quote.lines
    assert (ragreage.quantity, ragreage.unit, ragreage.unit_price_ht) == (Decimal("28.97"), "m2", Decimal("15.51"))
    assert (cleaning.quantity, cleaning.unit, cleaning.unit_price_ht) == (Decimal("1"), "forfait", Decimal("177.46"))
    assert any("déduit du total" in w for w in quote.warnings)
    assert discount.total_ht == Decimal("-31.34")
    assert (quote.totals.ht, quote.totals.tva, quote.totals.ttc) == (Decimal("595.44"), Decimal("59.54"), Decimal("654.98"))
    assert any(w.startswith("total TVA mal lu") for w in quote.warnings)
