"""Small real inputs for decide: a grid double with the few methods decide calls, and priced lines."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from core.models import Dossier, Extraction, LineItem, Supplier, Totals, cents

D = Decimal


@dataclass(frozen=True)
class Item:
    id: str
    label: str
    unit: str
    trade: str
    kind: str = "both"


@dataclass(frozen=True)
class Match:
    item: Item | None
    score: float
    trade: str | None = None


@dataclass(frozen=True)
class Priced:
    index: int
    line: LineItem
    match: Match
    reference_unit_price_ht: Decimal | None
    reference_total_ht: Decimal | None
    low_unit_ht: Decimal | None
    high_unit_ht: Decimal | None
    supply_id: str | None = None


@dataclass(frozen=True)
class Supply:
    public_price_ht: Decimal


@dataclass
class GridDouble:
    version: str = "test-1"
    uncovered_trades: set = field(default_factory=set)
    minimum: Decimal | None = D("90")
    supplies: dict = field(default_factory=dict)

    def covers(self, guarantee, item_id, trade):
        return trade is not None and trade not in self.uncovered_trades

    def minimum_billing(self, trade, postcode):
        return self.minimum

    def supply_price(self, supply_id):
        return Supply(self.supplies[supply_id])


PAINT = Item("pei_murs", "Peinture murs", "m2", "peinture")
TAP = Item("plb_robinet", "Robinet d'arrêt", "u", "plomberie")
LEAK = Item("plb_recherche_fuite", "Recherche de fuite", "forfait", "plomberie", kind="labour")
CYLINDER = Item("sup_cylindre", "Cylindre", "u", "serrurerie", kind="supply")


def line(total, qty=None, unit=None, pu=None, vat="0.10", trade=None, description="Travaux", confidence=1.0):
    return LineItem(description=description, total_ht=D(str(total)), quantity=None if qty is None else D(str(qty)),
                    unit=unit, unit_price_ht=None if pu is None else D(str(pu)),
                    vat_rate=None if vat is None else D(vat), trade=trade, confidence=confidence)


def priced(index, item_line, item, reference_unit=None, high_unit=None, low_unit=None, score=0.9, supply_id=None):
    qty = item_line.quantity if item_line.quantity is not None else D(1)
    reference_total = None if reference_unit is None else cents(D(str(reference_unit)) * qty)
    return Priced(index, item_line, Match(item, score if item else 0.2, item.trade if item else None),
                  None if reference_unit is None else D(str(reference_unit)), reference_total,
                  None if low_unit is None else D(str(low_unit)),
                  None if high_unit is None else D(str(high_unit)), supply_id)


def extraction(lines, ttc=None, ht=None, tva=None, is_quote=True, doc_id="q-1"):
    ht = sum((l.total_ht for l in lines), D(0)) if ht is None else D(str(ht))
    if tva is None:
        tva = cents(sum((l.total_ht * (l.vat_rate or D("0.10")) for l in lines), D(0)))
    tva = D(str(tva))
    ttc = ht + tva if ttc is None else D(str(ttc))
    return Extraction(doc_id=doc_id, is_quote=is_quote, supplier=Supplier("Ets Test", "123456789", "12345678900012"),
                      quote_number="DV-1", date=dt.date(2025, 3, 1), site_postcode="69003", lines=lines,
                      totals=Totals(ht, tva, ttc))


def dossier(deductible="150", guarantee="degats_des_eaux"):
    return Dossier("D-1", dt.date(2025, 2, 1), D(deductible), guarantee, postcode="69003")


def quote_for_ttc(ttc: str, vat="0.10"):
    """A one-line quote at the grid price whose TTC is exactly ``ttc``."""
    ttc = D(ttc)
    ht = cents(ttc / (1 + D(vat)))
    tva = ttc - ht
    item_line = line(ht, qty=1, unit="u", pu=ht, vat=vat, trade="plomberie")
    return extraction([item_line], ht=ht, tva=tva, ttc=ttc), [priced(0, item_line, TAP, reference_unit=ht, high_unit=ht)]
