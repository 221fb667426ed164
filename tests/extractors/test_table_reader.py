"""The shared table reader on word boxes laid out like a real quote (no PDF, no OCR needed)."""
from decimal import Decimal

from core.models import PageText, Word
from extractors.quote import read_quote

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
    assert any(w.startswith("total TVA lu 5954, corrigé en 59.54") for w in quote.warnings)


def spaced_words(y: float, cells: list[tuple[float, str]], space: float, align_right: set[int] = frozenset()) -> list[Word]:
    """Like ``words_at`` with OCR-like boxes: ink-tight height and a chosen space between words
    (a monospaced font set wide apart gives spaces of ~1.6 cap heights)."""
    words = []
    for index, (x, text) in enumerate(cells):
        tokens = text.split(" ")
        width = sum(len(t) * CHAR for t in tokens) + space * (len(tokens) - 1)
        start = x - width if index in align_right else x
        for token in tokens:
            words.append(Word(token, start, y, start + len(token) * CHAR, y + 0.006, 0.95))
            start += len(token) * CHAR + space
    return words


def test_wide_ocr_spaces_keep_labels_and_totals_together():
    """Spaces wider than the tight OCR boxes' height must not split "Montant HT" into two columns,
    nor read the rate of "TVA (10 %)" as the VAT amount."""
    space = 0.0095
    filler = [spaced_words(0.02 + 0.012 * i, [(0.07, "Entreprise Durand rue des Lilas Lyon")], space) for i in range(4)]
    rows = filler + [
        spaced_words(0.10, [(0.07, "DEVIS N° 2025-12")], space),
        spaced_words(0.20, [(0.07, "N° Désignation des ouvrages"), (0.58, "Unité"), (0.655, "Qté"), (0.74, "Prix"), (0.83, "Montant HT")], space),
        spaced_words(0.215, [(0.74, "unitaire HT")], space),
        spaced_words(0.23, [(0.07, "1 Pose carrelage grès"), (0.58, "m2"), (0.70, "4,80"), (0.80, "110,57"), (0.93, "530,74")], space, {2, 3, 4}),
        spaced_words(0.25, [(0.07, "2 Forfait déplacement"), (0.58, "Fft"), (0.70, "1"), (0.80, "89,85"), (0.93, "89,85")], space, {2, 3, 4}),
        spaced_words(0.28, [(0.07, "Devis valable 3 mois"), (0.60, "Montant total HT"), (0.93, "620,59")], space, {2}),
        spaced_words(0.295, [(0.07, "IBAN : FR76 3000"), (0.60, "TVA (10 %)"), (0.93, "62,06")], space, {2}),
        spaced_words(0.31, [(0.60, "Montant total TTC"), (0.93, "682,65")], space, {1}),
    ]
    quote = read_quote([build_page(rows)], "wide-spaces")
    assert quote.is_quote
    assert [(l.quantity, l.unit, l.unit_price_ht, l.total_ht) for l in quote.lines] == [
        (Decimal("4.80"), "m2", Decimal("110.57"), Decimal("530.74")),
        (Decimal("1"), "forfait", Decimal("89.85"), Decimal("89.85")),
    ]
    assert (quote.totals.ht, quote.totals.tva, quote.totals.ttc) == (Decimal("620.59"), Decimal("62.06"), Decimal("682.65"))


def test_header_with_glued_labels_and_an_unreadable_designation_label():
    """OCR glued "Prix U." and "Prix total HT" into single words and read "Désignation" as noise:
    the figure labels still identify the table and the noise column holds the designations."""
    rows = [
        words_at(0.05, [(0.07, "DEVIS N° 88")]),
        words_at(0.15, [(0.07, "ER bons"), (0.50, "Nb"), (0.56, "Unité"), (0.66, "PrixU."), (0.80, "PrixtotalHT")]),
        words_at(0.17, [(0.07, "Dépose faux plafond"), (0.54, "12,00"), (0.57, "m2"), (0.72, "20,00"), (0.90, "240,00")], {1, 3, 4}),
        words_at(0.19, [(0.07, "Location échafaudage"), (0.54, "1"), (0.57, "ens"), (0.72, "150,00"), (0.90, "150,00")], {1, 3, 4}),
        words_at(0.23, [(0.60, "Total HT"), (0.90, "390,00")], {1}),
        words_at(0.245, [(0.60, "Total TTC"), (0.90, "468,00")], {1}),
    ]
    quote = read_quote([build_page(rows)], "glued")
    assert [(l.description, l.quantity, l.unit, l.unit_price_ht) for l in quote.lines] == [
        ("Dépose faux plafond", Decimal("12.00"), "m2", Decimal("20.00")),
        ("Location échafaudage", Decimal("1"), "forfait", Decimal("150.00")),
    ]


