"""Header fields of a quote: supplier, SIREN/SIRET, number, date, site postcode, totals."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from rapidfuzz import fuzz
from stdnum.fr import siren as siren_check
from stdnum.fr import siret as siret_check

from core.models import Supplier, Totals, cents
from extractors.layout import Phrase, TextLine, split_phrases
from extractors.numbers import AMOUNT_RE, digit_edits, is_partial_reading, parse_number
from extractors.table import fold

_MONTHS = {
    "janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4, "mai": 5,
    "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "octobre": 10, "oct": 10,
    "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})\s?[/.\-]\s?(\d{1,2})\s?[/.\-]\s?(\d{4}|\d{2})\b")
_ISO_DATE = re.compile(r"\b(20\d{2})-(\d{2})-(\d{2})\b")
_WORD_DATE = re.compile(r"\b(\d{1,2})(?:er)?\s+([a-z]{3,9})\.?\s+(\d{4})\b")


def _to_date(day: int, month: int, year: int) -> dt.date | None:
    if year < 100:
        year += 2000
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def find_dates(text: str) -> list[dt.date]:
    folded = fold(text)
    found: list[tuple[int, dt.date]] = []
    for m in _NUMERIC_DATE.finditer(folded):
        date = _to_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if date:
            found.append((m.start(), date))
    for m in _ISO_DATE.finditer(folded):
        date = _to_date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if date:
            found.append((m.start(), date))
    for m in _WORD_DATE.finditer(folded):
        month = _MONTHS.get(m.group(2))
        date = month and _to_date(int(m.group(1)), month, int(m.group(3)))
        if date:
            found.append((m.start(), date))
    return [d for _, d in sorted(found, key=lambda item: item[0])]


_NOT_QUOTE_DATE = re.compile(r"(echeance|valable|validite|sinistre du|naissance|survenu|livraison|expire|jusqu)")


def find_quote_date(lines: list[TextLine]) -> dt.date | None:
    """The date next to "Date", else the first date of the page that is not a due or validity date."""
    fallback = None
    for line in lines:
        for phrase in _line_segments(line):
            folded = fold(phrase)
            dates = find_dates(phrase)
            if not dates or _NOT_QUOTE_DATE.search(folded):
                continue
            if re.search(r"\bdate\b|\ble\b|\bdu\b|\bemis|\bfait a", folded):
                return dates[0]
            fallback = fallback or dates[0]
    return fallback


def _line_segments(line: TextLine) -> list[str]:
    """A line's text cut at wide gaps and at the "|" or " - " separators letterheads use."""
    segments = []
    for phrase in split_phrases(line, gap_factor=2.0):
        segments.extend(s for s in re.split(r"\s[|]\s|\s-\s(?=date)", phrase.text, flags=re.IGNORECASE) if s.strip())
    return segments


_SIRET = re.compile(r"(?<!\d)(\d{3}\s?\d{3}\s?\d{3}\s?\d{5})(?!\d)")
_SIREN = re.compile(r"(?<![\dA-Z])(\d{3}\s?\d{3}\s?\d{3})(?!\s?\d)")


def find_supplier_ids(text: str) -> tuple[str | None, str | None]:
    """SIRET and SIREN with valid check digits; a SIRET gives its SIREN."""
    for m in re.finditer(r"siret[\s.:n°]*" + _SIRET.pattern, text, re.IGNORECASE):
        digits = re.sub(r"\D", "", m.group(1))
        if siret_check.is_valid(digits):
            return digits, digits[:9]
    for m in _SIRET.finditer(text):
        digits = re.sub(r"\D", "", m.group(1))
        if siret_check.is_valid(digits):
            return digits, digits[:9]
    for m in re.finditer(r"(?:siren|rcs[a-z\s]*?|r\.c\.s\.?[a-z\s]*?)[\s.:n°]*(\d{3}\s?\d{3}\s?\d{3})(?!\d)", text, re.IGNORECASE):
        digits = re.sub(r"\D", "", m.group(1))
        if siren_check.is_valid(digits):
            return None, digits
    return None, None


