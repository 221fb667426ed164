"""The one table reader: rows and columns rebuilt from word coordinates.

Text-layer PDFs and OCR pages both arrive as words with boxes, so one reader
serves both. It finds the header row by its wording (any order, any of the
usual French labels), places column boundaries in the whitespace between the
header labels where no body word crosses, then reads each line into cells and
assembles items, joining wrapped designations and skipping sub-totals,
carried-forward lines and down-payment mentions.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from rapidfuzz import fuzz

from core.models import LineItem, RuleLine, Word, cents
from extractors.layout import TextLine, split_phrases
from extractors.numbers import (
    metre_units_in_doubt,
    normalise_unit,
    parse_number,
    parse_vat_rate,
    read_unit,
    split_quantity_unit,
)


def fold(text: str) -> str:
    """Lowercase without accents, for matching labels."""
    text = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


# Header words that start a column label, by column kind.
_HEADS = {
    "description": {"designation", "designations", "libelle", "libelles", "description", "descriptions", "prestation",
                    "prestations", "detail", "intitule", "intitules", "ouvrage", "ouvrages", "travaux", "nature",
                    "article", "descriptif", "produit", "produits"},
    "quantity": {"qte", "qte.", "quantite", "quantites", "qty", "nb", "nbre", "nbr", "nombre", "quant.", "quant", "q.",
                 "q", "qt", "qte:", "qtes"},
    "unit": {"u", "u.", "unite", "unit", "un.", "un", "unites", "u.m.", "um"},
    "unit_price": {"p.u.", "pu", "p.u", "p.u.ht", "puht", "p.u.h.t.", "pu.", "tarif"},
    # "Mt HT", "Mnt", "Mont." are the short forms of "Montant"; "P.T." of "prix total".
    "total": {"montant", "montants", "total", "totaux", "mt", "mt.", "mnt", "mont.", "p.t.", "pt"},
    "vat": {"tva", "t.v.a.", "t.v.a", "taux", "tva%", "%tva"},
    "reference": {"ref", "ref.", "reference", "code", "n°", "art.", "no", "poste"},
}
# Words that qualify the label before them rather than start a new one.
_QUALIFIERS = {"ht", "h.t.", "h.t", "ttc", "t.t.c.", "€", "(€)", "eur", "(eur)", "des", "de", "la", "du", "en",
               "unitaire", "unit.", "unitaires", "travaux", "prestations", "(ht)", "(€ht)", "€ht", "%", "(%)",
               "euros", "/", "fournitures", "et", "u"}
_COMPACT_HEADS = {kind: {re.sub(r"[^a-z%°]", "", w) for w in words} for kind, words in _HEADS.items()}
_FUZZY_HEADS = {word: kind for kind, words in _HEADS.items() for word in words if len(word) >= 5}


def _head_kind(word: str) -> str | None:
    key = fold(word).strip(":|[]")
    compact = re.sub(r"[^a-z%°]", "", key)  # "PU:HT", "P.U.H.T" → "puht"
    for kind, words in _HEADS.items():
        if key in words or (len(compact) >= 2 and compact in _COMPACT_HEADS[kind]):
            return kind
    # OCR glues the qualifier to the label: "MtHT", "MontantHT", "TotalTTC".
    stem = re.sub(r"(ht|ttc)$", "", compact)
    if len(stem) >= 2 and stem != compact:
        for kind, words in _COMPACT_HEADS.items():
            if stem in words:
                return kind
    if key in {"prix", "px", "px."}:
        return "price"  # resolved by the next word: "prix unitaire" or "prix total"
    if key.startswith("prix") and len(key) > 4:
        # OCR glued the label's words together: "PrixU.", "PrixtotalHT".
        kind = _resolve_price(["prix", key[4:]])
        return "price" if kind == "price_ambiguous" else kind
    if len(key) >= 5:
        best = max(_FUZZY_HEADS, key=lambda w: fuzz.ratio(key, w))
        if fuzz.ratio(key, best) >= 80:
            return _FUZZY_HEADS[best]
    return None


@dataclass
class Column:
    kind: str
    x0: float
    x1: float
    label: str
    left: float = 0.0  # boundaries used to assign body words
    right: float = 1.0


@dataclass
class Header:
    columns: list[Column]
    y0: float
    y1: float

    def kinds(self) -> set[str]:
        return {c.kind for c in self.columns}


def _resolve_price(label_words: list[str]) -> str:
    rest = [fold(w) for w in label_words[1:]]
    if any(w.startswith("unit") or w in {"u", "u.", "unit."} for w in rest):
        return "unit_price"
    if any(w.startswith("total") or w == "ttc" for w in rest):
        return "total"
    return "price_ambiguous"


def parse_header(line: TextLine) -> Header | None:
    """Columns of a header line, or None when the line is not a table header.

    Words close together form one label; a word that names a column kind starts
    a new label unless it qualifies the previous one ("Prix" + "unitaire").
    Unreadable labels (OCR) become "unknown" columns so their cells stay apart.
    """
    labels: list[tuple[str, list]] = []
    gap_limit = line.gap_limit(0.9)
    # OCR boxes hug the ink, so a space between two words of one label can exceed the tight limit;
    # words that only ever qualify a label ("HT", "unitaire", "des") may join from a little further.
    qualifier_gap_limit = max(line.height * 2.2, gap_limit)
    for word in line.words:
        key = fold(word.text).strip(":|[]")
        if not re.search(r"\w", key):
            continue  # a table border read as "|"
        kind = _head_kind(word.text)
        current = labels[-1] if labels else None
        gap = word.x0 - current[1][-1].x1 if current is not None else None
        near = current is not None and gap <= gap_limit
        loose = current is not None and gap <= qualifier_gap_limit
        if near and current[0] == "price" and kind in {None, "total", "unit", "vat"}:
            current[1].append(word)
        elif loose and current[0] == "price" and (key.startswith("unit") or key.startswith("total")):
            current[1].append(word)
        elif loose and key in _QUALIFIERS and not (key in {"u", "u."} and current[0] != "unit_price"):
            current[1].append(word)
        elif loose and kind == "description" and current[0] == "description":
            current[1].append(word)  # "Désignation des ouvrages"
        elif near and current[0] == "reference" and key in {"article", "articles", "art.", "produit"}:
            current[1].append(word)  # "Réf. article", "Code produit": what the reference refers to
        elif near and kind == "vat" and current[0] in {"vat", "reference"}:
            current[1].append(word)  # "Taux TVA", "Code TVA": one VAT column
            labels[-1] = ("vat", current[1])
        elif near and kind is None:
            current[1].append(word)
        else:
            labels.append((kind or "unknown", [word]))
    columns = []
    for kind, words in labels:
        if kind == "price":
            kind = _resolve_price([w.text for w in words])
        columns.append(Column(kind, words[0].x0, words[-1].x1, " ".join(w.text for w in words)))
    return _finish(columns, line)


def _merge_repeated(columns: list[Column]) -> list[Column]:
    """One column for labels of the same kind that overlap (an OCR line read twice: "Montant Montant HT")."""
    merged: list[Column] = []
    for column in columns:
        previous = merged[-1] if merged else None
        if previous is not None and previous.kind == column.kind and column.x0 <= previous.x1:
            previous.x1 = max(previous.x1, column.x1)
            continue
        merged.append(column)
    return merged


# What OCR makes of a bare "Q" quantity label.
_MISREAD_Q = re.compile(r"[Qq02O9@]")


def _finish(columns: list[Column], line: TextLine) -> Header | None:
    if not any(c.kind == "quantity" for c in columns):
        for column in columns:
            if column.kind == "unknown" and _MISREAD_Q.fullmatch(column.label):
                column.kind = "quantity"
                break
    # OCR debris between labels ("dE)", "|") is not a column: it would steal its neighbours' cells.
    columns = [c for c in columns if c.kind != "unknown" or re.fullmatch(r"[A-Za-zÀ-ÿ][\w.%€' ]*", c.label)]
    columns = _merge_repeated(columns)
    unknown = [c for c in columns if c.kind == "unknown"]
    if len(unknown) > 2 or any(re.search(r"\d{2}", c.label) for c in columns):
        return None
    kinds = [c.kind for c in columns]
    if "unit_price" not in kinds and "total" in kinds:
        # An unreadable label just left of the total is the unit price ("P.U. HT" read "PBIUHT").
        first_total = kinds.index("total")
        if first_total > 0 and columns[first_total - 1].kind == "unknown":
            columns[first_total - 1].kind = "unit_price"
    kinds = [c.kind for c in columns]
    if "total" not in kinds and "unit_price" not in kinds and "price_ambiguous" in kinds:
        # A bare "Prix HT" followed by an unreadable label ("Mt HT" read "Mit H1") is the unit price.
        after_price = kinds.index("price_ambiguous") + 1
        if after_price < len(columns) and columns[after_price].kind == "unknown":
            columns[after_price - 1].kind = "unit_price"
    kinds = [c.kind for c in columns]
    if "total" not in kinds and "unit_price" in kinds:
        # ...and one just right of the unit price, the total ("Total HT" read "Tour").
        after_price = kinds.index("unit_price") + 1
        if after_price < len(columns) and columns[after_price].kind == "unknown":
            columns[after_price].kind = "total"
    kinds = [c.kind for c in columns]
    # Two totals and no unit price: the first is the unit price ("Prix HT | Montant HT").
    if "unit_price" not in kinds and kinds.count("total") + kinds.count("price_ambiguous") >= 2:
        for column in columns:
            if column.kind in {"total", "price_ambiguous"}:
                column.kind = "unit_price"
                break
    for column in columns:
        if column.kind == "price_ambiguous":
            column.kind = "total"
    kinds = [c.kind for c in columns]
    figures = {"quantity", "unit", "unit_price"} & set(kinds)
    if "description" not in kinds and "total" in kinds and len(figures) >= 2 and len(unknown) == 1:
        # The designation label alone was unreadable (OCR), the figure labels around it say this is the table.
        unknown[0].kind = "description"
        unknown = []
        kinds = [c.kind for c in columns]
    if "description" not in kinds or "total" not in kinds or len(columns) - len(unknown) < 3:
        return None
    return Header(columns, line.y0, line.y1)


def merge_stacked_header(header: Header, below: TextLine | None) -> None:
    """Widen labels whose second half sits on the next line ("Prix" / "unitaire HT")."""
    if below is None or below.y0 - header.y1 > (header.y1 - header.y0) * 1.2:
        return
    words = below.words
    if not words or not all(fold(w.text).strip(":") in _QUALIFIERS or _head_kind(w.text) for w in words):
        return
    for word in words:
        for column in header.columns:
            if column.x0 - 0.01 <= word.xc <= column.x1 + 0.01:
                column.x0, column.x1 = min(column.x0, word.x0), max(column.x1, word.x1)
                if fold(word.text).startswith("unit") and column.kind == "total":
                    column.kind = "unit_price"
                if _head_kind(word.text) == "vat" and column.kind == "reference":
                    column.kind = "vat"  # "Code" / "TVA"
    header.y1 = below.y1


def place_boundaries(header: Header, body: list[TextLine], rules: list[RuleLine]) -> None:
    """Put each boundary in the gap between two labels where the fewest body words cross."""
    columns = sorted(header.columns, key=lambda c: c.x0)
    header.columns = columns
    words = [w for line in body for w in line.words]
    verticals = [r.x0 for r in rules if r.x0 == r.x1 and r.y0 <= header.y1 + 0.01 and r.y1 >= header.y0 - 0.01]
    columns[0].left = 0.0
    columns[-1].right = 1.0
    for left, right in zip(columns, columns[1:]):
        lo, hi = left.x1, right.x0
        ruled = [x for x in verticals if lo - 0.005 <= x <= hi + 0.005]
        if ruled:
            boundary = ruled[0]
        elif hi <= lo:
            boundary = (lo + hi) / 2
        else:
            boundary = _quietest(lo, hi, words)
        left.right = right.left = boundary


def resolve_unknown_columns(header: Header, body: list[TextLine]) -> None:
    """Name the columns whose label OCR could not read from what their cells hold."""
    for column in header.columns:
        if column.kind != "unknown":
            continue
        cells = [line.text_between(column.left, column.right).strip() for line in body]
        cells = [c for c in cells if c]
        if not cells:
            continue
        kinds = header.kinds()
        units = sum(1 for c in cells if normalise_unit(c) is not None and parse_number(c) is None)
        numbers = sum(1 for c in cells if _amount(c) is not None)
        quantities_with_unit = sum(1 for c in cells if (glued := split_quantity_unit(c)) and read_unit(glued[1]))
        if quantities_with_unit * 2 >= len(cells) and "quantity" not in kinds:
            column.kind = "quantity"  # "0,86 ml": the unit printed in the quantity cell
        elif units * 2 >= len(cells) and "unit" not in kinds:
            column.kind = "unit"
        elif numbers * 2 >= len(cells):
            for kind in ("quantity", "unit_price"):
                if kind not in kinds:
                    column.kind = kind
                    break


def _quietest(lo: float, hi: float, words) -> float:
    steps = 40
    positions = [lo + (hi - lo) * i / steps for i in range(steps + 1)]
    crossings = [sum(1 for w in words if w.x0 < x < w.x1) for x in positions]
    best = min(crossings)
    # The middle of the longest run of least-crossed positions.
    runs, start = [], None
    for i, count in enumerate(crossings + [best + 1]):
        if count == best and start is None:
            start = i
        elif count != best and start is not None:
            runs.append((i - start, start, i - 1))
            start = None
    _, first, last = max(runs)
    return (positions[first] + positions[last]) / 2


_NOT_ITEM = re.compile(
    r"^\s*(sous[- ]?total|s/total|total|report\b|reporte|a reporter|à reporter|acompte|reste a payer|montant total|"
    r"net a payer|net à payer|deja regle|déjà réglé|cumul\b|"
    # "Reprise" alone heads the carried-forward row; "Reprise des enduits" is work.
    r"reprise(?=\s*(page\b|:|$|[-\d\s.,€]+$)))", re.IGNORECASE)
_SECTION = re.compile(r"^\s*(lot|chapitre|poste|partie|section|zone|piece|pièce)\b.{0,60}$|^\s*\d{1,2}(\.\d{1,2})*\s*[-–.)]\s*\D.{0,50}$|^[^\d]{2,50}:\s*$", re.IGNORECASE)
_DISCOUNT = re.compile(r"^\s*(remise|rabais|ristourne|escompte|geste commercial|réduction|reduction)\b", re.IGNORECASE)
_LUMP = re.compile(r"^(forfait|fft|ft|ff|ens\.?|ensemble|forf\.?)$", re.IGNORECASE)
TABLE_END = re.compile(
    r"^\s*(total|montant\s+(total|t\.?t\.?c|h\.?t|hors|net|t\.?v\.?a|[aà]\s+(payer|r[eé]gler))|"
    r"(net|reste|solde|somme)\s+[aà]\s+(payer|r[eé]gler)|bases?\s+(h\.?t|hors|t\.?v\.?a)|"
    r"t\.?v\.?a\.?\s+(\d|code|total|à|a\s|au\s)|sous[- ]total\s+h\.?t\.?\s*$)", re.IGNORECASE)
# A sub-total closes a section, not the table: "Total lot 2", "Total chapitre 1", "Total Plomberie".
_SECTION_TOTAL = re.compile(
    r"^\s*total\s+(du\s+|de\s+la\s+)?(lot|chapitre|poste|partie|section|zone|pi[eè]ce|tranche|titre|rubrique|niveau)\b",
    re.IGNORECASE)
# What only the quote's own totals (or a page's carried-forward total) say after "Total".
_QUOTE_TOTAL = re.compile(
    r"^\s*total\W*$|\b(h\.?\s?t|hors\s+tax\w*|t\.?t\.?c|toutes\s+taxes|t\.?v\.?a|g[ée]n[ée]ral|net|"
    r"[aà]\s+(payer|r[ée]gler|reporter)|page|devis|facture)\b", re.IGNORECASE)
# Lines below a table that are never items: legal footer, payment terms, signature block.
_AFTER_TABLE = re.compile(
    r"^\s*(a reporter|à reporter|codes?\s+tva|devis valable|conditions de (paiement|règlement|reglement)|"
    r"iban\b|bon pour accord|mode de (paiement|règlement)|page \d+\s*/\s*\d+)|\bcapital( social)? (de )?\d|"
    r"\b(rcs|ape|naf)\b.*\d|tva intra", re.IGNORECASE)


def is_table_end(line: TextLine) -> bool:
    phrases = split_phrases(line)
    for index, phrase in enumerate(phrases):
        if not TABLE_END.match(phrase.text):
            continue
        # The label runs on over the next cells up to the first figure: "Total" in the Réf. column
        # and "Plomberie" in the designation column are one label.
        label = [phrase.text]
        for following in phrases[index + 1:]:
            if _amount(following.text) is not None:
                break
            label.append(following.text)
        if _ends_table(" ".join(label)):
            return True
    return bool(_AFTER_TABLE.search(line.text))


def _ends_table(label: str) -> bool:
    if not re.match(r"^\s*total\b", label, re.IGNORECASE):
        return True
    return not _SECTION_TOTAL.match(label) and bool(_QUOTE_TOTAL.search(label))


@dataclass
class TextOnly:
    """A body line without an amount: a wrapped designation, or a note."""

    line: TextLine
    text: str

    @property
    def y0(self) -> float:
        return self.line.y0

    @property
    def y1(self) -> float:
        return self.line.y1


@dataclass
class Row:
    cells: dict[str, str]
    lines: list[TextLine]
    total: Decimal | None
    unit_confidence: float = 1.0  # OCR's least confidence among the unit cell's words
    extra_description: list[str] = field(default_factory=list)
    prefix_description: list[str] = field(default_factory=list)


def _cell_words(line: TextLine, header: Header) -> dict[str, list[Word]]:
    cells: dict[str, list[Word]] = {}
    for word in line.words:
        for column in header.columns:
            if column.left <= word.xc < column.right:
                cells.setdefault(column.kind, []).append(word)
                break
    return cells


def _amount(text: str | None) -> Decimal | None:
    """A cell's figure; symbols printed around it (€, EUR, HT, *) are allowed, other words are not."""
    if not text:
        return None
    text = re.sub(r"(?i)(€|\beur\b|\bh\.?t\.?\b|\*|\|)", " ", text).strip()
    # OCR reads a decimal comma as a colon ("1:93") and leaves a stray one after a figure ("6:").
    text = re.sub(r"(?<=\d)[:;](?=\d)", ",", text).rstrip(":;").strip()
    # ... or as a space ("91,44" read "91 44"): two digits after a space are no group of thousands.
    text = re.sub(r"^(\d{1,3}(?: \d{3})*) (\d{2})$", r"\1,\2", text)
    return parse_number(text)


