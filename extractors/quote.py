"""Assemble an Extraction from the words of every page, then check its arithmetic."""
from __future__ import annotations

import itertools
import re
from decimal import Decimal


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
from pipeline.models import Extraction, LineItem, PageText, cents

_QUOTE_WORDS = re.compile(r"\b(devis|facture|proforma|estimatif|bon de commande|total\s+t\.?t\.?c|net a payer|net à payer)\b", re.IGNORECASE)
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
                item, row_warnings = row_to_item(row, vat_codes, page.number, table_x)
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


def _derived_readings(item: LineItem) -> list[tuple[str, Decimal]]:
    """Each of quantity, unit price and total recomputed from the other two, keeping the plausible
    misreadings (at most two digit edits) that need the fewest edits."""
    q, p, t = item.quantity, item.unit_price_ht, item.total_ht
    # OCR loses separators and adds stray digits far more often than it invents them, so a reading
    # that is smaller than what was read ranks first among those with as few edits.
    readings = []
    if p:
        quantity = (t / p).quantize(Decimal("0.01"))
        if quantity > 0 and cents(quantity * p) == t:
            readings.append(((digit_edits(q, quantity), quantity > q), "quantity", quantity.normalize()))
    if q:
        price = (t / q).quantize(Decimal("0.01"))
        if price > 0 and cents(q * price) == t:
            readings.append(((digit_edits(p, price), price > p), "unit_price_ht", price))
    total = cents(q * p)
    readings.append(((digit_edits(t, total), abs(total) > abs(t)), "total_ht", total))
    plausible = [r for r in readings if r[0][0] <= 2]
    best = min((r[0] for r in plausible), default=None)
    return [(name, value) for rank, name, value in plausible if rank == best]


def repair_line(item: LineItem, from_ocr: bool) -> list[str]:
    """Check quantity × unit price = total; on OCR text, take a corrected reading only when exactly one
    of the three figures, recomputed from the other two, is a plausible misreading of what was printed."""
    if from_ocr and (item.quantity is None) != (item.unit_price_ht is None) and item.total_ht > 0:
        return _fill_unreadable(item)
    if item.quantity is None or item.unit_price_ht is None:
        return []
    if cents(item.quantity * item.unit_price_ht) == item.total_ht:
        return []
    if from_ocr:
        readings = _derived_readings(item)
        if len(readings) == 1:
            name, value = readings[0]
            before = getattr(item, name)
            setattr(item, name, value)
            item.confidence = min(item.confidence, 0.8)
            return [f"« {item.description[:40]} » : {name} lu {before}, corrigé en {value} (quantité × prix = total)"]
    item.confidence = min(item.confidence, 0.5)
    return [f"« {item.description[:40]} » : {item.quantity} × {item.unit_price_ht} ≠ {item.total_ht}"]


def _fill_unreadable(item: LineItem) -> list[str]:
    """A quantity or unit price OCR could not read, when the other two figures give it exactly."""
    if item.quantity is None:
        quantity = (item.total_ht / item.unit_price_ht).quantize(Decimal("0.01")) if item.unit_price_ht else None
        if not quantity or cents(quantity * item.unit_price_ht) != item.total_ht:
            return [f"« {item.description[:40]} » : quantité illisible"]
        item.quantity, name, value = quantity.normalize(), "quantité", quantity.normalize()
    else:
        price = (item.total_ht / item.quantity).quantize(Decimal("0.01")) if item.quantity else None
        if not price or cents(item.quantity * price) != item.total_ht:
            return [f"« {item.description[:40]} » : prix unitaire illisible"]
        item.unit_price_ht, name, value = price, "prix unitaire", price
    item.confidence = min(item.confidence, 0.8)
    return [f"« {item.description[:40]} » : {name} illisible, déduit du total ({value})"]


def _fill_vat_rates(items: list[LineItem], vat_lines) -> None:
    rates = {rate for rate, _ in vat_lines or [] if rate is not None}
    if len(rates) == 1:
        rate = rates.pop().normalize()
        for item in items:
            if item.vat_rate is None and item.total_ht >= 0:
                item.vat_rate = rate


def read_quote(pages: list[PageText], doc_id: str) -> Extraction:
    """The whole reading of one document from its pages' words."""
    items, warnings, lines = read_lines(pages)
    from_ocr = any(page.source == "ocr" for page in pages)
    text = "\n".join(line.text for line in lines)
    is_quote = bool(items) and bool(_QUOTE_WORDS.search(text))
    method = "ocr" if all(p.source == "ocr" for p in pages) else ("mixed" if from_ocr else "text_layer")
    if not is_quote:
        return Extraction(doc_id=doc_id, is_quote=False, method=method, pages=len(pages),
                          warnings=["aucun tableau de prestations chiffrées : ce document n'est pas un devis"])
    for item in items:
        warnings.extend(repair_line(item, from_ocr))
    printed = find_totals(lines)
    _fill_vat_rates(items, printed.vat_lines)
    lines_sum = sum((item.total_ht for item in items), Decimal("0"))
    totals, total_warnings = resolve_totals(printed, lines_sum, from_ocr)
    warnings.extend(total_warnings)
    warnings.extend(_check_sums(items, totals, lines_sum, from_ocr))
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
        method=method,
        pages=len(pages),
    )


def _check_sums(items: list[LineItem], totals, lines_sum: Decimal, from_ocr: bool) -> list[str]:
    warnings = []
    if totals.ht and lines_sum != totals.ht:
        fixed = None
        if from_ocr:
            fixed = _repair_lost_separators(items, totals.ht - lines_sum) or _repair_one_total(items, totals.ht - lines_sum)
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