_NUMBER = re.compile(
    # "DEVIS - Réf. 2025-DEV-00176": a dash may part the title from the number's label, not from a bare figure.
    r"\b(?:devis|facture|proforma|avoir)\b\s*(?:(?:[-–:]\s*)?(?:n\s?°|no\.?|num(?:e|é)ro|nº|#|r[ée]f(?:[ée]rence)?\.?))?\s*[:.]?\s*"
    r"([A-Z0-9][A-Z0-9\-/_.]*\d[A-Z0-9\-/_.]*)", re.IGNORECASE)
_NUMBER_ALONE = re.compile(r"\b(?:n\s?°|nº|numéro|numero|no\.)\s*(?:de\s+(?:devis|facture)\s*)?[:.]?\s*([A-Z0-9][A-Z0-9\-/_.]*\d[A-Z0-9\-/_.]*)", re.IGNORECASE)


def find_quote_number(lines: list[TextLine]) -> str | None:
    for pattern in (_NUMBER, _NUMBER_ALONE):
        for line in lines:
            if re.search(r"siret|siren|tva intra|iban|sinistre|contrat|police|client n", line.text, re.IGNORECASE):
                continue
            m = pattern.search(line.text)
            if m:
                return m.group(1).rstrip(".-/")
    return None


_POSTCODE = re.compile(r"(?<!\d)((?:0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-6])\d{3})(?!\d)\s+([A-ZÉÈa-zéèêëàâîïôöûüç'\- ]{2,})")
# Matched on folded text (accents off, same length).
_SITE = re.compile(r"(lieu\s+(des\s+travaux|du\s+chantier|d.(intervention|execution)|de\s+(realisation|l.intervention))|"
                   r"adresse\s+(des\s+travaux|du\s+chantier|d.intervention)|(localisation|site)\s+(des\s+travaux|du\s+chantier)|"
                   r"chantier\s*:|site\s*:|intervention\s*:)")
# Labels that open the client's block: "Client :", "À l'attention de :", "Adressé à :", "Maître d'ouvrage :".
_CLIENT_BLOCK = re.compile(r"\b(client|destinataire|maitre d'ouvrage|adresse de facturation|facture a|a l.attention de|"
                           r"adressee? a|donneur d'ordre)\b")
# How far right of its label a client's address may start; further right is the next block (the supplier's).
_BLOCK_WIDTH = 0.25


def find_site_postcode(lines: list[TextLine]) -> str | None:
    """The postcode of "Lieu des travaux", else the client's address block."""
    for index, line in enumerate(lines):
        m = _SITE.search(fold(line.text))
        if not m:
            continue
        after = line.text[m.end():]
        found = _POSTCODE.search(after)
        if found:
            return found.group(1)
        for below in _block_below(lines, index, line.words[0].x0 if m.start() == 0 else None):
            found = _POSTCODE.search(below.text)
            if found:
                return found.group(1)
    for index, line in enumerate(lines):
        client = _CLIENT_BLOCK.search(fold(line.text))
        if not client:
            continue
        x0 = _word_at(line, client.start()).x0
        for below in _block_below(lines, index, x0):
            # Only the client's column: the supplier's block often sits beside it on the same lines.
            column = [p.text for p in split_phrases(below, gap_factor=2.0) if x0 - 0.02 <= p.x0 <= x0 + _BLOCK_WIDTH]
            found = _POSTCODE.search(" ".join(column))
            if found:
                return found.group(1)
    return _unlabelled_client_postcode(lines)


# A private client's address block starts with a civility: "M. et Mme …", "Mme …", "Monsieur …" (folded text).
_CIVILITY = re.compile(r"^(m\.?|mr\.?|mme\.?|mlle\.?|monsieur|madame)(\s|$)")
_CONTACT = re.compile(r"(\btel\b|telephone|@|www\.|\bfax\b|siret|siren)")
_LETTERHEAD_BOTTOM = 0.35