def read_rows(body: list[TextLine], header: Header, rules: list[RuleLine]) -> list[Row | str]:
    """Body lines to rows; non-item text is returned as a marker string ("section", "skip")."""
    entries: list[Row | str | TextLine] = []
    for line in body:
        words = _cell_words(line, header)
        cells = {kind: " ".join(w.text for w in cell) for kind, cell in words.items()}
        total = _amount(cells.get("total"))
        description = cells.get("description", "")
        # "Total" may sit in the Réf. column, left of the section's name: the whole line tells too.
        if total is not None and (_NOT_ITEM.match(description) or _NOT_ITEM.match(line.text)):
            entries.append("separator")
        elif total is not None:
            entries.append(Row(cells, [line], total, min((w.confidence for w in words.get("unit", [])), default=1.0)))
        elif _NOT_ITEM.match(line.text):
            entries.append("separator")
        elif _SECTION.match(line.text) and not line.text[:1].islower():
            entries.append("separator")
        elif words.get("reference", [None])[0] is line.words[0] and not re.search(r"\d", line.text):
            # Wrapped designations stay in their column; a title set from the Réf. column heads a section.
            entries.append("separator")
        else:
            entries.append(TextOnly(line, description or line.text))
    return _attach_wrapped_lines(entries, rules)


