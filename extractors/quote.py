"""Assemble an Extraction from the words of every page, then check its arithmetic."""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from core.enums import ExtractionMethod, PageSource
from core.models import Extraction, LineItem, PageText, Totals, cents
from extractors.figures import printed_amounts, read_items_by_figures, totals_by_arithmetic
from extractors.fields import find_quote_date, find_quote_number, find_site_postcode, find_supplier, find_totals, resolve_totals
from extractors.layout import TextLine, group_lines
from extractors.numbers import digit_edits, parse_vat_legend
from extractors.table import (
    Header,
    Row,
    is_table_end,
    merge_stacked_header,
    parse_header,
    place_boundaries,
    read_rows,
    resolve_unknown_columns,
    row_to_item,
)

# Digits OCR confuses with one another, for the arithmetic repair.
_CONFUSABLE = {"0": "86", "1": "7", "2": "7", "3": "8", "4": "1", "5": "6", "6": "58", "7": "12", "8": "3609", "9": "8"}
LOW_CONFIDENCE = 0.6


def _find_header(lines: list[TextLine]) -> tuple[int, Header] | None:
    for index, line in enumerate(lines):
        header = parse_header(line)
        if header is None and index + 1 < len(lines):
            # Labels set on two baselines ("Qté  Unité  Prix" a little above "N°  Désignation"): read as one line.
            below = lines[index + 1]
            if below.y0 - line.y0 < line.height * 1.2:
                header = parse_header(TextLine(sorted(line.words + below.words, key=lambda w: w.x0), line.page))
                index += 1 if header is not None else 0
        if header is not None:
            return index, header
    return None


def read_lines(pages: list[PageText]) -> tuple[list[LineItem], list[str], list[TextLine]]:
    """Every item of every page, the warnings, and all text lines (for the header fields)."""
    items: list[LineItem] = []
    warnings: list[str] = []
    all_lines: list[TextLine] = []
    header: Header | None = None
    page_lines = [group_lines(page) for page in pages]
    vat_codes = parse_vat_legend("\n".join(line.text for lines in page_lines for line in lines))
    for page, lines in zip(pages, page_lines):
        all_lines.extend(lines)
        found = _find_header(lines)
        if found is not None:
            index, header = found
            merge_stacked_header(header, lines[index + 1] if index + 1 < len(lines) else None)
            body = [line for line in lines[index + 1:] if line.y0 > header.y1]
        elif header is not None:
            # A continuation page without its own header reuses the previous page's columns.
            body = _after_carried_forward(lines)
        else:
            continue
        end = next((i for i, line in enumerate(body) if is_table_end(line)), len(body))
        body = body[:end]
        place_boundaries(header, body, page.rules)
        resolve_unknown_columns(header, body)
        table_x = (header.columns[0].x0, header.columns[-1].x1)
        for row in read_rows(body, header, page.rules):
            if isinstance(row, Row):
                item, row_warnings = row_to_item(row, vat_codes, page.number, table_x, page.source == PageSource.OCR)
                if item.description:
                    items.append(item)
                warnings.extend(row_warnings)
    return items, warnings, all_lines


def _after_carried_forward(lines: list[TextLine]) -> list[TextLine]:
    for index, line in enumerate(lines):
        if re.match(r"^\s*(report|reporté)\b", line.text, re.IGNORECASE):
            return lines[index + 1:]
    return lines


def _variants(value: Decimal) -> list[Decimal]:
    """Values that differ from ``value`` by one OCR-confusable digit, or by one spurious digit
    (a table border read as "1")."""
    text = f"{value:f}"
    found = []
    for i, char in enumerate(text):
        for other in _CONFUSABLE.get(char, ""):
            found.append(Decimal(text[:i] + other + text[i + 1:]))
        if char.isdigit() and len(text.replace(".", "").lstrip("-")) > 2:
            shorter = text[:i] + text[i + 1:]
            if shorter not in {"", "-", "."} and not shorter.startswith("."):
                found.append(Decimal(shorter))
    return found