def test_an_unreadable_label_right_of_the_unit_price_is_the_total():
    """"Total HT" read "Tour" on a quantity-first table: the figure labels around it still make the table."""
    rows = [
        words_at(0.05, [(0.07, "DEVIS N° 77")]),
        words_at(0.15, [(0.07, "Quantité"), (0.16, "U"), (0.22, "Détail des travaux"), (0.66, "PU"), (0.80, "Tour"),
                        (0.90, "TVA")]),
        words_at(0.17, [(0.12, "0,52"), (0.16, "M3"), (0.22, "Évacuation des déchets"), (0.72, "74,75"), (0.86, "38,87"),
                        (0.95, "5,50")], {0, 3, 4, 5}),
        words_at(0.21, [(0.60, "Total HT"), (0.90, "38,87")], {1}),
        words_at(0.225, [(0.60, "Total TTC"), (0.90, "41,01")], {1}),
    ]
    quote = read_quote([build_page(rows)], "tour")
    assert [(l.description, l.quantity, l.unit, l.unit_price_ht, l.total_ht) for l in quote.lines] == [
        ("Évacuation des déchets", Decimal("0.52"), "m3", Decimal("74.75"), Decimal("38.87"))]


def test_ocr_unit_cells_colons_and_quantities_beside_their_unit_are_read():
    rows = [
        words_at(0.05, [(0.07, "DEVIS N° 91")]),
        words_at(0.15, [(0.07, "Désignation"), (0.50, "Qté"), (0.56, "Unité"), (0.66, "P.U. HT"), (0.80, "Montant HT")]),
        # "mil." is "ml" with the l read "il"; "1:93" a decimal comma read as a colon.
        words_at(0.17, [(0.07, "Joint silicone"), (0.54, "1:93"), (0.57, "mil."), (0.72, "10,00"), (0.90, "19,30")], {1, 3, 4}),
        # "Fft" read "Fit"; its quantity printed close to it fell into the unit column.
        words_at(0.19, [(0.07, "Nettoyage fin de chantier"), (0.56, "1 Fit"), (0.72, "150,00"), (0.90, "150,00")], {2, 3}),
        words_at(0.25, [(0.60, "Total HT"), (0.90, "169,30")], {1}),
        words_at(0.265, [(0.60, "Total TTC"), (0.90, "203,16")], {1}),
    ]
    quote = read_quote([build_page(rows)], "units")
    assert [(l.quantity, l.unit) for l in quote.lines] == [(Decimal("1.93"), "ml"), (Decimal("1"), "forfait")]


def test_decimal_commas_lost_by_ocr_are_restored_from_the_total_ht():
    """"1,00" read "100" and "208,01" read "20801" agree with each other (100 × 208,01 = 20 801),
    so only the printed total HT reveals the lost commas."""
    rows = [
        words_at(0.05, [(0.07, "DEVIS N° 92")]),
        words_at(0.15, [(0.07, "Désignation"), (0.50, "Qté"), (0.56, "Unité"), (0.66, "P.U. HT"), (0.80, "Montant HT")]),
        words_at(0.17, [(0.07, "Déplacement mobilier"), (0.54, "100"), (0.57, "Fft"), (0.72, "208,01"), (0.90, "20801")], {1, 3, 4}),
        words_at(0.19, [(0.07, "Peinture murs"), (0.54, "10,00"), (0.57, "m2"), (0.72, "25,00"), (0.90, "250,00")], {1, 3, 4}),
        words_at(0.21, [(0.07, "Protection des sols"), (0.54, "100"), (0.57, "Fft"), (0.72, "185,83"), (0.90, "18583")], {1, 3, 4}),
        words_at(0.25, [(0.60, "Total HT"), (0.90, "643,84")], {1}),
        words_at(0.265, [(0.60, "Total TTC"), (0.90, "772,61")], {1}),
    ]
    quote = read_quote([build_page(rows)], "lost-commas")
    assert [(l.quantity, l.total_ht) for l in quote.lines] == [
        (Decimal("1"), Decimal("208.01")), (Decimal("10.00"), Decimal("250.00")), (Decimal("1"), Decimal("185.83"))]
    assert any("virgule décimale perdue" in w for w in quote.warnings)


