"""What one "wild" document says (its truth), drawn from a seeded RNG and the wordings of ``wordings.yaml``.

Money is Decimal, rounded to the cent once, half up, where a figure is produced:
line total = cents(qty x unit price x (1 - discount)); total HT = sum of the lines; TVA per rate
= cents(base of that rate x rate); TTC = HT + TVA. A credit note (avoir) carries negative unit
prices, totals and VAT. Down-payments, "reste à payer", chapter sub-totals and carried-forward
rows are printed but are not lines. The renderer prints exactly these figures.
"""
from __future__ import annotations

import datetime as dt
import functools
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import yaml

WORDINGS_PATH = Path(__file__).with_name("wordings.yaml")
CENT = Decimal("0.01")
D0 = Decimal(0)
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")

# Layouts. `cols` is the column order; `header` names a header-wording block of wordings.yaml.
# Flags: vat_col (rate per line), vat_summary (taux/base/TVA table), disc (Remise % column),
# subrows (reference/note under a line), chapters ("numbered" 1.1, 1.2 or "lots" with CCTP codes),
# many (18-28 lines, so the table runs over two pages), carry (carried-forward rows between pages),
# pad (row padding), doc (forced document type), paid (acompte versé / reste à payer), supplier (where it is printed),
# date (forced date style), style (table look).
LAYOUTS: dict[str, dict] = {
    "plain-heads": dict(header="plain", cols=("desc", "unit", "qty", "pu", "total"), style="grid",
                        font="Helvetica"),
    "two-row-head": dict(header="two_rows", cols=("desc", "qty", "unit", "pu", "vat", "total"), style="rules",
                         font="Helvetica", vat_col=True),
    "numbered": dict(header="numbered", cols=("num", "code", "desc", "vat", "pu", "qty", "unit", "total"),
                     style="zebra", font="Helvetica", vat_col=True),
    "discount": dict(header="discount", cols=("code", "desc", "qty", "unit", "pu", "disc", "total"), style="grid",
                     font="Helvetica", disc=True, vat_summary=True),
    "sub-rows": dict(header="subrows", cols=("desc", "qty", "unit", "pu", "vat", "total"), style="none",
                     font="Times-Roman", vat_col=True, subrows=True),
    "vat-summary": dict(header="ratecol", cols=("code", "desc", "unit", "qty", "pu", "vat", "total"), style="rules",
                        font="Helvetica", vat_col=True, vat_summary=True, multi_rate=True),
    "invoice-paid": dict(header="excel", cols=("desc", "qty", "unit", "pu", "total"), style="grid",
                         font="Helvetica", doc="facture", paid=True, vat_summary=True),
    "two-page-report": dict(header="ratecol", cols=("desc", "qty", "unit", "pu", "vat", "total"), style="rules",
                            font="Helvetica", vat_col=True, many=True, carry=True, pad=11.0),
    "two-page-plain": dict(header="plain", cols=("desc", "unit", "qty", "pu", "total"), style="none",
                           font="Times-Roman", many=True, carry=False, pad=12.0),
    "credit-note": dict(header="numbered", cols=("num", "code", "desc", "qty", "unit", "pu", "vat", "total"),
                        style="grid", font="Helvetica", vat_col=True, doc="avoir"),
    "memoire": dict(header="memoire", cols=("num", "desc", "unit", "qty", "pu", "total"), style="rules",
                    font="Times-Roman", chapters="numbered", doc="memoire", many=True, carry=True),
    "footer-supplier": dict(header="excel", cols=("desc", "qty", "unit", "pu", "total"), style="zebra",
                            font="Helvetica", supplier="footer", date="long-le"),
    "dpgf": dict(header="dpgf", cols=("code", "desc", "unit", "qty", "pu", "total"), style="grid",
                 font="Helvetica", chapters="lots"),
}
NOT_QUOTE_TEMPLATES = ("wild-letter", "wild-form", "wild-photo")
NUMBER_STYLES = ("dot", "space", "plain")  # 1.235,40 / 1 235,40 / 1235,40
RATE_MIXES = ((Decimal("0.1"),), (Decimal("0.2"),), (Decimal("0.1"), Decimal("0.2")),
              (Decimal("0.055"), Decimal("0.1"), Decimal("0.2")))