def _unlabelled_client_postcode(lines: list[TextLine]) -> str | None:
    """The postcode of an address block under a civility in the letterhead area, for a client label OCR
    could not read; a block with phone, e-mail or SIRET lines is the supplier's and is left out."""
    top = [line for line in lines if line.page == 1 and line.y1 < _LETTERHEAD_BOTTOM]
    phrases = [(index, phrase) for index, line in enumerate(top) for phrase in split_phrases(line, gap_factor=2.0)]
    supplier_columns = [phrase.x0 for _, phrase in phrases if _CONTACT.search(fold(phrase.text))]
    civilities = [(index, phrase.x0) for index, phrase in phrases if _CIVILITY.match(fold(phrase.text))]
    for index, phrase in phrases:
        found = _POSTCODE.search(phrase.text)
        if not found or any(abs(phrase.x0 - x0) < 0.05 for x0 in supplier_columns):
            continue
        if any(0 < index - above <= 4 and abs(phrase.x0 - x0) < 0.05 for above, x0 in civilities):
            return found.group(1)
    return None


def _word_at(line: TextLine, offset: int):
    """The word of ``line`` under character ``offset`` of ``line.text``."""
    end = -1
    for word in line.words:
        end += len(word.text) + 1
        if offset < end:
            return word
    return line.words[-1]


def _block_below(lines: list[TextLine], index: int, x0: float | None, depth: int = 5):
    start = lines[index]
    for line in lines[index + 1: index + 1 + depth * 2]:
        if line.y0 - start.y1 > (start.y1 - start.y0) * depth * 1.6:
            break
        if x0 is None or any(abs(w.x0 - x0) < 0.05 for w in line.words[:1]) or any(w.x0 >= x0 - 0.02 for w in line.words):
            yield line


_LEGAL_FORMS = re.compile(r"\b(sarl|sas|sasu|eurl|sa|sci|ets|ste|société|entreprise|ei|eirl|scop)\b", re.IGNORECASE)
# The legal mention printed at the foot of the pages: "NAME - capital 8 000 € - RCS Lyon 123 456 789 - …".
# The name is the first " - " segment: a misread "capital" must not glue the amount onto the name.
# OCR reads a thin dash as "." or "—".
_LEGAL_MENTION = re.compile(r"^(?P<name>(?:(?!\s[-–—.·]\s).)+?)\s+[-–—.·]\s.*?\b(?:capital|rcs|r\.c\.s|siren|siret)\b",
                            re.IGNORECASE)
_NOT_A_NAME = re.compile(
    r"^(devis|facture|client|date|objet|tel|mail|siret|siren|rcs|proforma|lot|page|lieu|ref|libelle|designation|"
    r"qte|total|montant|ht|tva|le|emis|capital|m\.|mme|mlle|mr|madame|monsieur|m et mme|"
    r"quantite|unite|prix|prestation|article|description|detail|forfait)(?=\W|$)")
# "Plomberie - Nettoyage - Électricité": the trades under a letterhead, not a name.
_LIST_OF_TRADES = re.compile(r"\S\s[-|]\s.*\S\s[-|]\s")
_CONTACT_OR_ADDRESS = re.compile(
    r"(@|www\.|\btel\b|\d{2}\s\d{2}\s\d{2}|\brue\b|\bavenue\b|\bplace\b|\broute\b|\bquai\b|\bboulevard\b|\ballee\b|"
    r"\bimpasse\b|\bchemin\b|siret|\d{5})")
# Column labels of the items table; the letterhead is above it.
_TABLE_HEAD = re.compile(r"^\W*(designation|libelle|quantite|qte|prix|p\.?u|description|prestation|article|detail|"
                         r"unite|montant|total|tva|ref|nb|n°)\b")
_SUPPLIER_LABEL = re.compile(r"^(entreprise|prestataire|emetteur|émetteur)\s*:\s*", re.IGNORECASE)
# What only the supplier's legal identity lines print; a footer band starts below _FOOTER_TOP.
_LEGAL_IDS = re.compile(r"\b(siret|siren|rcs|r\.c\.s|ape|naf|capital|tva\s+intra\w*)\b")
_FOOTER_TOP = 0.75
# Mean OCR confidence under which a phrase is more likely a smudge or a logo than a name.
_MIN_NAME_CONFIDENCE = 0.5
# Two readings of one name (letterhead and legal mention) at least this similar are the same name.
_SAME_NAME = 80


@dataclass
class _NameReading:
    text: str
    confidence: float
    height: float
    y0: float

    @property
    def has_legal_form(self) -> bool:
        return bool(_LEGAL_FORMS.search(self.text))