_CENT = Decimal("0.01")


def exact_quotients(total: Decimal, factor: Decimal | None) -> list[Decimal]:
    """Every positive two-decimal figure that, times ``factor``, makes ``total`` to the cent: at most one
    for a factor of 1 or more, several below (0.76 × 11.85 and 0.76 × 11.86 both make 9.01)."""
    if not factor or factor < _CENT or total <= 0:
        return []
    low = ((total - _CENT / 2) / factor).quantize(_CENT, rounding=ROUND_FLOOR)
    high = ((total + _CENT / 2) / factor).quantize(_CENT, rounding=ROUND_CEILING)
    candidates = (low + _CENT * step for step in range(int((high - low) / _CENT) + 1))
    return [value for value in candidates if value > 0 and cents(value * factor) == total]


def _derived_readings(item: LineItem) -> list[dict[str, Decimal]]:
    """Each of quantity, unit price and total recomputed from the other two, keeping the plausible
    misreadings (at most two digit edits) that need the fewest edits. One reading changes two figures:
    the total and a factor that both lost their decimal comma ("6,54 × 28,02 = 183,25" read
    "654 × 28,02 = 18325", which 654 × 28,02 = 18 325,08 would otherwise "repair")."""
    q, p, t = item.quantity, item.unit_price_ht, item.total_ht
    # OCR loses separators and adds stray digits far more often than it invents them, so a reading
    # that is smaller than what was read ranks first among those with as few edits.
    readings = []
    for quantity in exact_quotients(t, p):
        readings.append(((digit_edits(q, quantity), quantity > q), {"quantity": quantity.normalize()}))
    for price in exact_quotients(t, q):
        readings.append(((digit_edits(p, price), price > p), {"unit_price_ht": price}))
    total = cents(q * p)
    readings.append(((digit_edits(t, total), abs(total) > abs(t)), {"total_ht": total}))
    if _lost_comma(t):
        for name, factor, other in (("quantity", q, p), ("unit_price_ht", p, q)):
            # "0,74" read "074" is 74: a factor needs only two digits.
            if factor >= 10 and factor == factor.to_integral_value() and cents(factor / 100 * other) == t / 100:
                readings.append(((0, False), {name: (factor / 100).normalize(), "total_ht": cents(t / 100)}))
    plausible = [r for r in readings if r[0][0] <= 2]
    best = min((r[0] for r in plausible), default=None)
    return [changes for rank, changes in plausible if rank == best]


def _lost_comma(total: Decimal) -> bool:
    """A whole number of three digits or more, as a two-decimal total read without its comma is."""
    return total >= 100 and total == total.to_integral_value()


def repair_line(item: LineItem, from_ocr: bool) -> list[str]:
    """Check quantity × unit price = total; on OCR text, take a corrected reading only when exactly one
    of the three figures (or a factor and the total that both lost their comma), recomputed from the
    rest, is a plausible misreading of what was printed."""
    if from_ocr and (item.quantity is None) != (item.unit_price_ht is None) and item.total_ht > 0:
        return _fill_unreadable(item)
    if item.quantity is None or item.unit_price_ht is None:
        return []
    if cents(item.quantity * item.unit_price_ht) == item.total_ht:
        return []
    if from_ocr:
        readings = _derived_readings(item)
        if len(readings) == 1:
            corrections = []
            for name, value in readings[0].items():
                corrections.append(f"{name} lu {getattr(item, name)}, corrigé en {value}")
                setattr(item, name, value)
            item.confidence = min(item.confidence, 0.8)
            return [f"« {item.description[:40]} » : {' ; '.join(corrections)} (quantité × prix = total)"]
    item.confidence = min(item.confidence, 0.5)
    return [f"« {item.description[:40]} » : {item.quantity} × {item.unit_price_ht} ≠ {item.total_ht}"]


