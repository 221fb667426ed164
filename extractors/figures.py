"""Line items known by what their cells hold, for tables whose header the reader cannot name.

The header reader (``table.py``) needs column labels it knows. Invoices from other software label their
columns in any wording and language, so this reader ignores the header: a row of a priced table is a line
with a designation on the left and figures on the right whose arithmetic holds, in this order of trust:

1. quantity × unit price = total, to the cent;
2. the same with the net price printed under the gross one ("20,00 €" / "- 2,00 €" / "= 18,00 €");
3. a price per N units: N printed in the row ("(3 kg)", "/ 3 PCE"), or per 10, 100 or 1 000 when the
   quantity carries its unit ("150 Stk" at 49,29 the hundred = 73,94).

Each figure is a phrase (words closer than a column gap): an amount, a rate ("19 %"), a quantity with its
unit ("300 Stk", "5 kg") or a bare number. The total is the rightmost amount that makes a fit, or the lone
amount of the next line (layouts that print the line total under the row). The designation is the
rightmost text phrase left of the figures: line numbers, article codes and references sit left of it in
their own columns. Lines set right under it, starting where it starts and holding no figure, continue it
(wrapped designations); notes under a row (bullets, "Label: value", figures) are not joined. A discount
printed under the row's total in the same column ("- 0,10") is taken off the row's total.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from extractors.layout import Phrase, TextLine, split_phrases
from extractors.table import NOTE
from extractors.numbers import parse_number, read_unit
from core.models import LineItem, cents

# Price bases tried when the quantity carries its unit and no basis is printed.
PRICE_BASES = (Decimal(10), Decimal(100), Decimal(1000))
# How far (page fraction) a continuation line may start from where the designation starts.
ALIGN_TOLERANCE = 0.004
# How many line heights may separate a row from the line that continues it.
CONTINUATION_GAP = 1.6
# How many lines under a row may hold its total, net price, allowances and charges.
ROW_DEPTH = 8
# A unit word printed beside its quantity is short.
MAX_UNIT_LETTERS = 8

_DATE = re.compile(r"^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")
_CURRENCY = re.compile(r"(?i)^(€|eur|euros?)\s*|\s*(€|eur|euros?)$")
_RATE = re.compile(r"^\(?([-−]?\d{1,2}(?:[.,]\d{1,3})?)\s*%\)?$")
_QUANTITY_UNIT = re.compile(r"^([-−]?\d[\d.,\s]*?)\s*([^\W\d_][^\W\d_.²³]*\.?[²³23]?)$")
_PER_BASIS = re.compile(r"(?:^|\s)(?:/|\()\s*(\d{1,4})\s*[^\W\d_]{1,6}\.?\s*\)?")
_CODE_PREFIX = re.compile(r"^[A-Z0-9][A-Z0-9./_-]*\d[A-Z0-9./_-]*\s+[-–]\s+(?=\S)")


@dataclass
class Figure:
    value: Decimal
    kind: str  # "amount" (decimals or currency), "number" (bare), "rate", "quantity" (with a unit)
    x0: float
    x1: float
    unit: str | None = None
    net_sign: str = ""  # "=" or "-" or "+" printed before it ("= 18,00 €")
    decimals: int = 0
    basis: Decimal | None = None  # a price for N units: "30,00 € / 3 PCE"


def read_figure(text: str) -> Figure | None:
    """The figure a phrase holds, or None when it is text."""
    raw = text.strip()
    sign = ""
    if raw[:1] in "=+" or (raw[:1] in "-−–" and len(raw) > 1 and raw[1] == " "):
        sign, raw = raw[0], raw[1:].strip()
    if not raw or _DATE.match(raw):
        return None
    per = re.match(r"^(.*\d.*?)\s*/\s*(\d{1,4})\s*[^\W\d_]{1,%d}\.?$" % MAX_UNIT_LETTERS, raw)
    if per:
        price, basis = read_figure(per.group(1)), parse_number(per.group(2))
        if price is not None and price.kind == "amount" and basis:
            price.basis = basis
            return price
    rate = _RATE.match(raw)
    if rate:
        value = parse_number(rate.group(1))
        return Figure(value, "rate", 0, 0) if value is not None else None
    currency = bool(_CURRENCY.search(raw))
    bare = _CURRENCY.sub("", raw).strip()
    value = parse_number(bare)
    if value is not None:
        decimals = len(re.split(r"[.,]", bare)[-1]) if re.search(r"[.,]\d{1,4}$", bare) else 0
        kind = "amount" if currency or decimals else "number"
        if sign in "-−–" and sign:
            value = -value
        return Figure(value, kind, 0, 0, net_sign=sign, decimals=decimals)
    glued = _QUANTITY_UNIT.match(raw)
    if glued and len(glued.group(2)) <= MAX_UNIT_LETTERS:
        value = parse_number(glued.group(1))
        if value is not None:
            return Figure(value, "quantity", 0, 0, unit=glued.group(2))
    return None


@dataclass
class _Cells:
    line: TextLine
    texts: list[Phrase]
    figures: list[Figure]


def _cells(line: TextLine) -> _Cells:
    """The line's phrases as figures and texts, computed once per line (rows, totals and the choice of
    reader all ask)."""
    cached = line.__dict__.get("_figure_cells")
    if cached is None:
        cached = line.__dict__["_figure_cells"] = _read_cells(line)
    return cached


_GROUP = re.compile(r"^\d{3}(?:[.,]\d{1,4})?(?:€)?$")


def _peel_figures(phrase: Phrase) -> list[Phrase]:
    """A text phrase that ends with amounts or rates set one space after its words ("Total HT 403,50 €"):
    the words, then each figure as its own phrase. Bare numbers and quantities stay in the text
    ("Zitronensäure 100ml", "Typkl. 18")."""
    words = list(phrase.words)
    tail: list[Phrase] = []
    while len(words) > 1:
        end = len(words)
        if words[-1].text in ("€", "EUR", "%") and end > 2:
            end -= 1
        start = end - 1
        # "1 000,00": groups of thousands set apart by spaces are one number.
        while start > 1 and re.fullmatch(r"\d{1,3}", words[start - 1].text) and _GROUP.match(words[start].text):
            start -= 1
        figure = read_figure(" ".join(w.text for w in words[start:]))
        if figure is None or figure.kind not in ("amount", "rate"):
            break
        tail.insert(0, Phrase(words[start:]))
        words = words[:start]
    return [Phrase(words)] + tail if tail else [phrase]


def _read_cells(line: TextLine) -> _Cells:
    texts, figures = [], []
    phrases = [part for phrase in split_phrases(line) for part in
               ([phrase] if read_figure(phrase.text) is not None else _peel_figures(phrase))]
    for index, phrase in enumerate(phrases):
        figure = read_figure(phrase.text)
        if figure is not None:
            figure.x0, figure.x1 = phrase.x0, phrase.x1
            figures.append(figure)
            continue
        # A short word between a number and the next figure is the number's unit ("1   LITRE   1.000,00").
        previous = figures[-1] if figures and phrases[index - 1].x1 == figures[-1].x1 else None
        following = phrases[index + 1] if index + 1 < len(phrases) else None
        if previous is not None and previous.kind == "number" and len(phrase.words) == 1 \
                and re.fullmatch(r"[^\W\d_]{1,%d}\.?" % MAX_UNIT_LETTERS, phrase.text) \
                and following is not None and read_figure(following.text) is not None:
            previous.kind, previous.unit, previous.x1 = "quantity", phrase.text, phrase.x1
            continue
        texts.append(phrase)
    return _Cells(line, texts, figures)


@dataclass
class _Fit:
    quantity: Figure
    price: Figure
    total: Figure
    unit_price: Decimal
    total_value: Decimal


def _fit(cells: _Cells, total: Figure, following: list[_Cells], basis: Decimal | None) -> _Fit | None:
    """Quantity and unit price among the figures left of ``total`` whose product makes it."""
    factors = [f for f in cells.figures if f.x1 < total.x0 and f.kind != "rate"]
    pairs = []
    for a in factors:
        for b in factors:
            if a is b:
                continue
            # The quantity carries the unit, the price is an amount, else the quantity has fewer decimals;
            # then the pair nearest the total (a line number at the far left is neither).
            rank = (a.kind != "quantity", b.kind != "amount", a.decimals > b.decimals, -(a.x0 + b.x0))
            pairs.append((rank, a, b))
    pairs.sort(key=lambda p: p[0])
    nets = [f for c in following[:2] for f in c.figures if f.net_sign == "=" and f.kind == "amount"]
    for _, quantity, price in pairs:
        if quantity.value == 0 or price.kind == "quantity":
            continue
        if total.value == 0 and not (price.value == 0 and price.decimals):
            continue  # "Base 50,00  0  0,00" is a VAT line of a 0 % rate, not an item
        gross = quantity.value * (price.value / price.basis if price.basis else price.value)
        if cents(gross) == total.value:
            return _Fit(quantity, price, total, price.value, total.value)
        # A discount or charge column between the price and the total: a rate or an amount.
        between = [f for f in cells.figures if price.x1 < f.x0 and f.x1 < total.x0 and f is not quantity]
        for column in between:
            adjusted = ([gross * (1 - column.value / 100), gross * (1 + column.value / 100)] if column.kind == "rate"
                        else [gross - abs(column.value), gross + column.value] if column.kind == "amount" else [])
            if any(cents(value) == total.value for value in adjusted):
                return _Fit(quantity, price, total, price.value, total.value)
        for net in nets:
            if cents(quantity.value * net.value) == total.value:
                return _Fit(quantity, price, total, net.value, total.value)
        # Allowances and charges listed under the row between the price and the total ("- €6.00", "+ €1.00").
        adjustments = sum((f.value for f in _under_row(following, total) if f.net_sign in ("-", "+")
                           and price.x1 < f.x0 and f.x1 < total.x0), Decimal("0"))
        if adjustments:
            for unit_price in [net.value for net in nets] + [price.value]:
                if cents(quantity.value * unit_price + adjustments) == total.value:
                    return _Fit(quantity, price, total, unit_price, total.value)
        bases = [basis] if basis else list(PRICE_BASES) if quantity.kind == "quantity" else []
        for n in bases:
            if cents(quantity.value * price.value / n) == total.value:
                return _Fit(quantity, price, total, price.value, total.value)
    return None


def _under_row(following: list[_Cells], total: Figure) -> list[Figure]:
    """The figures of the lines under a row, up to the next line with an amount in the total's column."""
    found = []
    for cells in following:
        if any(f.kind == "amount" and abs(f.x1 - total.x1) < ALIGN_TOLERANCE * 3 for f in cells.figures):
            break
        found.extend(cells.figures)
    return found