def _phrase_confidence(phrase: Phrase) -> float:
    return sum(w.confidence for w in phrase.words) / len(phrase.words)


def _credible_name(text: str, confidence: float) -> bool:
    folded = fold(text)
    letters = sum(c.isalpha() for c in folded)
    return (confidence >= _MIN_NAME_CONFIDENCE and letters >= 4 and letters >= 0.6 * len(folded.replace(" ", ""))
            and not text.endswith(":") and not _NOT_A_NAME.match(folded) and not _CONTACT_OR_ADDRESS.search(folded)
            and not _LIST_OF_TRADES.search(text))


def _legal_mention_names(lines: list[TextLine]) -> list[_NameReading]:
    """The company name heading the legal mention, on every page it is printed."""
    readings = []
    for line in lines:
        m = _LEGAL_MENTION.match(line.text)
        if not m:
            continue
        name = m.group("name").strip(" -|")
        words = line.words[: len(name.split())]
        confidence = sum(w.confidence for w in words) / len(words)
        if _credible_name(name, confidence):
            readings.append(_NameReading(name, confidence, max(w.y1 - w.y0 for w in words), line.y0))
    return readings


def _footer_block_names(lines: list[TextLine]) -> list[_NameReading]:
    """The name heading a footer band that sets the supplier's identity on lines of its own
    ("SARL X" / address and phone / "SIRET … - APE … - TVA intracom. …"), when no letterhead names it."""
    readings = []
    for index, line in enumerate(lines):
        if line.y0 < _FOOTER_TOP or not _LEGAL_IDS.search(fold(line.text)):
            continue
        below = line
        for above in reversed(lines[:index]):
            if above.page != line.page or below.y0 - above.y1 > above.height * 1.5:
                break
            folded = fold(above.text)
            if _LEGAL_IDS.search(folded) or _CONTACT_OR_ADDRESS.search(folded):
                below = above  # the address and phone lines of the same block
                continue
            name = above.text.strip(" -|")
            if _credible_name(name, above.confidence()):
                readings.append(_NameReading(name, above.confidence(), above.height, above.y0))
            break
    return readings


def _letterhead_names(lines: list[TextLine]) -> list[_NameReading]:
    """Name-like phrases of the top of page 1, above the items table and outside the client's block."""
    readings = []
    client_labels: list[tuple[float, float]] = []  # (x0, y1) of each "Client :" label
    for line in lines:
        if line.page != 1 or line.y1 >= 0.3:
            continue
        phrases = split_phrases(line, gap_factor=2.5)
        if sum(bool(_TABLE_HEAD.match(fold(p.text))) for p in phrases) >= 2 and len(phrases) >= 3:
            break
        for phrase in phrases:
            folded = fold(phrase.text)
            if _CLIENT_BLOCK.match(folded):  # the names printed below are the client's
                client_labels.append((phrase.x0, line.y1))
                continue
            if any(abs(phrase.x0 - x0) < 0.06 and 0 <= line.y0 - y1 < 0.1 for x0, y1 in client_labels):
                continue
            name = _SUPPLIER_LABEL.sub("", phrase.text).strip(" -|")
            confidence = _phrase_confidence(phrase)
            if _credible_name(name, confidence):
                readings.append(_NameReading(name, confidence, max(w.y1 - w.y0 for w in phrase.words), line.y0))
    return readings


def find_supplier_name(lines: list[TextLine]) -> str | None:
    """The supplier's name: the legal mention's company name, read from the letterhead when the letterhead
    prints the same name more legibly; without a legal mention, the letterhead phrase with a legal form,
    else the tallest; None when nothing credible is printed."""
    letterhead = _letterhead_names(lines)
    mentions = _legal_mention_names(lines) + _footer_block_names(lines)
    if mentions:
        mention = max(mentions, key=lambda r: r.confidence)
        same = [r for r in letterhead if fuzz.ratio(fold(r.text), fold(mention.text)) >= _SAME_NAME]
        best = max(same, key=lambda r: (r.confidence, r.height), default=None)
        return best.text if best and best.confidence >= mention.confidence else mention.text
    if not letterhead:
        return None
    return max(letterhead, key=lambda r: (r.has_legal_form, round(r.height, 3), -r.y0)).text


