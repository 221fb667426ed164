"""Price an extraction's lines against the grid for the site's département."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from core.models import Extraction, LineItem, cents
from pricing.grid import Grid
from pricing.matching import Match, Matcher, normalise

# Only a line that bills the product alone can be compared with a public supply price: a fitted
# product ("F&P", "fourniture et pose") also pays for the labour.
_SUPPLY_ONLY = re.compile(r"\bfourniture seule\b|\bfourniture\b(?!.*\bpose\b)|\bsans pose\b|\bpiece seule\b")


def supply_of(grid: Grid, description: str) -> str | None:
    """The supplies.csv entry a supply-only line bills, by the longest keyword found in it."""
    text = normalise(description)
    if not _SUPPLY_ONLY.search(text):
        return None
    found = [(len(keyword), supply.id) for supply in grid.supplies.values()
             for keyword in supply.keywords if re.search(rf"\b{re.escape(normalise(keyword))}\b", text)]
    return max(found)[1] if found else None


@dataclass(frozen=True)
class PricedLine:
    """One quote line with its grid match and the reference price for its département.

    ``trade`` is the matched item's trade (or the matcher's guess for an unmatched line);
    the extraction's ``LineItem`` is left untouched. ``reference_total_ht`` is the reference
    unit price × the quoted quantity when the units agree (a lump sum without quantity counts
    as one ``forfait``); it is None when the line cannot be compared.
    """

    index: int
    line: LineItem
    match: Match
    trade: str | None
    reference_unit_price_ht: Decimal | None
    reference_total_ht: Decimal | None
    low_unit_ht: Decimal | None
    high_unit_ht: Decimal | None
    unit_compatible: bool
    supply_id: str | None = None

    @property
    def item_id(self) -> str | None:
        return self.match.item_id


def _quantity(line: LineItem, unit: str) -> Decimal | None:
    if line.quantity is not None:
        return line.quantity if line.unit in (None, unit) else None
    return Decimal("1") if unit == "forfait" and line.unit in (None, "forfait") else None


def price_lines(extraction: Extraction, grid: Grid, matcher: Matcher, postcode: str | None = None) -> list[PricedLine]:
    """Match and price every line; ``postcode`` defaults to the extraction's site postcode."""
    postcode = postcode or extraction.site_postcode
    # Discounts and other negative lines are not work: they are never matched.
    to_match = [(i, line) for i, line in enumerate(extraction.lines) if line.total_ht >= 0]
    matches = dict(zip((i for i, _ in to_match), matcher.match_many([(l.description, l.unit) for _, l in to_match])))
    priced = []
    for index, line in enumerate(extraction.lines):
        match = matches.get(index, Match(None, 0.0, None))
        item = match.item
        if item is None:
            priced.append(PricedLine(index, line, match, match.trade, None, None, None, None, False))
            continue
        unit_price = grid.reference_unit_price(item.id, postcode)
        low, high = grid.band(item.id, postcode)
        quantity = _quantity(line, item.unit)
        total = cents(unit_price * quantity) if quantity is not None else None
        compatible = line.unit in (None, item.unit)
        supply = supply_of(grid, line.description) if item.kind in ("supply", "both") else None
        priced.append(PricedLine(index, line, match, item.trade, unit_price, total, low, high, compatible, supply))
    return priced
