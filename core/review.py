"""The review of one quote for one dossier, as data: lines, flags, status, amounts, and their vocabularies.

The rules that produce a ``Review`` live in ``decisions/``; the store, the events and the CLI only
read it. Everything here is plain data with its JSON contract (``schemas/review.schema.json``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Sequence

from core.enums import TERMINAL_STATUSES, DecidedBy, FlagCode, Status
from core.models import Flag, cents, money_json, number_json

ZERO = Decimal("0")
ONE = Decimal("1")
DEFAULT_VAT_RATE = Decimal("0.20")

MOTIVE_ECO = "Clos - Eco. moins de 200 euros"
MOTIVE_FALSE_ALARM = "Clos - Fausse alerte"
MOTIVE_REVISED = "Clos - Montant indemnisation révisé"
MOTIVE_REN = "Clos - REN"
MOTIVE_REFUSED = "Clos - Refus de prise en charge"
MOTIVE_UNREACHABLE = "Clos - assuré injoignable / manque d'information"
MOTIVE_DOCUMENT_ERROR = "Doublon / Erreur document"
MOTIVE_OUT_OF_SCOPE = "Hors périmètre"
MOTIVES = (
    MOTIVE_ECO, MOTIVE_FALSE_ALARM, MOTIVE_REVISED, MOTIVE_REN, MOTIVE_REFUSED,
    MOTIVE_UNREACHABLE, MOTIVE_DOCUMENT_ERROR, MOTIVE_OUT_OF_SCOPE,
)

# code -> (needs a human, what it means)
FLAG_CATALOGUE: dict[FlagCode, tuple[bool, str]] = {
    FlagCode.PRICE_ABOVE_GRID: (False, "line price above the grid band, revised to the reference"),
    FlagCode.NOT_COVERED: (False, "work not covered by the guarantee, revised to 0"),
    FlagCode.LABOUR_ABOVE_MINIMUM: (False, "labour charged as a lump sum above the zone's minimum billing"),
    FlagCode.UNMATCHED_LINE: (False, "no grid item for the line: kept at its quoted amount, its doubt weighs on the dossier"),
    FlagCode.SUPPLY_PRICE_GAP: (True, "supplied product over the catalogue price by > 30 % and > 100 EUR"),
    FlagCode.VAT_RATE_SUSPECT: (True, "VAT rate inconsistent with the work"),
    FlagCode.ARITHMETIC_MISMATCH: (True, "qty x unit price, sum of lines or HT + TVA do not add up"),
    FlagCode.EINVOICE_MISMATCH: (True, "the e-invoice XML and the printed page disagree on the TTC, the HT or a line total"),
    FlagCode.LOW_OCR_CONFIDENCE: (True, "line read with a low confidence"),
    FlagCode.ABOVE_REFERENCE: (True, "little or nothing cut, yet the quote may exceed the market by more than the threshold given the grid's spread"),
    FlagCode.VARIANCE_UNCERTAIN: (True, "the cuts exceed the threshold, but the whole quote is not clearly over the market given the grid's spread"),
    FlagCode.MISSING_QUANTITY: (False, "area/length/volume work without a quantity: not revisable"),
    FlagCode.OUT_OF_SCOPE_LOW: (False, "TTC below the desk's scope"),
    FlagCode.OUT_OF_SCOPE_HIGH: (False, "TTC above the desk's scope"),
    FlagCode.DUPLICATE: (False, "same document or same supplier quote already reviewed"),
    FlagCode.NOT_A_QUOTE: (False, "the document is not a quote"),
    FlagCode.TABLE_NOT_FOUND: (True, "amounts and totals printed, but no table of priced lines could be read"),
    FlagCode.REVIEWER_OVERRIDE: (False, "a reviewer changed the line"),
}
MARKET_DOUBT_CODES = frozenset({FlagCode.ABOVE_REFERENCE, FlagCode.VARIANCE_UNCERTAIN})
NEEDS_HUMAN = frozenset(code for code, (human, _) in FLAG_CATALOGUE.items() if human)


@dataclass
class LineReview:
    index: int
    description: str
    quoted_total_ht: Decimal
    revised_total_ht: Decimal
    vat_rate: Decimal  # the rate applied: the line's, else the quote's overall rate
    covered: bool = True
    trade: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    grid_item: str | None = None
    grid_label: str | None = None
    match_score: float | None = None
    reference_unit_price_ht: Decimal | None = None
    reference_total_ht: Decimal | None = None
    flags: list[Flag] = field(default_factory=list)

    @property
    def is_discount(self) -> bool:
        return self.quoted_total_ht < 0 and self.grid_item is None

    def to_contract(self) -> dict:
        return {
            "index": self.index,
            "description": self.description,
            "trade": self.trade,
            "quantity": number_json(self.quantity),
            "unit": self.unit,
            "quoted_total_ht": money_json(self.quoted_total_ht),
            "vat_rate": number_json(self.vat_rate),
            "grid_item": self.grid_item,
            "grid_label": self.grid_label,
            "match_score": None if self.match_score is None else round(float(self.match_score), 3),
            "reference_unit_price_ht": money_json(self.reference_unit_price_ht),
            "reference_total_ht": money_json(self.reference_total_ht),
            "revised_total_ht": money_json(self.revised_total_ht),
            "covered": self.covered,
            "flags": [flag.to_contract() for flag in self.flags],
        }

    @classmethod
    def from_contract(cls, data: dict) -> "LineReview":
        return cls(
            index=data["index"],
            description=data["description"],
            quoted_total_ht=Decimal(str(data["quoted_total_ht"])),
            revised_total_ht=Decimal(str(data["revised_total_ht"])),
            vat_rate=Decimal(str(data["vat_rate"])) if data.get("vat_rate") is not None else DEFAULT_VAT_RATE,
            covered=data["covered"],
            trade=data.get("trade"),
            quantity=_dec(data.get("quantity")),
            unit=data.get("unit"),
            grid_item=data.get("grid_item"),
            grid_label=data.get("grid_label"),
            match_score=data.get("match_score"),
            reference_unit_price_ht=_dec(data.get("reference_unit_price_ht")),
            reference_total_ht=_dec(data.get("reference_total_ht")),
            flags=[_flag_from_contract(f) for f in data.get("flags", [])],
        )


@dataclass
class Review:
    dossier_ref: str
    doc_id: str
    grid_version: str
    status: Status
    quoted_ttc: Decimal
    revised_ttc: Decimal | None
    variance_ttc: Decimal | None
    deductible: Decimal | None
    indemnity: Decimal | None
    lines: list[LineReview] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    decided_by: DecidedBy = DecidedBy.ROBOT
    motive: str | None = None
    events: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.status = Status(self.status)
        self.decided_by = DecidedBy(self.decided_by)

    @property
    def all_flags(self) -> list[Flag]:
        return self.flags + [flag for line in self.lines for flag in line.flags]

    @property
    def needs_human(self) -> bool:
        return any(flag.code in NEEDS_HUMAN for flag in self.all_flags)

    @property
    def revised(self) -> bool:
        return any(line.revised_total_ht != line.quoted_total_ht for line in self.lines)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def to_contract(self) -> dict:
        return {
            "dossier_ref": self.dossier_ref,
            "doc_id": self.doc_id,
            "grid_version": self.grid_version,
            "status": self.status,
            "motive": self.motive,
            "decided_by": self.decided_by,
            "quoted_ttc": money_json(self.quoted_ttc),
            "revised_ttc": money_json(self.revised_ttc),
            "variance_ttc": money_json(self.variance_ttc),
            "price_variance_ttc": money_json(price_variance_ttc(self)),
            "excluded_ttc": money_json(excluded_ttc(self)) if self.revised_ttc is not None else None,
            "deductible": money_json(self.deductible),
            "indemnity": money_json(self.indemnity),
            "lines": [line.to_contract() for line in self.lines],
            "flags": [flag.to_contract() for flag in self.flags],
            "events": [dict(event) for event in self.events],
        }

    @classmethod
    def from_contract(cls, data: dict) -> "Review":
        return cls(
            dossier_ref=data["dossier_ref"],
            doc_id=data["doc_id"],
            grid_version=data["grid_version"],
            status=data["status"],
            quoted_ttc=Decimal(str(data["quoted_ttc"])),
            revised_ttc=_dec(data.get("revised_ttc")),
            variance_ttc=_dec(data.get("variance_ttc")),
            deductible=_dec(data.get("deductible")),
            indemnity=_dec(data.get("indemnity")),
            lines=[LineReview.from_contract(line) for line in data.get("lines", [])],
            flags=[_flag_from_contract(f) for f in data.get("flags", [])],
            decided_by=data["decided_by"],
            motive=data.get("motive"),
            events=[dict(event) for event in data.get("events", [])],
        )


def excluded_ttc(review: Review) -> Decimal:
    """TTC of the lines the guarantee does not cover, net of the quote's discount."""
    uncovered = [line for line in review.lines if not line.is_discount and not line.covered]
    return cents(sum((line.quoted_total_ht * (ONE + line.vat_rate) for line in uncovered), ZERO) * net_of_discount(review.lines))


def net_of_discount(lines: Sequence[LineReview]) -> Decimal:
    """The share of its quoted price a work line is paid once the quote's discount is applied."""
    quoted_work = sum((line.quoted_total_ht for line in lines if not line.is_discount), ZERO)
    discount = sum((line.quoted_total_ht for line in lines if line.is_discount), ZERO)
    return ONE + discount / quoted_work if quoted_work > 0 else ONE


def price_variance_ttc(review: Review) -> Decimal | None:
    """The part of the variance that comes from prices above the grid (exclusions left out)."""
    return None if review.variance_ttc is None else review.variance_ttc - excluded_ttc(review)


def accepted_ttc(review: Review) -> Decimal:
    """The quoted TTC less the work the guarantee does not cover: what an accepted quote pays."""
    return review.quoted_ttc - excluded_ttc(review)


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _flag_from_contract(data: dict) -> Flag:
    return Flag(data["code"], data["message"], dict(data.get("figures") or {}))