def _row_fit(cells: _Cells, following: list[_Cells]) -> tuple[_Fit, int] | None:
    """The fit of a row, and how many following lines it used (1 when its total is printed under it)."""
    # "Standard Mounting Brackets (3 kg)": the basis may sit in the designation's wrapped part.
    wrapped = following[0].texts if following and not following[0].figures else []
    basis_match = _PER_BASIS.search(" ".join(p.text for p in cells.texts + wrapped))
    basis = parse_number(basis_match.group(1)) if basis_match else None
    amounts = [f for f in cells.figures if f.kind == "amount"]
    for total in reversed(amounts[-3:]):
        fit = _fit(cells, total, following, basis)
        if fit is not None:
            return fit, 0
    below = following[0] if following else None
    last = cells.figures[-1].x1 if cells.figures else 0
    if below is not None and below.figures and below.figures[-1].kind == "amount" and below.figures[-1].x0 > last \
            and not any(last >= f.x0 for f in below.figures[:-1] if f.x1 > last):
        fit = _fit(cells, below.figures[-1], following[1:], basis)
        if fit is not None:
            return fit, 1
    return None


def _designation(cells: _Cells, fit: _Fit) -> Phrase | None:
    left = min(fit.quantity.x0, fit.price.x0)
    texts = [p for p in cells.texts if p.x1 <= fit.total.x0 and re.search(r"[^\W\d_]", p.text)]
    before = [p for p in texts if p.x1 <= left]
    # The nearest text phrase left of the figures; a designation set right of the quantity
    # ("Pos. Menge ME Art-Nr. Bezeichnung EP GP") is the one left of the price.
    if before:
        return before[-1]
    between = [p for p in texts if p.x1 <= fit.price.x0]
    return between[-1] if between else None