def test_ocr_debris_between_header_labels_does_not_steal_a_column():
    rows = [
        words_at(0.05, [(0.07, "DEVIS N° 12")]),
        words_at(0.15, [(0.07, "Désignation"), (0.50, "Qté"), (0.555, "dE)"), (0.60, "U"), (0.70, "P.U. HT"), (0.85, "Montant HT")]),
        words_at(0.17, [(0.07, "Reprise dormant"), (0.53, "4"), (0.60, "h"), (0.76, "41,43"), (0.92, "165,72")], {1, 3, 4}),
        words_at(0.21, [(0.60, "Total HT"), (0.92, "165,72")], {1}),
        words_at(0.225, [(0.60, "TVA 10 %"), (0.92, "16,57")], {1}),
        words_at(0.24, [(0.60, "Total TTC"), (0.92, "182,29")], {1}),
    ]
    (item,) = read_quote([build_page(rows)], "debris").lines
    assert (item.quantity, item.unit, item.unit_price_ht) == (Decimal("4"), "h", Decimal("41.43"))


def test_header_labels_on_two_baselines_and_a_colon_for_a_dot_are_one_header():
    rows = [
        words_at(0.05, [(0.07, "DEVIS N° 2024/714")]),
        words_at(0.150, [(0.50, "Qté"), (0.58, "Unité"), (0.68, "PU:HT"), (0.82, "Montant HT")]),
        words_at(0.157, [(0.07, "N°"), (0.12, "Désignation des ouvrages")]),
        words_at(0.18, [(0.07, "1.1"), (0.12, "Réfection faîtage scellé"), (0.55, "3,94"), (0.58, "ml"), (0.76, "68,13"),
                        (0.92, "268,43")], {2, 4, 5}),
        words_at(0.22, [(0.60, "Total HT"), (0.92, "268,43")], {1}),
        words_at(0.235, [(0.60, "TVA 10 %"), (0.92, "26,84")], {1}),
        words_at(0.25, [(0.60, "Total TTC"), (0.92, "295,27")], {1}),
    ]
    (item,) = read_quote([build_page(rows)], "two-baselines").lines
    assert item.description == "Réfection faîtage scellé"
    assert (item.quantity, item.unit, item.unit_price_ht, item.total_ht) == (
        Decimal("3.94"), "ml", Decimal("68.13"), Decimal("268.43"))


def test_a_stray_figure_in_the_unit_cell_does_not_hide_the_unit():
    rows = [
        words_at(0.05, [(0.07, "DEVIS N° 92")]),
        words_at(0.15, [(0.07, "Désignation"), (0.50, "Qté"), (0.56, "Unité"), (0.66, "P.U. HT"), (0.80, "Montant HT")]),
        # "5.75" read as "575" and a stray "7" that landed in the unit column beside "m²".
        words_at(0.17, [(0.07, "Enduit de lissage sur murs"), (0.54, "575"), (0.565, "7 m²"), (0.72, "30.92"),
                        (0.90, "177.79")], {1, 3, 4}),
        words_at(0.25, [(0.60, "Total HT"), (0.90, "177,79")], {1}),
    ]
    (line,) = read_quote([build_page(rows)], "stray").lines
    assert (line.quantity, line.unit, line.unit_price_ht) == (Decimal("5.75"), "m2", Decimal("30.92"))