def _fill_unreadable(item: LineItem) -> list[str]:
    """A quantity or unit price OCR could not read, when the other two figures give it exactly."""
    if item.quantity is None:
        quantities = exact_quotients(item.total_ht, item.unit_price_ht)
        if len(quantities) != 1:
            return [f"« {item.description[:40]} » : quantité illisible"]
        item.quantity, name, value = quantities[0].normalize(), "quantité", quantities[0].normalize()
    else:
        prices = exact_quotients(item.total_ht, item.quantity)
        if len(prices) != 1:
            return [f"« {item.description[:40]} » : prix unitaire illisible"]
        item.unit_price_ht, name, value = prices[0], "prix unitaire", prices[0]
    item.confidence = min(item.confidence, 0.8)
    return [f"« {item.description[:40]} » : {name} illisible, déduit du total ({value})"]


def _fill_vat_rates(items: list[LineItem], vat_lines) -> None:
    rates = {rate for rate, _ in vat_lines or [] if rate is not None}
    if len(rates) == 1:
        rate = rates.pop().normalize()
        for item in items:
            if item.vat_rate is None and item.total_ht >= 0:
                item.vat_rate = rate


def _vat_of_lines(items: list[LineItem]) -> frozenset[Decimal]:
    """The VAT the lines' own rates give, rounded per rate (the usual) or per line; empty when a line has
    no rate. A discount without a rate takes the quote's one rate."""
    rates = {item.vat_rate for item in items if item.vat_rate is not None}
    if not rates or any(item.vat_rate is None and (item.total_ht > 0 or len(rates) > 1) for item in items):
        return frozenset()
    only_rate = next(iter(rates))
    bases: dict[Decimal, Decimal] = {}
    per_line = Decimal("0")
    for item in items:
        rate = only_rate if item.vat_rate is None else item.vat_rate
        bases[rate] = bases.get(rate, Decimal("0")) + item.total_ht
        per_line += cents(item.total_ht * rate)
    return frozenset({sum((cents(base * rate) for rate, base in bases.items()), Decimal("0")), per_line})


TABLE_NOT_FOUND = "TABLE_NOT_FOUND"


def _has_prices(lines: list[TextLine]) -> bool:
    """Whether the pages print a total: a labelled HT or TTC, or three amounts making HT + TVA = TTC."""
    printed = find_totals(lines)
    return bool(printed.ttc or printed.ht) or totals_by_arithmetic(lines, []) is not None


def _consistent(items: list[LineItem]) -> int:
    """How many lines the arithmetic vouches for: quantity × unit price = total."""
    return sum(1 for item in items if item.quantity is not None and item.unit_price_ht is not None
               and cents(item.quantity * item.unit_price_ht) == item.total_ht)


def _better_reading(by_figures: list[LineItem], by_header: list[LineItem], lines: list[TextLine]) -> bool:
    """Whether the rows found by their arithmetic read the table better than the header's columns: more
    lines whose figures hold, and a sum of the lines that is a printed total when the header's is not."""
    if not by_figures:
        return False
    if not by_header:
        return True
    printed = printed_amounts(lines)
    figures_sum = sum((i.total_ht for i in by_figures), Decimal("0")) in printed
    header_sum = sum((i.total_ht for i in by_header), Decimal("0")) in printed
    if figures_sum != header_sum:
        return figures_sum
    # Every row the figures found holds by construction (a price per N units included); they must not
    # drop a row the header read (a line whose figures do not add up is still a line).
    return len(by_figures) >= len(by_header) and len(by_figures) > _consistent(by_header)