def _rule_between(rules: list[RuleLine], y_top: float, y_bottom: float) -> bool:
    return any(r.y0 == r.y1 and y_top < r.y0 < y_bottom for r in rules)


def _attach_wrapped_lines(entries: list, rules: list[RuleLine]) -> list:
    result: list = []
    pending: list[TextOnly] = []
    for index, entry in enumerate(entries):
        if isinstance(entry, Row):
            prefix = _prefix_lines(pending, entry, rules)
            entry.prefix_description = [text.text for text in prefix]
            entry.lines = [text.line for text in prefix] + entry.lines
            pending = []
            result.append(entry)
        elif isinstance(entry, TextOnly):
            previous = result[-1] if result and isinstance(result[-1], Row) else None
            if previous is not None and not pending and _continues(previous, entry.line, entries[index + 1:], rules):
                previous.extra_description.append(entry.text)
                previous.lines.append(entry.line)
            else:
                pending.append(entry)
        else:
            pending = []
            result.append(entry)
    return result


# A note under a line, not its designation: a bullet, or a "Label: value" (order number, reference,
# delivery) whose label is one capitalised word and maybe an abbreviation ("Bestell-Nr.:", "Lieferschein Nr.:").
# A dash alone starts a designation's wrapped part ("- compris petites fournitures"); capitals and a colon
# are a designation's own wording ("MEUBLE BAS 60 CM GONFLÉ : REMPLACEMENT").
NOTE = re.compile(r"^\s*([•·*▪◦]\s|([-–]\s)?[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ][\w.'-]{0,20}(\s[\w.'-]{1,5})?\s?:(\s|$|\d))")


