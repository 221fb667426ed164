"""The market price grid (barème): items, département coefficients, labour, supplies and cover.

The grid lives in plain CSV/YAML files under ``reference_prices/`` so that a pricing analyst
can edit and diff them. Every row is validated when the grid is loaded; a bad row raises
``GridError`` naming the file, the row (line number in the file), the column and the reason.
Prices in the files are national references HT; ``zones.csv`` gives each département's
labour-rate coefficient. Labour varies by region, materials hardly: ``reference_unit_price`` and
``band`` apply the coefficient in full to labour items, not at all to supplies, and to the
manifest's ``labour_share`` of an item that is both.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.departements import KNOWN_DEPARTEMENTS, departement_of, is_known_postcode  # noqa: F401 - re-exported
from core.errors import GridError
from core.models import GUARANTEES, TRADES, UNITS, cents, plain_text
from core.settings import Settings

DEFAULT_GRID_DIR = Path(__file__).resolve().parents[1] / "reference_prices"
GRID_DIR_ENV = "QUOTE_REVIEW_GRID_DIR"
MANIFEST = "grid.yaml"
NATIONAL = "*"

METROPOLITAN = tuple(f"{n:02d}" for n in range(1, 96) if n != 20) + ("2A", "2B")
OVERSEAS = ("971", "972", "973", "974", "975", "976")
DEPARTEMENTS = METROPOLITAN + OVERSEAS

# Supply control: a quoted supply is fine when the overcharge is under 30 % or under 100 €.
SUPPLY_GAP_RATIO = Decimal("0.30")
SUPPLY_GAP_AMOUNT = Decimal("100")


def _split_keywords(value: object) -> tuple[str, ...]:
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return tuple(k.strip() for k in str(value or "").split("|") if k.strip())


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class GridItem(_Row):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    trade: str
    label: str = Field(min_length=3)
    unit: str
    price_ht: Decimal = Field(gt=0)
    low_ht: Decimal = Field(gt=0)
    high_ht: Decimal = Field(gt=0)
    kind: Literal["supply", "labour", "both"]
    keywords: tuple[str, ...]
    source: str = Field(min_length=8)

    _keywords = field_validator("keywords", mode="before")(_split_keywords)

    @field_validator("trade")
    @classmethod
    def _known_trade(cls, value: str) -> str:
        if value not in TRADES:
            raise ValueError(f"unknown trade {value!r} (expected one of {', '.join(TRADES)})")
        return value

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, value: str) -> str:
        if value not in UNITS:
            raise ValueError(f"unknown unit {value!r} (expected one of {', '.join(UNITS)})")
        return value

    @model_validator(mode="after")
    def _band_contains_price(self) -> "GridItem":
        if not self.low_ht <= self.price_ht <= self.high_ht:
            raise ValueError(f"price_ht {self.price_ht} is outside the band {self.low_ht}-{self.high_ht}")
        return self


class Zone(_Row):
    departement: str
    name: str
    region: str
    coefficient: Decimal = Field(ge=Decimal("0.5"), le=Decimal("2"))
    source: str = Field(min_length=8)

    @field_validator("departement")
    @classmethod
    def _known_departement(cls, value: str) -> str:
        if value not in DEPARTEMENTS:
            raise ValueError(f"unknown département {value!r}")
        return value


class LabourRate(_Row):
    trade: str
    departement: str
    hourly_rate_ht: Decimal = Field(gt=0)
    minimum_billing_ht: Decimal = Field(ge=0)
    source: str = Field(min_length=8)

    _trade = field_validator("trade")(GridItem._known_trade.__func__)

    @field_validator("departement")
    @classmethod
    def _national_or_known(cls, value: str) -> str:
        if value != NATIONAL and value not in DEPARTEMENTS:
            raise ValueError(f"département must be '*' (national) or a known code, got {value!r}")
        return value


class Supply(_Row):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=3)
    unit: str
    public_price_ht: Decimal = Field(gt=0)
    keywords: tuple[str, ...]
    source: str = Field(min_length=8)

    _keywords = field_validator("keywords", mode="before")(_split_keywords)
    _unit = field_validator("unit")(GridItem._known_unit.__func__)


class LexiconEntry(_Row):
    """One word or phrase of the trade's own language and the grid wording it means.

    ``kind``: ``synonym`` (another name for the same thing), ``jargon`` (a trade, brand or
    technical name: "IPN", "BA13", "Grohtherm"), ``hypernym`` (``term`` is a kind of ``means``:
    "vasque" is a "lavabo"), ``abbreviation``. ``trade`` (optional) is the trade whose work the
    term names: a line naming it is that trade's work unless its first words say otherwise.
    """

    term: str = Field(min_length=2)
    means: str = Field(min_length=2)
    trade: str | None = None
    kind: Literal["synonym", "jargon", "hypernym", "abbreviation"]
    source: str = Field(min_length=3)

    @field_validator("trade", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("trade")
    @classmethod
    def _known_trade_or_none(cls, value: str | None) -> str | None:
        return None if value is None else GridItem._known_trade(value)

    @model_validator(mode="after")
    def _means_something_else(self) -> "LexiconEntry":
        if _folded_words(self.term) == _folded_words(self.means):
            raise ValueError(f"term {self.term!r} means itself")
        if not any(c.isalnum() for c in self.term):
            raise ValueError(f"term {self.term!r} has no letter or digit")
        return self


def _folded_words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", plain_text(text)))


class CoverRule(_Row):
    guarantee: str
    trade: str | None = None
    item: str | None = None
    covered: bool
    reason: str = Field(min_length=3)

    @field_validator("guarantee")
    @classmethod
    def _known_guarantee(cls, value: str) -> str:
        if value not in GUARANTEES:
            raise ValueError(f"unknown guarantee {value!r} (expected one of {', '.join(GUARANTEES)})")
        return value

    @field_validator("trade", "item", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("trade")
    @classmethod
    def _known_trade_or_none(cls, value: str | None) -> str | None:
        return None if value is None else GridItem._known_trade(value)

    @field_validator("covered", mode="before")
    @classmethod
    def _yes_no(cls, value: object) -> object:
        if isinstance(value, str):
            if value.lower() not in ("yes", "no"):
                raise ValueError(f"covered must be 'yes' or 'no', got {value!r}")
            return value.lower() == "yes"
        return value

    @model_validator(mode="after")
    def _one_target(self) -> "CoverRule":
        if (self.trade is None) == (self.item is None):
            raise ValueError("give exactly one of trade or item")
        return self


class IndexRef(_Row):
    name: str
    value: Decimal = Field(gt=0)
    period: str
    source: str = Field(min_length=8)

    @field_validator("period", mode="before")
    @classmethod
    def _period_text(cls, value: object) -> object:
        return str(value)


class Manifest(_Row):
    version: str = Field(min_length=1)
    effective_date: dt.date
    currency: Literal["EUR"] = "EUR"
    index: IndexRef
    files: dict[str, str]
    previous: dict[str, str] | None = None
    labour_share: Decimal = Field(default=Decimal("0.5"), ge=Decimal("0"), le=Decimal("1"))

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: object) -> object:
        return str(value)

    @field_validator("files")
    @classmethod
    def _all_files(cls, value: dict[str, str]) -> dict[str, str]:
        missing = {"items", "zones", "labour", "supplies", "cover"} - value.keys()
        if missing:
            raise ValueError(f"missing file entries: {', '.join(sorted(missing))}")
        return value


@dataclass(frozen=True)
class SupplyCheck:
    """Outcome of the supply control for one quoted supply."""

    supply: Supply
    quoted_total_ht: Decimal
    public_total_ht: Decimal
    gap_ht: Decimal
    gap_ratio: Decimal
    queried: bool


def _first_error(path: Path, row: int, err: ValidationError) -> GridError:
    first = err.errors()[0]
    column = ".".join(str(p) for p in first["loc"]) or "(row)"
    reason = first["msg"].removeprefix("Value error, ")
    return GridError(f"{path.name}, row {row}, column {column}: {reason}", path=str(path))


def _read_csv(path: Path, model: type[_Row]) -> list[tuple[int, _Row]]:
    if not path.is_file():
        raise GridError("file not found", path=str(path))
    expected = list(model.model_fields)
    rows: list[tuple[int, _Row]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in expected if c not in header and model.model_fields[c].is_required()]
        if missing:
            raise GridError(f"{path.name}, row 1, column {missing[0]}: column missing from header", path=str(path))
        extra = [c for c in header if c not in expected]
        if extra:
            raise GridError(f"{path.name}, row 1, column {extra[0]}: unknown column", path=str(path))
        for record in reader:
            line = reader.line_num
            if None in record:
                raise GridError(f"{path.name}, row {line}, column (row): more fields than header columns", path=str(path))
            try:
                rows.append((line, model.model_validate(record)))
            except ValidationError as err:
                raise _first_error(path, line, err) from None
    return rows


class Grid:
    """A loaded, validated grid version. Build it with ``load_grid``."""

    def __init__(
        self,
        path: Path,
        manifest: Manifest,
        items: dict[str, GridItem],
        zones: dict[str, Zone],
        labour: dict[tuple[str, str], LabourRate],
        supplies: dict[str, Supply],
        cover: list[CoverRule],
        lexicon: tuple[LexiconEntry, ...] = (),
    ) -> None:
        self.path = path
        self.manifest = manifest
        self.version = manifest.version
        self.effective_date = manifest.effective_date
        self.items = items
        self.zones = zones
        self.labour = labour
        self.supplies = supplies
        self.cover_rules = cover
        self.lexicon = lexicon
        self._item_cover = {(r.guarantee, r.item): r for r in cover if r.item}
        self._trade_cover = {(r.guarantee, r.trade): r for r in cover if r.trade}

    # -- zones -------------------------------------------------------------------------
    def zone_coefficient(self, departement: str | None) -> Decimal:
        """Price coefficient of a département; ``None`` (no site postcode) is the national grid."""
        if departement is None:
            return Decimal("1")
        zone = self.zones.get(departement)
        if zone is None:
            raise ValueError(f"unknown département {departement!r}")
        return zone.coefficient

    def _coefficient_for(self, postcode: str | None) -> Decimal:
        return self.zone_coefficient(departement_of(postcode))

    def item(self, item_id: str) -> GridItem:
        try:
            return self.items[item_id]
        except KeyError:
            raise KeyError(f"unknown grid item {item_id!r}") from None

    def item_coefficient(self, item_id: str, postcode: str | None) -> Decimal:
        """The département coefficient as it applies to an item: to its labour share only."""
        share = {"labour": Decimal("1"), "supply": Decimal("0"), "both": self.manifest.labour_share}[self.item(item_id).kind]
        return Decimal("1") + share * (self._coefficient_for(postcode) - Decimal("1"))

    def reference_unit_price(self, item_id: str, postcode: str | None) -> Decimal:
        """Reference unit price HT for the site's département, rounded to the cent."""
        return cents(self.item(item_id).price_ht * self.item_coefficient(item_id, postcode))

    def band(self, item_id: str, postcode: str | None) -> tuple[Decimal, Decimal]:
        item = self.item(item_id)
        coefficient = self.item_coefficient(item_id, postcode)
        return cents(item.low_ht * coefficient), cents(item.high_ht * coefficient)

    # -- labour ------------------------------------------------------------------------
    def _labour_row(self, trade: str, postcode: str | None) -> tuple[LabourRate, Decimal]:
        departement = departement_of(postcode)
        local = self.labour.get((trade, departement)) if departement else None
        if local is not None:
            return local, Decimal("1")  # a local row is already a local price
        national = self.labour.get((trade, NATIONAL))
        if national is None:
            raise KeyError(f"no labour rate for trade {trade!r}")
        return national, self.zone_coefficient(departement)

    def labour_rate(self, trade: str, postcode: str | None) -> Decimal:
        row, coefficient = self._labour_row(trade, postcode)
        return cents(row.hourly_rate_ht * coefficient)

    def minimum_billing(self, trade: str, postcode: str | None) -> Decimal:
        row, coefficient = self._labour_row(trade, postcode)
        return cents(row.minimum_billing_ht * coefficient)

    # -- cover -------------------------------------------------------------------------
    def covers(self, guarantee: str, item_id: str | None, trade: str | None) -> bool:
        """Whether the guarantee covers this work: an item rule wins over its trade's rule.

        With neither a rule for the item nor for the trade (or no trade at all, e.g. a
        discount line) the answer is False: cover is never assumed.
        """
        if guarantee not in GUARANTEES:
            raise ValueError(f"unknown guarantee {guarantee!r}")
        if item_id is not None:
            rule = self._item_cover.get((guarantee, item_id))
            if rule is not None:
                return rule.covered
            trade = trade or self.item(item_id).trade
        if trade is None:
            return False
        rule = self._trade_cover.get((guarantee, trade))
        return bool(rule and rule.covered)

    def cover_reason(self, guarantee: str, item_id: str | None, trade: str | None) -> str | None:
        if item_id is not None and (guarantee, item_id) in self._item_cover:
            return self._item_cover[(guarantee, item_id)].reason
        trade = trade or (self.items[item_id].trade if item_id in self.items else None)
        rule = self._trade_cover.get((guarantee, trade)) if trade else None
        return rule.reason if rule else None

    # -- supplies ----------------------------------------------------------------------
    def supply_price(self, supply_id: str) -> Supply:
        try:
            return self.supplies[supply_id]
        except KeyError:
            raise KeyError(f"unknown supply {supply_id!r}") from None

    def check_supply(self, supply_id: str, quoted_unit_price_ht: Decimal, quantity: Decimal = Decimal("1")) -> SupplyCheck:
        """Supply control: queried only when the overcharge is both > 30 % and > 100 € HT."""
        supply = self.supply_price(supply_id)
        public_total = cents(supply.public_price_ht * quantity)
        quoted_total = cents(Decimal(quoted_unit_price_ht) * quantity)
        gap = quoted_total - public_total
        ratio = (gap / public_total).quantize(Decimal("0.0001"))
        queried = gap > SUPPLY_GAP_AMOUNT and ratio > SUPPLY_GAP_RATIO
        return SupplyCheck(supply, quoted_total, public_total, gap, ratio, queried)