@dataclass
class PrintedTotals:
    ht: Decimal | None = None
    tva: Decimal | None = None
    ttc: Decimal | None = None
    vat_lines: list[tuple[Decimal | None, Decimal]] | None = None  # (rate, amount) per printed VAT line
    ht_from_vat_bases: bool = False  # HT is the sum of the bases printed on every VAT line, each base × rate = amount


# "Base HT" is the taxable total when it is printed once, without a rate ("Base HT 10 %" is one rate's).
_HT = re.compile(r"^(total|montant|sous[- ]total)?\s*(total\s+)?(h\.?t\.?|hors\s+taxes?)\b|^total\s+(general\s+|net\s+)?h\.?t|"
                 r"^montant\s+(total\s+)?h\.?t|^total\s+hors|^bases?\s+(h\.?t|hors\s+tax)(?!.*\d\s*%)", re.IGNORECASE)
_TTC = re.compile(r"^(total|montant)?\s*(general\s+|général\s+)?(total\s+)?(t\.?t\.?c\.?|toutes\s+taxes)|^net\s+[aà]\s+payer|"
                  r"^(total|montant|net)\s+[aà]\s+(payer|r[eé]gler)", re.IGNORECASE)
# OCR glues the "à" of "TVA à 10 %" to the label ("TVAà", folded "tvaa").
_TVA = re.compile(r"^(total\s+|montant\s+)?(t\.?v\.?a\.?)(?=\W|a\b|$)", re.IGNORECASE)


_KEYWORD = re.compile(r"(?i)\b(total|montant|net\s+[aà]\s+payer|t\.?v\.?a\.?(?=\W|à|$)|h\.t\.|ttc|bases?\s+(h\.?t|hors))")
_TRAILING_AMOUNT = re.compile(r"(" + AMOUNT_RE.pattern + r")\s*$", re.IGNORECASE)


def _labelled_amounts(line: TextLine) -> list[tuple[str, Decimal]]:
    """(label, amount) pairs of a totals line. Phrases are cut at wide gaps first, so a column gap is
    never read as a thousands separator ("T.V.A. code 2" ... "657,22")."""
    pairs = []
    label = ""
    for phrase in split_phrases(line, gap_factor=1.2):
        text = phrase.text.strip()
        whole = parse_number(re.sub(r"(?i)(€|\beur\b)", "", text))
        if whole is not None:
            pairs.append((label, whole))
            label = ""
            continue
        trailing = _TRAILING_AMOUNT.search(text)
        amount = parse_number(re.sub(r"(?i)(€|\beur\b)", "", trailing.group(1))) if trailing else None
        before = f"{label} {text[: trailing.start()]}" if trailing else ""
        if amount is not None and _KEYWORD.search(before) and not re.search(r"(?i)code\s*$", before):
            pairs.append((before, amount))
            label = ""
        else:
            label += " " + text
    labelled = []
    for text, amount in pairs:
        starts = [m.start() for m in _KEYWORD.finditer(text)]
        if not starts:
            continue
        # The label is the last run of keywords ("... Codes TVA : 1 = 20 % Total hors taxes" → "Total hors taxes";
        # "TVA total", "Total TTC" are one run).
        cut = starts[-1]
        for earlier in reversed(starts[:-1]):
            # A figure between two keywords ends a run: "Codes TVA 1:3535% Montant HT" is "Montant HT".
            # "Base HT" starts its own label: "Code TVA | Base HT" is a legend's heading beside the HT.
            if cut - earlier > 12 or re.search(r"\d", text[earlier:cut]) or re.match(r"(?i)bases?\b", text[cut:]):
                break
            cut = earlier
        label = text[cut:].strip()
        # "Remise 5 % sur total HT" is a discount line, not the total.
        if re.search(r"(?i)(remise|rabais|acompte|escompte)[^€]{0,25}$", text[:cut]):
            continue
        # "Code TVA 1 : 20" is the codes' legend with its "%" lost, not a VAT amount.
        if re.search(r"(?i)\bcodes?\s*(t\.?v\.?a\.?\s*)?:?\s*\w\s*[:=]\s*$", text):
            continue
        if "=" not in label and not re.search(r"(?i)iban", label):
            labelled.append((label, amount))
    return labelled