def _continues(previous: Row, line: TextLine, following: list, rules: list[RuleLine]) -> bool:
    if NOTE.match(line.text):
        return False
    last = previous.lines[-1]
    gap_above = line.y0 - last.y1
    height = line.height
    if gap_above > height * 1.2 or _rule_between(rules, last.yc, line.yc):
        return False
    next_row = next((e for e in following if not isinstance(e, TextOnly)), None)
    if isinstance(next_row, Row):
        gap_below = next_row.lines[0].y0 - line.y1
        starts_lower = line.text[:1].islower() or not line.text[:1].isalpha()
        if not starts_lower and gap_below < gap_above * 0.8 and not _rule_between(rules, line.yc, next_row.lines[0].yc):
            return False
    return True


def _prefix_lines(pending: list[TextOnly], row: Row, rules: list[RuleLine]) -> list[TextOnly]:
    """The pending lines stacked right above a row (designations whose figures sit on their last line)."""
    prefix: list[TextOnly] = []
    below = row.lines[0]
    for text in reversed(pending):
        if below.y0 - text.line.y1 > text.line.height * 1.2 or _rule_between(rules, text.line.yc, below.yc) \
                or NOTE.match(text.line.text):
            break
        prefix.insert(0, text)
        below = text.line
    return prefix