def _load_manifest(directory: Path) -> Manifest:
    path = directory / MANIFEST
    if not path.is_file():
        raise GridError("grid manifest not found", path=str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise GridError(f"invalid YAML: {err}", path=str(path)) from None
    try:
        return Manifest.model_validate(data or {})
    except ValidationError as err:
        first = err.errors()[0]
        column = ".".join(str(p) for p in first["loc"])
        raise GridError(f"{MANIFEST}, key {column}: {first['msg'].removeprefix('Value error, ')}", path=str(path)) from None


def _unique(rows: list[tuple[int, _Row]], key, path: Path, column: str) -> dict:
    seen: dict = {}
    for line, row in rows:
        k = key(row)
        if k in seen:
            raise GridError(f"{path.name}, row {line}, column {column}: duplicate {k!r}", path=str(path))
        seen[k] = row
    return seen


def load_grid(path: str | Path | None = None) -> Grid:
    """Load and validate a grid directory (default: $QUOTE_REVIEW_GRID_DIR or the repo's reference_prices/)."""
    directory = Path(path or Settings.load().grid_dir or DEFAULT_GRID_DIR)
    manifest = _load_manifest(directory)
    files = {name: directory / file for name, file in manifest.files.items()}

    items = _unique(_read_csv(files["items"], GridItem), lambda r: r.id, files["items"], "id")
    zone_rows = _read_csv(files["zones"], Zone)
    zones = _unique(zone_rows, lambda r: r.departement, files["zones"], "departement")
    missing = [d for d in DEPARTEMENTS if d not in zones]
    if missing:
        raise GridError(f"{files['zones'].name}, row -, column departement: missing départements {', '.join(missing)}", path=str(files["zones"]))

    labour_rows = _read_csv(files["labour"], LabourRate)
    labour = _unique(labour_rows, lambda r: (r.trade, r.departement), files["labour"], "trade")
    without_rate = [t for t in TRADES if (t, NATIONAL) not in labour]
    if without_rate:
        raise GridError(f"{files['labour'].name}, row -, column trade: no national ('*') rate for {', '.join(without_rate)}", path=str(files["labour"]))

    supplies = _unique(_read_csv(files["supplies"], Supply), lambda r: r.id, files["supplies"], "id")

    cover_rows = _read_csv(files["cover"], CoverRule)
    _unique(cover_rows, lambda r: (r.guarantee, r.trade, r.item), files["cover"], "guarantee")
    for line, rule in cover_rows:
        if rule.item is not None and rule.item not in items:
            raise GridError(f"{files['cover'].name}, row {line}, column item: unknown grid item {rule.item!r}", path=str(files["cover"]))
    uncovered = [g for g in GUARANTEES if not any(r.guarantee == g for _, r in cover_rows)]
    if uncovered:
        raise GridError(f"{files['cover'].name}, row -, column guarantee: no rule for {', '.join(uncovered)}", path=str(files["cover"]))

    lexicon: tuple[LexiconEntry, ...] = ()
    if "lexicon" in files:
        lexicon_rows = _read_csv(files["lexicon"], LexiconEntry)
        _unique(lexicon_rows, lambda r: (_folded_words(r.term), r.trade), files["lexicon"], "term")
        lexicon = tuple(r for _, r in lexicon_rows)

    return Grid(directory, manifest, items, zones, labour, supplies, [r for _, r in cover_rows], lexicon)


# -- versions: diff and BT01 indexation -------------------------------------------------------

@dataclass(frozen=True)
class PriceChange:
    item_id: str
    old_price_ht: Decimal
    new_price_ht: Decimal

    @property
    def ratio(self) -> Decimal:
        return (self.new_price_ht / self.old_price_ht - 1).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class GridDiff:
    added: list[str]
    removed: list[str]
    changed: list[PriceChange]


def diff_grids(old: Grid, new: Grid) -> GridDiff:
    added = sorted(new.items.keys() - old.items.keys())
    removed = sorted(old.items.keys() - new.items.keys())
    changed = [
        PriceChange(i, old.items[i].price_ht, new.items[i].price_ht)
        for i in sorted(old.items.keys() & new.items.keys())
        if old.items[i].price_ht != new.items[i].price_ht
    ]
    return GridDiff(added, removed, changed)


# Columns moved by the building-cost index; coefficients, cover and keywords are not prices.
INDEXED_COLUMNS = {
    "items": ("price_ht", "low_ht", "high_ht"),
    "labour": ("hourly_rate_ht", "minimum_billing_ht"),
    "supplies": ("public_price_ht",),
}


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        raise ValueError(f"{what} is not a number: {text!r}") from None
    if value <= 0:
        raise ValueError(f"{what} must be positive: {text!r}")
    return value


def index_grid(
    source: str | Path,
    target: str | Path,
    old_index: str | Decimal,
    new_index: str | Decimal,
    version: str,
    effective_date: dt.date,
    index_period: str | None = None,
) -> Grid:
    """Write a new grid version whose prices are the source's × (new_index / old_index).

    Each indexed price is rounded to the cent once. The new manifest records the version,
    effective date and index value; the result is loaded back (and so validated) before return.
    """
    old_value = _decimal(old_index, "old index")
    new_value = _decimal(new_index, "new index")
    ratio = new_value / old_value
    src_grid = load_grid(source)
    target = Path(target)
    if target.resolve() == Path(source).resolve():
        raise ValueError("target directory must differ from the source grid")
    target.mkdir(parents=True, exist_ok=True)
    for name, file in src_grid.manifest.files.items():
        text = (Path(source) / file).read_text(encoding="utf-8")
        columns = INDEXED_COLUMNS.get(name)
        if columns:
            reader = csv.DictReader(text.splitlines())
            rows = list(reader)
            for row in rows:
                for column in columns:
                    row[column] = str(cents(Decimal(row[column]) * ratio))
            with (target / file).open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=reader.fieldnames, lineterminator="\n")
                writer.writeheader()
                writer.writerows(rows)
        else:
            (target / file).write_text(text, encoding="utf-8")
    manifest = src_grid.manifest.model_dump(mode="json")
    manifest["version"] = version
    manifest["effective_date"] = effective_date.isoformat()
    manifest["index"]["value"] = str(new_value)
    manifest["index"]["period"] = index_period or manifest["index"]["period"]
    manifest["previous"] = {"version": src_grid.version, "index_value": str(old_value)}
    header = (
        f"# Generated by `quote-review grid index` from version {src_grid.version}: "
        f"prices × {new_value}/{old_value} ({src_grid.manifest.index.name}).\n"
    )
    (target / MANIFEST).write_text(header + yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_grid(target)