def find_totals(lines: list[TextLine]) -> PrintedTotals:
    """Read the totals block: the last "Total HT", "TVA" and "Total TTC" figures of the document."""
    totals = PrintedTotals(vat_lines=[])
    bases: list[Decimal | None] = []
    for line in lines:
        for label, amount in _labelled_amounts(line):
            folded = fold(re.sub(r"\(base[^)]*\)?|base\s+[\d\s.,]+", "", label, flags=re.IGNORECASE)).strip()
            if _TTC.match(folded):
                totals.ttc = amount
            elif _HT.match(folded) and not re.search(r"remise|acompte", folded):
                totals.ht = amount
            elif _TVA.match(folded) and not re.search(r"intracom|n°|numero", folded):
                if re.search(r"\btota(l|le|ux)\b", folded) or folded.startswith("montant"):  # "TVA totale"
                    totals.tva = amount
                else:
                    rate_match = re.search(r"(\d{1,2}(?:[.,]\d{1,2})?)\s*%", label)
                    rate = parse_number(rate_match.group(1)) / 100 if rate_match else None
                    totals.vat_lines.append((rate, amount))
                    base_match = re.search(r"(?i)\bbase\s*:?\s*(\d[\d\s\u00a0.,]*\d)", label)
                    bases.append(parse_number(base_match.group(1)) if base_match else None)
    vat_sum = sum((amount for _, amount in totals.vat_lines), Decimal("0"))
    if totals.tva is None and totals.vat_lines:
        totals.tva = vat_sum
    # "TVA à 10 % (base 375,73) 37,57" on every VAT line, each base × rate = amount: their sum is the HT,
    # surer than a garbled "Montant HT" ("3 944,43" read "3443").
    if totals.vat_lines and totals.tva == vat_sum and all(
            base is not None and rate is not None and cents(base * rate) == amount
            for base, (rate, amount) in zip(bases, totals.vat_lines)):
        totals.ht = sum(bases, Decimal("0"))
        totals.ht_from_vat_bases = True
    return totals


# The VAT rates of building work in mainland France.
_USUAL_RATES = (Decimal("0.2"), Decimal("0.1"), Decimal("0.055"))