def _strip_code(text: str) -> str:
    """"GG-SCRW-A4-01 - High-Grade Screws" → "High-Grade Screws": an article code set before the name."""
    return _CODE_PREFIX.sub("", text, count=1)


def read_items_by_figures(lines: list[TextLine]) -> list[LineItem]:
    """The priced rows of a page, found by their arithmetic (see the module's docstring)."""
    cells = [_cells(line) for line in lines]
    items: list[LineItem] = []
    index = 0
    while index < len(cells):
        row = cells[index]
        found = _row_fit(row, cells[index + 1: index + 1 + ROW_DEPTH]) if row.figures else None
        if found is None:
            index += 1
            continue
        fit, used = found
        designation = _designation(row, fit)
        if designation is None:
            index += 1
            continue
        parts = [designation.text]
        x0 = designation.x0
        right = min(f.x0 for f in (fit.quantity, fit.price, fit.total))
        last = row.line
        total = fit.total_value
        step = index + 1 + used
        for below in cells[index + 1: index + 1 + used]:
            parts.extend(p.text for p in below.texts if p.x0 >= x0 - ALIGN_TOLERANCE and p.x1 <= right)
            last = below.line
        while step < len(cells):
            below = cells[step]
            if below.line.page != row.line.page or below.line.y0 - last.y1 > last.height * CONTINUATION_GAP:
                break
            words = [p for p in below.texts if re.search(r"[^\W\d_]{2}", p.text)]
            if not words and below.figures and below.figures[-1].value < 0 \
                    and abs(below.figures[-1].x1 - fit.total.x1) < ALIGN_TOLERANCE * 3:
                total += below.figures[-1].value  # a line discount printed under the total ("1,00 %  - 0,10")
                step += 1
                last = below.line
                continue
            text = [p for p in below.texts if p.x0 >= x0 - ALIGN_TOLERANCE and p.x1 <= right + ALIGN_TOLERANCE]
            starts_here = any(abs(p.x0 - x0) <= ALIGN_TOLERANCE for p in text)
            # A line with an amount anywhere is a row or a total, not the rest of a designation.
            # A figure in the designation's column, or an amount, is a row or a total, not the rest of a
            # designation; a signed allowance or net price under the price ("- €1.00", "= €19.00") is not.
            if not starts_here or any(f.x1 <= right or (f.kind == "amount" and not f.net_sign)
                                      for f in below.figures if f.x0 >= x0 - ALIGN_TOLERANCE) \
                    or NOTE.match(text[0].text) or _row_fit(below, cells[step + 1: step + 1 + ROW_DEPTH]) is not None:
                break
            parts.extend(p.text for p in text)
            last = below.line
            step += 1
        # A word cut at a hyphen by the wrap ("GWDSTG-DIN976-" / "A-4.8-(A2K)") is one word again.
        description = _strip_code(re.sub(r"(?<=\w-) (?=\w)", "", re.sub(r"\s+", " ", " ".join(parts)).strip()))
        quantity = fit.quantity.value
        items.append(LineItem(
            description=description,
            total_ht=cents(total),
            quantity=Decimal(int(quantity)) if quantity == quantity.to_integral_value() else quantity.normalize(),
            unit=read_unit(fit.quantity.unit) if fit.quantity.unit else None,
            unit_price_ht=cents(fit.unit_price),
            vat_rate=None,
            page=row.line.page,
            bbox=(x0, row.line.y0, fit.total.x1, last.y1),
            confidence=min(line.confidence() for line in (row.line, last)),
        ))
        index = step
    return items


