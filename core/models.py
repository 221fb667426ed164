"""The small data classes that flow between stages.

Money and quantities are ``Decimal``; amounts are rounded to the cent once, with
``cents()``, where a figure is produced. JSON conversion happens only at the
edges (``to_contract``), following ``schemas/quote.schema.json``.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from core.enums import ExtractionMethod, FlagCode, PageSource

CENT = Decimal("0.01")
UNITS = ("m2", "ml", "m3", "u", "h", "forfait", "kg")
TRADES = (
    "plomberie", "peinture", "platrerie", "carrelage", "sols", "electricite", "menuiserie",
    "serrurerie", "vitrerie", "couverture", "maconnerie", "assechement", "nettoyage", "divers",
)
GUARANTEES = (
    "degats_des_eaux", "tempete_grele_neige", "vol_vandalisme", "bris_de_glace", "incendie",
    "catastrophe_naturelle",
)


def cents(value: Decimal | int | str) -> Decimal:
    """Round a money amount to the cent, half up (the French commercial rule)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def plain_text(text: str) -> str:
    """Lower case without accents: how names and designations are compared."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def euros(amount: Decimal | float | None) -> str:
    """An amount as a French reader writes it: ``1 234,56 €`` (``—`` when there is none)."""
    if amount is None:
        return "—"
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    whole, _, fraction = f"{abs(value):,.2f}".partition(".")
    return f"{'-' if value < 0 else ''}{whole.replace(',', ' ')},{fraction} €"


def money_json(value: Decimal | None) -> float | None:
    """A cent-rounded Decimal as a JSON number; the float is only a serialisation format."""
    return None if value is None else float(cents(value))


def number_json(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


class MediaType(str, Enum):
    PDF = "application/pdf"
    JPEG = "image/jpeg"
    PNG = "image/png"


@dataclass(frozen=True)
class Document:
    """An ingested file: its bytes are kept in the content-addressed store under ``sha256``."""

    doc_id: str
    sha256: str
    media_type: MediaType
    original_path: Path
    source_name: str
    size_bytes: int
    page_count: int


@dataclass(frozen=True)
class Word:
    """A word with its box in page fractions (origin top-left) and a confidence in 0..1."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    confidence: float = 1.0

    @property
    def xc(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def yc(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(frozen=True)
class RuleLine:
    """A ruling line of a table (border), in page fractions; horizontal when y0 == y1."""

    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class PageText:
    """What one page says: its words, from the PDF text layer or from OCR."""

    number: int  # 1-based
    width: float  # points for PDF pages, pixels for images
    height: float
    words: list[Word]
    source: PageSource
    rules: list[RuleLine] = field(default_factory=list)
    seconds: float = 0.0

    def __post_init__(self) -> None:
        self.source = PageSource(self.source)


@dataclass
class Supplier:
    name: str | None = None
    siren: str | None = None
    siret: str | None = None


@dataclass
class LineItem:
    description: str
    total_ht: Decimal
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price_ht: Decimal | None = None
    vat_rate: Decimal | None = None
    trade: str | None = None
    page: int = 1
    bbox: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    confidence: float = 1.0
    # Where the figures came from: "einvoice" (the embedded XML), "text_layer" or "ocr" (the printed page).
    source: str | None = None
    # E-invoice lines only (None elsewhere): the unit price per N units when the price is printed per N,
    # the net price of one unit, and the EXTENDED sub-invoice role (GROUP, DETAIL, INFORMATION).
    price_basis_qty: Decimal | None = None
    unit_price_net: Decimal | None = None
    line_status: str | None = None

    @property
    def counts_in_total(self) -> bool:
        """Whether the line's amount is part of the document's HT. Of an e-invoice's sub-invoice lines, the
        DETAIL rows are billed; a GROUP row sums its details again and INFORMATION rows are not billed."""
        return self.line_status in (None, "DETAIL")

    @property
    def price_per_unit(self) -> Decimal | None:
        """The price of one unit, whatever the page prints (a gross price, a price per N units)."""
        return self.unit_price_net if self.unit_price_net is not None else self.unit_price_ht

    def to_contract(self) -> dict:
        contract = {
            "description": self.description,
            "quantity": number_json(self.quantity),
            "unit": self.unit,
            "unit_price_ht": self._unit_price_json(),
            "total_ht": money_json(self.total_ht),
            "vat_rate": number_json(self.vat_rate),
            "trade": self.trade,
            "page": self.page,
            "bbox": [round(v, 4) for v in self.bbox],
            "confidence": round(self.confidence, 3),
        }
        if self.source is not None:
            contract["source"] = self.source
        if self.price_basis_qty is not None:
            contract["price_basis_qty"] = number_json(self.price_basis_qty)
        if self.unit_price_net is not None:
            contract["unit_price_net"] = number_json(self.unit_price_net)
        if self.line_status is not None:
            contract["line_status"] = self.line_status
        return contract

    def _unit_price_json(self) -> float | int | None:
        if self.unit_price_ht is None or self.source != "einvoice":
            return money_json(self.unit_price_ht)
        # An e-invoice's unit price is exact with the decimals it has (67,2244 €): it is not rounded.
        return number_json(self.unit_price_ht)


@dataclass
class Totals:
    ht: Decimal = Decimal("0")
    tva: Decimal = Decimal("0")
    ttc: Decimal = Decimal("0")
    # What is already paid and what remains due (e-invoices): never the TTC.
    prepaid: Decimal | None = None
    due: Decimal | None = None


@dataclass
class AllowanceCharge:
    """A document-level allowance (negative) or charge (positive) of an e-invoice: not a line."""

    amount_ht: Decimal
    reason: str | None = None
    vat_rate: Decimal | None = None

    @property
    def kind(self) -> str:
        return "allowance" if self.amount_ht < 0 else "charge"

    def to_contract(self) -> dict:
        return {"kind": self.kind, "reason": self.reason, "amount_ht": money_json(self.amount_ht),
                "vat_rate": number_json(self.vat_rate)}


@dataclass
class Mismatch:
    """A figure on which the e-invoice XML and the printed page disagree (``EINVOICE_MISMATCH``)."""

    field: str  # "ttc", "ht" or "line_total"
    einvoice: Decimal
    page: Decimal | None  # what the page reader read there; None when it read nothing
    line: int | None = None  # 1-based index of the line, for "line_total"
    description: str | None = None

    def to_contract(self) -> dict:
        contract = {"field": self.field, "einvoice": money_json(self.einvoice), "page": money_json(self.page)}
        if self.line is not None:
            contract.update(line=self.line, description=self.description)
        return contract

    @classmethod
    def from_contract(cls, data: dict) -> "Mismatch":
        page = data.get("page")
        return cls(data["field"], Decimal(str(data["einvoice"])), None if page is None else Decimal(str(page)),
                   data.get("line"), data.get("description"))


@dataclass
class Extraction:
    """The contract of ``schemas/quote.schema.json`` as typed Python."""

    doc_id: str
    is_quote: bool
    supplier: Supplier = field(default_factory=Supplier)
    quote_number: str | None = None
    date: dt.date | None = None
    site_postcode: str | None = None
    lines: list[LineItem] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)
    warnings: list[str] = field(default_factory=list)
    # Stable codes of what the reader could not do, for the decision (TABLE_NOT_FOUND).
    flags: list[str] = field(default_factory=list)
    method: ExtractionMethod = ExtractionMethod.TEXT_LAYER
    pages: int = 1
    # Which source each value came from, per field ("supplier", "quote_number", "date", "site_postcode",
    # "lines", "totals"): "einvoice", "text_layer" or "ocr"; each line also carries its own.
    sources: dict[str, str] = field(default_factory=dict)
    # E-invoices only: document allowances and charges, the type code (380 invoice, 381 credit note...),
    # the currency, and where the XML and the printed page disagree.
    allowances_charges: list[AllowanceCharge] = field(default_factory=list)
    doc_type_code: str | None = None
    currency: str | None = None
    einvoice_mismatches: list[Mismatch] = field(default_factory=list)

    def billed_lines(self) -> list[LineItem]:
        """The lines whose amounts make the HT, as the review prices them: an e-invoice's sub-invoice lines
        once (not their groups), and its document allowances and charges as lines (a discount is a negative
        line, as a page prints it). For a page reading, the lines themselves."""
        lines = [line for line in self.lines if line.counts_in_total]
        for allowance in self.allowances_charges:
            label = allowance.reason or ("Remise" if allowance.amount_ht < 0 else "Frais")
            lines.append(LineItem(description=label, total_ht=allowance.amount_ht, vat_rate=allowance.vat_rate,
                                  source="einvoice"))
        return lines

    def __post_init__(self) -> None:
        self.method = ExtractionMethod(self.method)

    def to_contract(self) -> dict:
        contract: dict[str, Any] = {
            "doc_id": self.doc_id,
            "is_quote": self.is_quote,
            "supplier": {
                "name": self.supplier.name,
                "siren": self.supplier.siren,
                "siret": self.supplier.siret,
            },
            "quote_number": self.quote_number,
            "date": self.date.isoformat() if self.date else None,
            "site_postcode": self.site_postcode,
            "lines": [line.to_contract() for line in self.lines],
            "totals": {
                "ht": money_json(self.totals.ht),
                "tva": money_json(self.totals.tva),
                "ttc": money_json(self.totals.ttc),
            },
            "warnings": list(self.warnings),
            "flags": list(self.flags),
        }
        if self.totals.prepaid is not None or self.totals.due is not None:
            contract["totals"].update(prepaid=money_json(self.totals.prepaid), due=money_json(self.totals.due))
        if self.sources:
            contract["sources"] = dict(self.sources)
        if self.doc_type_code is not None:
            contract.update(doc_type_code=self.doc_type_code, currency=self.currency)
            contract["doc_allowances_charges"] = [ac.to_contract() for ac in self.allowances_charges]
            contract["einvoice_mismatches"] = [m.to_contract() for m in self.einvoice_mismatches]
        return contract

    @classmethod
    def from_contract(cls, data: dict) -> "Extraction":
        def dec(v):
            return None if v is None else Decimal(str(v))

        lines = [
            LineItem(
                description=item["description"],
                total_ht=Decimal(str(item["total_ht"])),
                quantity=dec(item.get("quantity")),
                unit=item.get("unit"),
                unit_price_ht=dec(item.get("unit_price_ht")),
                vat_rate=dec(item.get("vat_rate")),
                trade=item.get("trade"),
                page=item.get("page", 1),
                bbox=tuple(item.get("bbox") or (0.0, 0.0, 0.0, 0.0)),
                confidence=item.get("confidence", 1.0),
                source=item.get("source"),
                price_basis_qty=dec(item.get("price_basis_qty")),
                unit_price_net=dec(item.get("unit_price_net")),
                line_status=item.get("line_status"),
            )
            for item in data.get("lines", [])
        ]
        totals = data.get("totals") or {}
        supplier = data.get("supplier") or {}
        return cls(
            doc_id=data["doc_id"],
            is_quote=data["is_quote"],
            supplier=Supplier(supplier.get("name"), supplier.get("siren"), supplier.get("siret")),
            quote_number=data.get("quote_number"),
            date=dt.date.fromisoformat(data["date"]) if data.get("date") else None,
            site_postcode=data.get("site_postcode"),
            lines=lines,
            totals=Totals(ht=Decimal(str(totals.get("ht", 0))), tva=Decimal(str(totals.get("tva", 0))),
                          ttc=Decimal(str(totals.get("ttc", 0))), prepaid=dec(totals.get("prepaid")),
                          due=dec(totals.get("due"))),
            warnings=list(data.get("warnings", [])),
            flags=list(data.get("flags", [])),
            sources=dict(data.get("sources") or {}),
            allowances_charges=[
                AllowanceCharge(Decimal(str(ac["amount_ht"])), ac.get("reason"), dec(ac.get("vat_rate")))
                for ac in data.get("doc_allowances_charges") or [] if ac.get("amount_ht") is not None
            ],
            doc_type_code=data.get("doc_type_code"),
            currency=data.get("currency"),
            einvoice_mismatches=[Mismatch.from_contract(m) for m in data.get("einvoice_mismatches") or []],
        )


@dataclass
class Dossier:
    """The claim file a quote belongs to."""

    ref: str
    claim_date: dt.date
    deductible: Decimal
    guarantee: str
    phone: str = "000000000"
    email: str = "inconnu"
    postcode: str | None = None


@dataclass
class Flag:
    code: FlagCode
    message: str
    figures: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.code = FlagCode(self.code)

    def to_contract(self) -> dict:
        return {"code": self.code, "message": self.message, "figures": self.figures}
