"""The supplier's name read off the words of a page, as a scan's OCR delivers them (no image needed)."""
from core.models import PageText, Word
from extractors.fields import find_supplier_name
from extractors.layout import group_lines

CHAR = 0.0075


def words_at(y: float, x: float, text: str, height: float = 0.010, confidence: float = 0.93) -> list[Word]:
    """The words of one phrase starting at x, each ``height`` tall and read with ``confidence``."""
    words = []
    for token in text.split(" "):
        width = len(token) * CHAR * height / 0.010
        words.append(Word(token, x, y, x + width, y + height, confidence))
        x += width + CHAR
    return words


def lines_of(*rows: list[Word], number: int = 1):
    page = PageText(number=number, width=595, height=842, words=[w for row in rows for w in row], source="ocr")
    return group_lines(page)


TABLE_HEAD = (words_at(0.24, 0.07, "Désignation") + words_at(0.24, 0.55, "Unité", height=0.016)
              + words_at(0.24, 0.65, "Quantité") + words_at(0.24, 0.80, "Total HT"))
TABLE_ROW = words_at(0.26, 0.07, "Dépose vitrage brisé") + words_at(0.26, 0.55, "forfait", height=0.018)


def test_letterhead_wins_over_a_taller_client_name_and_trade_list():
    lines = lines_of(
        words_at(0.04, 0.07, "FOURNIER & FILS", height=0.017),
        words_at(0.06, 0.07, "Assèchement - Carrelage - Electricité", height=0.018),
        words_at(0.08, 0.07, "77 route de Lyon 64000 Pau"),
        words_at(0.11, 0.07, "DEVIS D9998") + words_at(0.11, 0.55, "Client :"),
        words_at(0.128, 0.55, "Bernard DAVID", height=0.020),
        TABLE_HEAD, TABLE_ROW,
    )
    assert find_supplier_name(lines) == "FOURNIER & FILS"


def test_person_names_trade_lists_table_words_and_smudges_are_not_names():
    lines = lines_of(
        words_at(0.02, 0.40, "rar", height=0.025, confidence=0.35),
        words_at(0.04, 0.07, "Plomberie - Nettoyage - Électricité", height=0.014),
        words_at(0.06, 0.07, "SASU Martin & Fils", height=0.012),
        words_at(0.08, 0.55, "M. et Mme Thierry SIMON", height=0.022),
        words_at(0.12, 0.07, "en LEROY", height=0.030, confidence=0.34),
        TABLE_HEAD, TABLE_ROW,
    )
    assert find_supplier_name(lines) == "SASU Martin & Fils"


def test_a_name_with_a_legal_form_is_preferred_to_a_taller_slogan():
    lines = lines_of(
        words_at(0.03, 0.07, "Votre artisan de confiance", height=0.020),
        words_at(0.06, 0.07, "EURL Renaud Habitat", height=0.012),
        TABLE_HEAD,
    )
    assert find_supplier_name(lines) == "EURL Renaud Habitat"


def test_the_legal_mention_gives_the_name_when_the_letterhead_is_unreadable():
    lines = lines_of(
        words_at(0.04, 0.07, "Mathieu Renovation", height=0.016, confidence=0.30),
        words_at(0.06, 0.07, "Couverture Zinguerie", height=0.014),
        TABLE_HEAD, TABLE_ROW,
        words_at(0.95, 0.07, "MATHIEU RÉNOVATION - capital 8 000,00 € - RCS Bayonne 221641475 - APE 4332A",
                 height=0.007, confidence=0.85),
    )
    assert find_supplier_name(lines) == "MATHIEU RÉNOVATION"


def test_the_letterhead_spelling_is_kept_when_it_is_read_better_than_the_legal_mention():
    lines = lines_of(
        words_at(0.04, 0.07, "Garcia & Fils", height=0.016, confidence=0.95),
        TABLE_HEAD,
        words_at(0.95, 0.07, "Garcis & Fès - capital 30 000,00 € - SIREN 423003319", height=0.007, confidence=0.60),
    )
    assert find_supplier_name(lines) == "Garcia & Fils"


def test_the_legal_mention_is_read_on_any_page():
    first = lines_of(words_at(0.04, 0.07, "xx", height=0.02), TABLE_HEAD)
    second = lines_of(words_at(0.95, 0.07, "SAS Colin & Fils - capital 8 000,00 € - RCS Metz 619348352"), number=2)
    assert find_supplier_name(first + second) == "SAS Colin & Fils"


def test_supplier_beside_the_client_label_on_the_same_line_is_read():
    lines = lines_of(
        words_at(0.05, 0.07, "Client :") + words_at(0.05, 0.55, "Ets Girard Rénovation", height=0.011),
        words_at(0.066, 0.07, "Mme Éric MARTIN", height=0.017),
        words_at(0.08, 0.07, "Olivier Martin", height=0.017),
        TABLE_HEAD,
    )
    assert find_supplier_name(lines) == "Ets Girard Rénovation"


def test_no_name_when_nothing_credible_is_printed():
    lines = lines_of(
        words_at(0.03, 0.07, "ES «EN", height=0.020, confidence=0.40),
        words_at(0.06, 0.07, "Tél. 02 11 66 40 29"),
        words_at(0.08, 0.07, "SIRET : 923 494 710 05041"),
        TABLE_HEAD, TABLE_ROW,
    )
    assert find_supplier_name(lines) is None


def test_a_misread_capital_is_not_glued_onto_the_legal_mention_name():
    lines = lines_of(
        words_at(0.04, 0.07, "Couverture Zinguerie", height=0.014),
        TABLE_HEAD,
        words_at(0.95, 0.07, "Perrin Frères - capaai 8 000.00 € - RCS Lyon 123456789", height=0.007, confidence=0.8),
    )
    assert find_supplier_name(lines) == "Perrin Frères"