# The highest VAT share of a tax-exclusive total that HT + VAT = TTC may show (27 % is the EU's highest rate).
MAX_VAT_SHARE = Decimal("0.3")
# How many lines apart the figures of one totals block may be printed.
TOTALS_SPAN = 12


@dataclass
class _Labelled:
    value: Decimal
    order: int
    amount: bool  # printed with decimals or a currency; a VAT may be printed as a whole number


def _labelled_amounts(lines: list[TextLine], skip: list[tuple[int, float, float]]) -> list[_Labelled]:
    """The rightmost amount of every line that also holds words (a label), item rows left out."""
    found = []
    for order, line in enumerate(lines):
        if any(page == line.page and y0 - 0.001 <= line.yc <= y1 + 0.001 for page, y0, y1 in skip):
            continue
        cells = _cells(line)
        last = cells.figures[-1] if cells.figures else None
        if last is not None and last.kind in ("amount", "number") \
                and any(re.search(r"[^\W\d_]{2}", p.text) for p in cells.texts if p.x1 < last.x0):
            found.append(_Labelled(last.value, order, last.kind == "amount"))
    return found


def totals_by_arithmetic(lines: list[TextLine], items: list[LineItem]) -> tuple[Decimal, Decimal, Decimal] | None:
    """HT, TVA and TTC found as three labelled amounts, in this order and a few lines apart, with
    HT + TVA = TTC and a VAT share a rate can give, whatever their labels say. Where the sum of the lines
    is among the HT candidates it wins; a TTC equal to the HT right below it (no VAT printed) counts only
    then. Among equals the closest block wins, then the first TTC (a "to pay" after deductions comes later)."""
    skip = [(item.page, item.bbox[1], item.bbox[3]) for item in items]
    amounts = _labelled_amounts(lines, skip)
    lines_sum = sum((item.total_ht for item in items), Decimal("0"))
    candidates = []
    for i, ht in enumerate(amounts):
        if ht.value == 0 or not ht.amount:
            continue
        for k in range(i + 1, len(amounts)):
            ttc = amounts[k]
            if ttc.order - ht.order > TOTALS_SPAN:
                break
            if not ttc.amount:
                continue
            for vat in amounts[i + 1:k]:
                share = vat.value / ht.value
                if ht.value + vat.value == ttc.value and 0 <= share <= MAX_VAT_SHARE:
                    # A VAT above 0 is surer evidence than "x + 0 = x".
                    candidates.append(((ht.value != lines_sum, vat.value == 0, ttc.order - ht.order, ttc.order),
                                       (ht.value, vat.value, ttc.value)))
            if ttc.value == ht.value and ht.value == lines_sum and k == i + 1:
                candidates.append(((False, True, 1, ttc.order), (ht.value, Decimal("0"), ttc.value)))
    if not candidates:
        return None
    return min(candidates, key=lambda c: c[0])[1]


def printed_amounts(lines: list[TextLine]) -> set[Decimal]:
    """Every amount printed on the pages."""
    return {f.value for line in lines for f in _cells(line).figures if f.kind == "amount"}