def read_quote(pages: list[PageText], doc_id: str) -> Extraction:
    """The whole reading of one document from its pages' words."""
    items, warnings, lines = read_lines(pages)
    from_ocr = any(page.source == PageSource.OCR for page in pages)
    # On OCR pages the figures' reading is only a fallback: the header reader repairs misread figures.
    by_figures = read_items_by_figures(lines) if not (from_ocr and items) else []
    if _better_reading(by_figures, items, lines):
        items = by_figures
    flags: list[str] = []
    if not items and _has_prices(lines):
        # Amounts and totals are printed but no table was read: an invoice or quote all the same, for a reviewer.
        flags.append(TABLE_NOT_FOUND)
        warnings.append(f"{TABLE_NOT_FOUND} : montants et totaux lus, mais aucun tableau de lignes chiffrées trouvé")
    is_quote = bool(items) or bool(flags)
    method = (ExtractionMethod.OCR if all(p.source == PageSource.OCR for p in pages)
              else ExtractionMethod.MIXED if from_ocr else ExtractionMethod.TEXT_LAYER)
    if not is_quote:
        return Extraction(doc_id=doc_id, is_quote=False, method=method, pages=len(pages),
                          warnings=["aucun tableau de prestations chiffrées : ce document n'est pas un devis"])
    # Lines whose figures, as read, break quantity × unit price = total: their repair is the least sure.
    doubtful = [
        _Reading(item, item.quantity, item.unit_price_ht) for item in items
        if item.quantity is not None and item.unit_price_ht is not None
        and cents(item.quantity * item.unit_price_ht) != item.total_ht
    ]
    for item in items:
        warnings.extend(repair_line(item, from_ocr))
    printed = find_totals(lines)
    _fill_vat_rates(items, printed.vat_lines)
    lines_sum = sum((item.total_ht for item in items), Decimal("0"))
    totals, total_warnings = resolve_totals(printed, lines_sum, from_ocr, _vat_of_lines(items))
    if totals.ht + totals.tva != totals.ttc or not totals.ttc:
        # The labels gave no consistent totals (unknown wording, a VAT number read as the VAT):
        # three amounts that add up say which are HT, TVA and TTC.
        found = totals_by_arithmetic(lines, items)
        if found is not None:
            totals = Totals(*(cents(v) for v in found))
            total_warnings = [w for w in total_warnings if "non lu" not in w and "illisible" not in w]
            total_warnings.append("totaux trouvés par leur arithmétique (HT + TVA = TTC), non par leurs libellés")
    warnings.extend(total_warnings)
    warnings.extend(_check_sums(items, doubtful, totals, lines_sum, from_ocr))
    for item in items:
        if item.confidence < LOW_CONFIDENCE:
            warnings.append(f"« {item.description[:40]} » : lecture peu sûre (confiance {item.confidence:.2f})")
    first_page = [line for line in lines if line.page == 1]
    return Extraction(
        doc_id=doc_id,
        is_quote=True,
        supplier=find_supplier(lines),
        quote_number=find_quote_number(first_page),
        date=find_quote_date(first_page),
        site_postcode=find_site_postcode(first_page),
        lines=items,
        totals=totals,
        warnings=warnings,
        flags=flags,
        method=method,
        pages=len(pages),
    )


@dataclass
class _Reading:
    """A line's quantity and unit price as OCR read them, before any repair."""

    item: LineItem
    quantity: Decimal
    unit_price: Decimal


def _check_sums(items: list[LineItem], doubtful: list[_Reading], totals, lines_sum: Decimal,
                from_ocr: bool) -> list[str]:
    warnings = []
    if totals.ht and lines_sum != totals.ht:
        fixed = None
        if from_ocr:
            gap = totals.ht - lines_sum
            fixed = (_repair_lost_separators(items, gap) or _repair_one_total(items, gap)
                     or _repair_doubtful_line(doubtful, gap))
        if fixed:
            warnings.append(fixed)
        else:
            warnings.append(f"somme des lignes {lines_sum} ≠ total HT {totals.ht}")
    if totals.ttc and totals.ht + totals.tva != totals.ttc:
        warnings.append(f"HT {totals.ht} + TVA {totals.tva} ≠ TTC {totals.ttc}")
    return warnings