# What a designation measures, by the thing it names: a surface, a length, a volume.
_MEASURED = {
    "m2": re.compile(r"\b(murs?|mura(les?|l|ux)|plafonds?|sols?|cloisons?|faiences?|carrelages?|parquets?|moquettes?|"
                     r"revetements?|papiers? peints?|toiles?|lambris|doublages?|placo\w*|plaques? de platre|facades?|"
                     r"toitures?|couvertures?|tuiles?|ardoises?|vitrages?|vitres?|verres?|agglos?|parpaings?|briques?|"
                     r"dalles?|chapes?|nattes?|isolants?|surfaces?|baches?)\b"),
    "ml": re.compile(r"\b(plinthes?|corniches?|moulures?|gouttieres?|cheneaux?|descentes?|tuyau\w*|tubes?|"
                     r"canalisations?|conduits?|gaines?|cables?|goulottes?|baguettes?|joints?|frises?|profiles?|rails?|"
                     r"rampes?|garde-corps|mains? courantes?|faitages?|faitieres?|rives?|solins?|bordures?|lineaires?|"
                     r"plans? de travail|mastic|silicone|cordons?)\b"),
    "m3": re.compile(r"\b(gravats?|deblais?|remblais?|dechets?|terres?|encombrants?|beton|fouilles?|volumes?)\b"),
}
# Work done on a surface, when the designation names no thing ("Ratissage enduit garnissant").
_SURFACE_WORK = re.compile(r"\b(peinture|enduits?|ratissage|lessivage|ragreage|poncage|vitrification|demoussage|"
                           r"isolation|crepi)\b")
