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

    def to_contract(self) -> dict:
        return {
            "description": self.description,
            "quantity": number_json(self.quantity),
            "unit": self.unit,
            "unit_price_ht": money_json(self.unit_price_ht),
            "total_ht": money_json(self.total_ht),
            "vat_rate": number_json(self.vat_rate),
            "trade": self.trade,
            "page": self.page,
            "bbox": [round(v, 4) for v in self.bbox],
            "confidence": round(self.confidence, 3),
        }


@dataclass
class Totals:
    ht: Decimal = Decimal("0")
    tva: Decimal = Decimal("0")
    ttc: Decimal = Decimal("0")


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
    method: ExtractionMethod = ExtractionMethod.TEXT_LAYER
    pages: int = 1

    def __post_init__(self) -> None:
        self.method = ExtractionMethod(self.method)

    def to_contract(self) -> dict:
        return {
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
        }

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
            totals=Totals(*(Decimal(str(totals.get(k, 0))) for k in ("ht", "tva", "ttc"))),
            warnings=list(data.get("warnings", [])),
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