def resolve_totals(printed: PrintedTotals, lines_sum: Decimal, from_ocr: bool = False,
                   lines_vat: frozenset[Decimal] = frozenset()) -> tuple[Totals, list[str]]:
    """Complete the totals from what is printed; the arithmetic fills one missing figure, never two,
    and on OCR text corrects one misread figure when HT + TVA = TTC singles it out.

    ``lines_vat`` holds the VAT the lines' own rates give (rounded per rate or per line). A VAT figure
    is vouched for when it is that, or HT × the one printed rate, or, with HT equal to the sum of the
    lines, HT × a usual rate."""
    warnings: list[str] = []
    ht, tva, ttc = printed.ht, printed.tva, printed.ttc
    if from_ocr and ht is not None and ht > lines_sum > 0 and digit_edits(ht, lines_sum) == 0 \
            and (tva is None or ttc is None or ht + tva != ttc):
        # The lines' sum in the same digits: the HT lost its decimal comma ("7 020,85" read "702085").
        ht = lines_sum
        warnings.append(f"total HT lu {printed.ht}, corrigé en {ht} (virgule perdue, somme des lignes)")
    if from_ocr and tva is not None and ht is not None and ht == lines_sum and not 0 <= tva <= ht \
            and (ttc is None or not 0 <= ttc - ht <= ht):
        # The lines vouch for the HT, no VAT rate exceeds 100 %, and the TTC cannot vouch for the TVA read:
        # a misreading, as good as unread.
        warnings.append(f"total TVA lu {tva} impossible pour un HT de {ht} : non retenu")
        tva = None
    if from_ocr and ht is not None and ttc is not None and ht == lines_sum \
            and (tva is None or (tva not in lines_vat and ht + tva != ttc)):
        # The TVA is unread or fits nothing: the lines' own rates give it, and a TTC that can be a misreading
        # of HT + that TVA is that TTC.
        # Rounding per line or per rate can give two VATs a cent apart: the one nearest what was read wins.
        fits = sorted((digit_edits(ttc, ht + vat), vat) for vat in lines_vat if is_partial_reading(ttc, ht + vat))
        if fits and (len(fits) == 1 or fits[0][0] < fits[1][0]) and ttc != ht + fits[0][1]:
            tva, ttc = fits[0][1], ht + fits[0][1]
            warnings.append(f"TVA lue {printed.tva} et TTC lu {printed.ttc}, corrigés en {tva} et {ttc} "
                            "(TVA des taux des lignes, HT = somme des lignes, HT + TVA = TTC)")
    if from_ocr and None not in (ht, tva, ttc) and ht + tva != ttc:
        printed_rates = {rate for rate, _ in printed.vat_lines or [] if rate is not None}
        rates = (printed_rates if len(printed_rates) == 1 else set()) | (set(_USUAL_RATES) if ht == lines_sum else set())

        def vouched(vat: Decimal) -> bool:
            return vat in lines_vat or any(cents(ht * rate) == vat for rate in rates)

        if vouched(ttc - ht) and not vouched(tva):
            # HT and TTC, two independent figures, agree with a VAT rate: the TVA was misread.
            tva = ttc - ht
            warnings.append(f"total TVA lu {printed.tva}, corrigé en {tva} (taux × HT = TTC − HT)")
        elif (printed.ht_from_vat_bases or (vouched(tva) and ht == lines_sum)) and is_partial_reading(ttc, ht + tva):
            # HT and TVA vouched for (by the lines' sum and a rate, or by the VAT lines' bases): the TTC alone
            # was misread, however badly.
            ttc = ht + tva
            vouchers = "HT = somme des bases de TVA" if printed.ht_from_vat_bases else "HT = somme des lignes, TVA = taux × HT"
            warnings.append(f"total TTC lu {printed.ttc}, corrigé en {ttc} ({vouchers}, HT + TVA = TTC)")
        else:
            ht, tva, ttc, fixed = _repair_totals(ht, tva, ttc, lines_sum)
            warnings.extend(fixed)
    if ht is None and tva is not None and ttc is not None:
        ht = ttc - tva
        warnings.append("total HT non lu : déduit de TTC − TVA")
    if tva is None and ht is not None and ttc is not None and ttc >= ht:
        tva = ttc - ht
        warnings.append("TVA non lue : déduite de TTC − HT")
    if ttc is None and ht is not None and tva is not None:
        ttc = ht + tva
        warnings.append("total TTC non lu : déduit de HT + TVA")
    if ht is None and lines_sum:
        ht = lines_sum
        warnings.append("total HT non lu : somme des lignes")
    missing = [name for name, value in (("HT", ht), ("TVA", tva), ("TTC", ttc)) if value is None]
    if missing:
        warnings.append("totaux illisibles : " + ", ".join(missing))
    return Totals(cents(ht or 0), cents(tva or 0), cents(ttc or 0)), warnings


def _repair_totals(ht: Decimal, tva: Decimal, ttc: Decimal, lines_sum: Decimal):
    """The one total that, recomputed from the other two, is the likeliest misreading of what OCR read
    (fewest digit edits, HT last when the sum of the lines vouches for it)."""
    candidates = [
        (digit_edits(tva, ttc - ht), "TVA", ht, ttc - ht, ttc),
        (digit_edits(ttc, ht + tva), "TTC", ht, tva, ht + tva),
    ]
    if lines_sum != ht:
        candidates.append((digit_edits(ht, ttc - tva), "HT", ttc - tva, tva, ttc))
    candidates = sorted(c for c in candidates if c[0] <= 2 and min(c[2:]) >= 0)
    if not candidates or (len(candidates) > 1 and candidates[0][0] == candidates[1][0]):
        return ht, tva, ttc, []
    _, name, new_ht, new_tva, new_ttc = candidates[0]
    return new_ht, new_tva, new_ttc, [f"total {name} mal lu, corrigé par HT + TVA = TTC"]


def find_supplier(lines: list[TextLine]) -> Supplier:
    text = "\n".join(line.text for line in lines)
    siret, siren = find_supplier_ids(text)
    return Supplier(name=find_supplier_name(lines), siren=siren, siret=siret)