def cents(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@functools.lru_cache(maxsize=1)
def wordings() -> dict:
    return yaml.safe_load(WORDINGS_PATH.read_text(encoding="utf-8"))


@dataclass
class Line:
    description: str
    quantity: Decimal
    unit: str
    unit_label: str
    unit_price_ht: Decimal
    discount_pct: Decimal
    vat_rate: Decimal
    trade: str
    market_unit_price_ht: Decimal
    source: str
    number: str = ""  # "3" or "1.2"
    code: str = ""
    chapter: int = 0
    subrow: str = ""
    page: int = 1
    bbox: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    @property
    def total_ht(self) -> Decimal:
        return cents(self.quantity * self.unit_price_ht * (100 - self.discount_pct) / 100)


@dataclass
class Party:
    name: str
    street: str
    postcode: str
    city: str
    rcs_city: str = ""


@dataclass
class WildDoc:
    doc_id: str
    layout: str
    conf: dict
    doc_type: str  # devis | facture | avoir | memoire
    supplier: Party
    siren: str
    siret: str
    siret_style: str
    phone: str
    email: str
    client: Party
    client_label: str
    site: Party | None
    site_label: str
    number: str
    title: str
    date: dt.date
    date_style: str
    date_label: str
    peril: str
    guarantee: str
    claim_ref: str
    object_line: str
    lines: list[Line]
    header_words: dict
    header_index: int
    totals_words: dict
    totals_index: int
    vat_summary_words: dict
    number_style: str
    currency: str
    vat_style: str
    unit_upper: bool
    paid_words: dict | None
    paid_pct: int
    carry_words: dict | None
    chapter_titles: dict[int, str] = field(default_factory=dict)
    original_invoice: str = ""
    closing: str = ""
    insurance: str = ""

    def vat_by_rate(self) -> list[tuple[Decimal, Decimal, Decimal]]:
        bases: dict[Decimal, Decimal] = {}
        for line in self.lines:
            bases[line.vat_rate] = bases.get(line.vat_rate, D0) + line.total_ht
        return [(rate, base, cents(base * rate)) for rate, base in sorted(bases.items())]

    @property
    def total_ht(self) -> Decimal:
        return sum((line.total_ht for line in self.lines), D0)

    @property
    def total_tva(self) -> Decimal:
        return sum((tva for _, _, tva in self.vat_by_rate()), D0)

    @property
    def total_ttc(self) -> Decimal:
        return self.total_ht + self.total_tva

    @property
    def paid(self) -> Decimal:
        return cents(self.total_ttc * self.paid_pct / 100) if self.paid_words else D0

    def truth(self, kind: str, file: str, pages: int, degradations: dict) -> dict:
        def num(v: Decimal | None):
            if v is None:
                return None
            return int(v) if v == v.to_integral_value() else float(v)

        market_total = sum((cents(line.quantity * line.market_unit_price_ht) for line in self.lines), D0)
        sign = -1 if self.doc_type == "avoir" else 1
        return {
            "doc_id": self.doc_id,
            "is_quote": True,
            "supplier": {"name": self.supplier.name, "siren": self.siren,
                         "siret": None if self.siret_style == "rcs" else self.siret},
            "quote_number": self.number,
            "date": self.date.isoformat(),
            "site_postcode": (self.site or self.client).postcode,
            "lines": [
                {
                    "description": line.description,
                    "quantity": num(line.quantity),
                    "unit": line.unit,
                    "unit_price_ht": float(line.unit_price_ht),
                    "total_ht": float(line.total_ht),
                    "vat_rate": num(line.vat_rate),
                    "trade": line.trade,
                    "market_unit_price_ht": float(sign * line.market_unit_price_ht),
                    "page": line.page,
                    "bbox": [round(v, 4) for v in line.bbox],
                    "discount_pct": num(line.discount_pct),
                    "wording_source": line.source,
                }
                for line in self.lines
            ],
            "totals": {"ht": float(self.total_ht), "tva": float(self.total_tva), "ttc": float(self.total_ttc)},
            "file": file,
            "kind": kind,
            "template": self.layout,
            "vocabulary": f"wild-h{self.header_index}-t{self.totals_index}",
            "degradations": degradations,
            "price_factor": None,
            "pages": pages,
            "doc_type": self.doc_type,
            "claim": self.guarantee,
            "market_total_ht": float(sign * market_total),
        }


def luhn_complete(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return digits + str((10 - total % 10) % 10)


def fmt_date(d: dt.date, style: str) -> str:
    if style == "slash":
        return d.strftime("%d/%m/%Y")
    if style == "dot":
        return d.strftime("%d.%m.%Y")
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"  # "3 mars 2026"


def _party(rng: random.Random, name: str) -> Party:
    w = wordings()
    postcode, city, rcs = rng.choice(w["cities"])
    return Party(name, f"{rng.randint(1, 160)} {rng.choice(w['streets'])}", postcode, city, rcs)


def _quantity(rng: random.Random, unit: str, price_hi: float, span: list | None) -> Decimal:
    if span:
        value = rng.uniform(*span)
        return Decimal(round(value)) if unit == "u" else Decimal(str(round(value, 2)))
    if unit == "m2":
        return Decimal(str(round(rng.uniform(2.5, 32), rng.choice((0, 1, 2)))))
    if unit == "ml":
        return Decimal(str(round(rng.uniform(1.5, 16), 1)))
    if unit == "m3":
        return Decimal(str(round(rng.uniform(0.5, 4), 1)))
    if unit == "h":
        return Decimal(str(rng.choice((1, 1.5, 2, 3, 3.5, 4, 6, 8, 12))))
    if unit == "u":
        return Decimal(rng.randint(4, 30) if price_hi < 60 else rng.choice((1, 1, 1, 2, 2, 3, 4, 6)))
    return Decimal(1)


def _work_lines(rng: random.Random, peril: str, n_lines: int, rates: tuple[Decimal, ...], conf: dict,
                unit_upper: bool) -> list[Line]:
    w = wordings()
    pool = [item for item in w["work"] if peril in item["perils"]]
    trades = sorted({item["trade"] for item in pool})
    rng.shuffle(trades)
    chosen: list[dict] = []
    while len(chosen) < n_lines and pool:
        for trade in trades:
            in_trade = [item for item in pool if item["trade"] == trade and item not in chosen]
            rng.shuffle(in_trade)
            chosen.extend(in_trade[: rng.randint(1, 3)])
            if len(chosen) >= n_lines:
                break
        if all(item in chosen for item in pool):
            break
    chosen = chosen[:n_lines]
    order = {t: i for i, t in enumerate(dict.fromkeys(item["trade"] for item in chosen))}
    chosen.sort(key=lambda item: order[item["trade"]])
    lines = []
    used_phrases: set[str] = set()
    for item in chosen:
        phrase = rng.choice([p for p in item["say"] if p not in used_phrases] or item["say"])
        used_phrases.add(phrase)
        lo, hi = item["price"]
        price = cents(Decimal(str(rng.uniform(lo, hi))))
        unit = item["unit"]
        label = rng.choice(w["unit_labels"][unit])
        disc = Decimal(rng.choice((0, 0, 0, 5, 10, 15, 20))) if conf.get("disc") else D0
        lines.append(Line(
            description=phrase, quantity=_quantity(rng, unit, hi, item.get("qty")), unit=unit,
            unit_label=label.upper() if unit_upper else label, unit_price_ht=price, discount_pct=disc,
            vat_rate=rng.choice(rates), trade=item["trade"],
            market_unit_price_ht=cents(Decimal(str((lo + hi) / 2))), source=item["src"]))
    return lines


def draw_doc(rng: random.Random, doc_id: str, layout: str, max_lines: int) -> WildDoc:
    """One document of ``layout``; arithmetic exact by construction."""
    w = wordings()
    conf = LAYOUTS[layout]
    doc_type = conf.get("doc") or ("facture" if rng.random() < 0.35 else "devis")
    last = rng.choice(w["supplier_last"])
    supplier = _party(rng, rng.choice(w["supplier_names"]).format(n=last, N=last.upper()))
    client = _party(rng, f"{rng.choice(('M.', 'Mme', 'M. et Mme'))} {rng.choice(w['client_first'])} "
                         f"{rng.choice(w['client_last'])}")
    site = _party(rng, "") if rng.random() < 0.6 else None
    siren = luhn_complete(str(rng.randint(10_000_000, 99_999_999)))
    siret = luhn_complete(siren + f"{rng.randint(1, 999):04d}")
    date = dt.date(2025, 1, 2) + dt.timedelta(days=rng.randrange(0, 540))
    year = date.year
    n = rng.randint(12, 2999)
    number = {
        "devis": rng.choice((f"{year}-{n:04d}", f"D{year % 100}{n:04d}", f"DEV{year}{n:05d}")),
        "facture": rng.choice((f"FA{year % 100}-{n:04d}", f"{year}{n:05d}", f"F-{year}-{n:04d}")),
        "avoir": rng.choice((f"AV-{year}-{n:04d}", f"AV{year % 100}{n:04d}")),
        "memoire": rng.choice((f"M{year % 100}-{n:03d}", f"{year}/MT/{n:03d}")),
    }[doc_type]
    title = rng.choice(w["doc_titles"][doc_type]).format(n=number)
    peril_key = rng.choice("eeeetvbi")
    peril, guarantee = w["perils"][peril_key]
    if conf.get("multi_rate"):
        rates = rng.choice(RATE_MIXES[2:])
    elif conf.get("vat_col") or conf.get("vat_summary"):
        rates = rng.choice(RATE_MIXES)
    else:
        rates = rng.choice(RATE_MIXES[:2])
    unit_upper = rng.random() < 0.1
    if doc_type == "avoir":
        n_lines = rng.randint(1, 4)
    elif conf.get("many"):
        n_lines = rng.randint(18, 28)
    else:
        n_lines = rng.randint(3, 12)
    lines = _work_lines(rng, peril_key, min(n_lines, max_lines), rates, conf, unit_upper)
    if doc_type == "avoir":
        for line in lines:
            line.unit_price_ht = -line.unit_price_ht
    header_index = rng.randrange(len(w["headers"][conf["header"]]))
    numbering = conf.get("chapters")
    chapter_titles: dict[int, str] = {}
    chapter_of = {t: i + 1 for i, t in enumerate(dict.fromkeys(line.trade for line in lines))}
    counts: dict[int, int] = {}
    for i, line in enumerate(lines, start=1):
        ch = chapter_of[line.trade]
        counts[ch] = counts.get(ch, 0) + 1
        line.chapter = ch
        chapter_titles[ch] = w["chapters"][line.trade]
        if numbering == "numbered":
            line.number = f"{ch}.{counts[ch]}"
        elif numbering == "lots":
            line.code = f"{ch + 1}.{rng.randint(1, 6)}.{counts[ch]}"
        else:
            line.number = str(i)
            line.code = rng.choice((f"{line.trade[:3].upper()}-{rng.randint(10, 999):03d}",
                                    f"{rng.randint(100000, 999999)}", f"ART{rng.randint(1000, 9999)}"))
        if conf.get("subrows") and rng.random() < 0.6:
            note = rng.choice(w["subrow_notes"])
            line.subrow = note.format(ref=f"{rng.choice('ABCDGKPTX')}{rng.randint(1000, 99999)}",
                                      date=fmt_date(date - dt.timedelta(days=rng.randint(3, 30)), "slash"),
                                      room=rng.choice(w["rooms"]), n=rng.randint(1, 9),
                                      brand=rng.choice(w["brands"]))
    totals_key = "credit_totals" if doc_type == "avoir" else "totals"
    totals_index = 3 if doc_type == "memoire" else rng.randrange(len(w[totals_key]))
    paid = conf.get("paid") or (doc_type == "facture" and rng.random() < 0.2)
    date_style = "long" if conf.get("date") == "long-le" else rng.choice(("slash", "long", "dot"))
    date_label = "le {d}" if conf.get("date") == "long-le" else rng.choice(w["date_labels"])
    claim_ref = f"{rng.randint(10, 99)}{rng.randint(100000, 999999)}"
    object_line = rng.choice(w["object_labels"]).format(
        peril=peril, claim_ref=claim_ref, claim_date=fmt_date(date - dt.timedelta(days=rng.randint(10, 60)), "slash"))
    original = f"FA{year % 100}-{rng.randint(10, 2999):04d}" if doc_type == "avoir" else ""
    closing = rng.choice(w["closing"][doc_type]).format(orig=original)
    insurance = rng.choice(w["insurance"]).format(ins=rng.choice(w["insurers"]), pol=rng.randint(1000000, 9999999))
    return WildDoc(
        doc_id=doc_id, layout=layout, conf=conf, doc_type=doc_type, supplier=supplier, siren=siren, siret=siret,
        siret_style=rng.choice(("spaced", "plain", "rcs", "label")),
        phone=f"0{rng.randint(1, 9)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
        email=f"{rng.choice(('contact', 'devis', 'compta', 'info'))}@{last.lower()}-{rng.choice(('renov', 'bat', 'pro'))}.fr",
        client=client, client_label=rng.choice(w["client_labels"]), site=site, site_label=rng.choice(w["site_labels"]),
        number=number, title=title, date=date, date_style=date_style, date_label=date_label, peril=peril,
        guarantee=guarantee, claim_ref=claim_ref, object_line=object_line, lines=lines,
        header_words=w["headers"][conf["header"]][header_index], header_index=header_index,
        totals_words=w[totals_key][totals_index], totals_index=totals_index,
        vat_summary_words=rng.choice(w["vat_summary"]),
        number_style=rng.choice(NUMBER_STYLES), currency=rng.choice(("", " €", " €", "€")),
        vat_style=rng.choice(("pct", "dec", "int")), unit_upper=unit_upper,
        paid_words=rng.choice(w["paid"]) if paid else None, paid_pct=rng.choice((20, 30, 40)),
        carry_words=rng.choice(w["carry"]) if conf.get("carry") else None, chapter_titles=chapter_titles,
        original_invoice=original, closing=closing, insurance=insurance,
    )