def _repair_one_total(items: list[LineItem], gap: Decimal) -> str | None:
    """If exactly one line total has a confusable-digit reading that closes the gap, take it."""
    candidates = [
        (item, variant)
        for item, variant in itertools.chain.from_iterable(((i, v) for v in _variants(i.total_ht)) for i in items)
        if variant - item.total_ht == gap
        and (item.quantity is None or item.unit_price_ht is None or cents(item.quantity * item.unit_price_ht) == variant)
    ]
    if len(candidates) != 1:
        return None
    item, variant = candidates[0]
    before, item.total_ht = item.total_ht, variant
    item.confidence = min(item.confidence, 0.8)
    return f"« {item.description[:40]} » : total lu {before}, corrigé en {variant} (somme des lignes = total HT)"


def _repair_lost_separators(items: list[LineItem], gap: Decimal) -> str | None:
    """Line totals OCR read without their decimal comma ("208,01" → 20801), found as the one set of
    whole-number totals whose hundredths close the gap to the printed total HT; each such line is then
    checked again, since its quantity and unit price often lost the same comma ("1,00" → 100)."""
    candidates = [item for item in items if item.total_ht >= 100 and item.total_ht == item.total_ht.to_integral_value()]
    if not candidates or len(candidates) > 12:
        return None
    fits = [
        subset
        for size in range(1, min(4, len(candidates)) + 1)
        for subset in itertools.combinations(candidates, size)
        if sum((cents(item.total_ht / 100) - item.total_ht for item in subset), Decimal("0")) == gap
    ]
    if len(fits) != 1:
        return None
    for item in fits[0]:
        item.total_ht = cents(item.total_ht / 100)
        if item.unit_price_ht is not None and item.unit_price_ht > item.total_ht \
                and item.unit_price_ht == item.unit_price_ht.to_integral_value():
            item.unit_price_ht = cents(item.unit_price_ht / 100)
        repair_line(item, from_ocr=True)
        item.confidence = min(item.confidence, 0.8)
    names = ", ".join(f"« {item.description[:30]} »" for item in fits[0])
    return f"virgule décimale perdue à la lecture du total de {names} (somme des lignes = total HT)"


def _repair_doubtful_line(doubtful: list[_Reading], gap: Decimal) -> str | None:
    """When exactly one line whose reading broke quantity × unit price = total can take the whole gap to the
    printed total HT, with its quantity and unit price as read or one of them a plausible misreading (at
    most two digit edits), that line's total is HT − the other lines ("7,10" read "11", "1,322.02" read
    "1,32202")."""
    fits = []
    for reading in doubtful:
        total = reading.item.total_ht + gap
        figures = _figures_for_total(reading.quantity, reading.unit_price, total) if total > 0 else None
        if figures is not None:
            fits.append((reading.item, total, figures))
    if len(fits) != 1:
        return None
    item, total, (quantity, unit_price) = fits[0]
    before = (item.quantity, item.unit_price_ht, item.total_ht)
    item.quantity, item.unit_price_ht, item.total_ht = quantity, unit_price, total
    item.confidence = min(item.confidence, 0.8)
    return (f"« {item.description[:40]} » : lu {before[0]} × {before[1]} = {before[2]}, "
            f"corrigé en {quantity} × {unit_price} = {total} (somme des lignes = total HT)")


def _figures_for_total(quantity: Decimal, unit_price: Decimal, total: Decimal) -> tuple[Decimal, Decimal] | None:
    """Quantity and unit price giving ``total``: as read, else the one misreading of either that does."""
    if cents(quantity * unit_price) == total:
        return quantity, unit_price
    readings = [(digit_edits(quantity, new), new.normalize(), unit_price) for new in exact_quotients(total, unit_price)]
    readings += [(digit_edits(unit_price, new), quantity, new) for new in exact_quotients(total, quantity)]
    readings = sorted(r for r in readings if r[0] <= 2)
    if not readings or (len(readings) > 1 and readings[0][0] == readings[1][0]):
        return None
    return readings[0][1:]