# Demolition is priced by the m² or the m³ alike: the words cannot tell.
_EITHER_MEASURE = re.compile(r"\bdemoli")
# Where the designation's head ends and its qualifications begin: "…, compris évacuation des gravats";
# "mastic silicone sur vitrage" measures the mastic, not the glass it is laid on.
_HEAD_END = re.compile(r",|\s[-–]\s|\(|\b(y compris|compris|suivant|selon|toutes sujetions|sur|sous)\b")


def unit_by_designation(description: str, candidates: tuple[str, ...]) -> str | None:
    """Which of ``candidates`` (metre units) the head of the designation measures: the one unit its
    named things point to, else m² for surface work; None when the words do not settle it."""
    if not candidates:
        return None
    head = _HEAD_END.split(fold(description), maxsplit=1)[0]
    if _EITHER_MEASURE.search(head):
        return None
    named = {unit for unit, pattern in _MEASURED.items() if pattern.search(head)}
    if len(named) == 1:
        unit = named.pop()
        return unit if unit in candidates else None
    if not named and "m2" in candidates and _SURFACE_WORK.search(head):
        return "m2"
    return None


def row_to_item(row: Row, vat_codes: dict[str, Decimal], page: int, table_x: tuple[float, float],
                from_ocr: bool = False) -> tuple[LineItem, list[str]]:
    """Turn a row's cells into a LineItem; returns it with warnings about what could not be read."""
    warnings: list[str] = []
    parts = row.prefix_description + [row.cells.get("description", "")] + row.extra_description
    description = re.sub(r"\s+", " ", " ".join(p for p in parts if p)).strip()
    quantity_text = row.cells.get("quantity", "")
    unit_text = row.cells.get("unit", "")
    quantity = _amount(quantity_text)
    if quantity is None and quantity_text and not unit_text:
        # Quantity and unit printed together in one cell: "15,91 m2".
        glued = split_quantity_unit(quantity_text)
        if glued:
            quantity, unit_text = glued
    if unit_text == "" and quantity_text and _LUMP.match(quantity_text.strip()):
        unit_text = quantity_text
    match = re.match(r"^\s*(\d[\d.,]*)\s+(\S+)\s*$", unit_text)
    if match and read_unit(match.group(2)) is not None:
        if quantity is None and not quantity_text:
            # The quantity printed close to its unit fell into the unit column: "6 pc", "1 Fft".
            quantity = parse_number(match.group(1))
        # Otherwise the figure is a stray piece of the quantity ("5.75" read "575" + "7"): the
        # arithmetic repairs the quantity, the unit still holds.
        unit_text = match.group(2)
    unit = read_unit(unit_text)
    if from_ocr:
        # OCR drops or garbles the small exponent of m² / m³: the designation tells what is measured.
        candidates = metre_units_in_doubt(unit_text, unit, row.unit_confidence)
        unit = unit_by_designation(description, candidates) or unit
    if from_ocr and unit_text and unit is None:
        # A unit cell OCR turned into no unit at all ("Cd", "ny", "a!" on blurred photos): the designation
        # still tells a measured unit, or a lump sum when it starts "Forfait".
        unit = unit_by_designation(description, ("m2", "ml", "m3")) or (
            "forfait" if _LUMP.match(description.split()[0]) else None)
        if unit is not None:
            warnings.append(f"unité « {unit_text} » illisible, déduite de la désignation ({unit}) pour « {description[:40]} »")
    if unit_text and unit is None:
        warnings.append(f"unité « {unit_text} » non reconnue pour « {description[:40]} »")
    unit_price = _amount(row.cells.get("unit_price"))
    total = cents(row.total)
    vat_rate = parse_vat_rate(row.cells.get("vat", ""), vat_codes)
    if _DISCOUNT.match(description):
        if total > 0:
            total = -total
        quantity = unit = unit_price = None
    elif quantity is None and unit_price is None and unit is None and _LUMP.search(description.split()[-1] if description else ""):
        unit = "forfait"
    confidence = min(line.confidence() for line in row.lines)
    bbox = (table_x[0], min(l.y0 for l in row.lines), table_x[1], max(l.y1 for l in row.lines))
    item = LineItem(
        description=description,
        total_ht=total,
        quantity=quantity,
        unit=unit,
        unit_price_ht=cents(unit_price) if unit_price is not None else None,
        vat_rate=vat_rate,
        page=page,
        bbox=bbox,
        confidence=confidence,
    )
    return item, warnings
