"""What one generated quote says (its truth) and how it is worded, drawn from a seeded RNG.

All money is Decimal and rounded to the cent once, half up, where a figure is produced:
line total = cents(qty x unit price); total HT = sum of lines; TVA per rate on that rate's
base; TTC = HT + TVA. The layout (``render``) prints exactly these figures.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from core.models import cents, money_json, number_json

from . import vocab

D0 = Decimal("0")

# Layout families. Each fixes the table look and column order; wording, number and date
# formats, blocks and options are drawn independently so that families and vocabularies cross.
FAMILIES: dict[str, dict] = {
    "grid": dict(table="grid", font="Helvetica", columns=("desc", "qty", "unit", "pu", "total", "vat"),
                 supplier=("left",)),
    "open": dict(table="open", font="Helvetica", columns=("desc", "unit", "qty", "pu", "total", "vat"),
                 supplier=("center",)),
    "zebra": dict(table="zebra", font="Helvetica", columns=("ref", "desc", "qty", "unit", "pu", "total"),
                  supplier=("left", "right")),
    "band": dict(table="band", font="Helvetica", columns=("desc", "vat", "qty", "unit", "pu", "total"),
                 supplier=("left", "center")),
    "ledger": dict(table="dashed", font="Courier", columns=("ref", "desc", "unit", "qty", "pu", "total"),
                   supplier=("left",)),
    "lots": dict(table="rules", font="Helvetica", columns=("desc", "qty", "unit", "pu", "total"),
                 supplier=("left", "right"), lots=True),
    "qty-first": dict(table="grid", font="Helvetica", columns=("qty", "unit", "desc", "pu", "total", "vat"),
                      supplier=("right", "left")),
    "times": dict(table="rules", font="Times-Roman", columns=("ref", "desc", "unit", "qty", "pu", "vat", "total"),
                  supplier=("right",)),
}

# Header wordings. `vocabulary` in the truth is the index of the set used.
VOCABULARIES: tuple[dict, ...] = (
    dict(desc="Désignation", qty="Qté", unit="U", pu="P.U. HT", total="Montant HT", vat="TVA", ref="Réf.",
         ht="Total HT", tva="TVA {rate}", ttc="Total TTC", tva_sum="Total TVA"),
    dict(desc="Libellé", qty="Quantité", unit="Unité", pu="Prix unitaire", total="Total HT", vat="TVA", ref="Code",
         ht="Montant HT", tva="T.V.A. {rate}", ttc="Montant TTC", tva_sum="Montant TVA"),
    dict(desc="Description", qty="Qte", unit="Un.", pu="PU HT", total="Montant", vat="Tx TVA", ref="Article",
         ht="TOTAL H.T.", tva="TVA à {rate}", ttc="TOTAL T.T.C.", tva_sum="TOTAL T.V.A."),
    dict(desc="Prestation", qty="Nb", unit="Unité", pu="Prix U.", total="Prix total HT", vat="% TVA", ref="Réf",
         ht="Total hors taxes", tva="TVA {rate}", ttc="Net à payer", tva_sum="Total TVA"),
    dict(desc="Détail des travaux", qty="Quantité", unit="U", pu="PU", total="Total HT", vat="TVA", ref="Réf.",
         ht="Total HT", tva="Montant TVA {rate}", ttc="Total TTC à payer", tva_sum="Total TVA"),
    dict(desc="Désignation des ouvrages", qty="Qté", unit="Unité", pu="Prix unitaire HT", total="Montant HT",
         vat="T.V.A.", ref="N°", ht="Montant total HT", tva="TVA ({rate})", ttc="Montant total TTC",
         tva_sum="Total T.V.A."),
)

# The held-out set (``--held-out``): layouts and wordings that the default generation never draws,
# so that an extractor tuned on the families above can be measured on quoting software it has not seen.
# A family's ``look`` departs from the default renderer (see ``render_heldout``); ``many_lines`` draws
# 8-16 lines, so that the quote often runs over two pages.
HELD_OUT_FAMILIES: dict[str, dict] = {
    "pillars": dict(table="vertical", font="Helvetica", columns=("desc", "unit", "pu", "qty", "total", "vat"),
                    supplier=("footer",), look=dict(size=9.4, row_pad=6.0, totals="left-box", page_header=False,
                                                    many_lines=False)),
    "airy": dict(table="none", font="Times-Roman", columns=("ref", "qty", "desc", "unit", "pu", "total"),
                 supplier=("left", "right"), look=dict(size=10.2, row_pad=11.0, totals="right", page_header=True,
                                                       many_lines=True)),
    "glued": dict(table="tint", font="Helvetica", columns=("desc", "qty", "pu", "total"),
                  supplier=("right", "footer"), look=dict(size=7.6, row_pad=4.0, totals="left-box",
                                                          page_header=True, many_lines=False)),
    "chapters": dict(table="underline", font="Times-Roman", columns=("ref", "desc", "qty", "unit", "pu", "vat", "total"),
                     supplier=("left",), lots=True, look=dict(size=9.0, row_pad=5.0, totals="right", page_header=True,
                                                               many_lines=True)),
}

# Held-out header, totals and page wordings; `vocabulary` in the truth is len(VOCABULARIES) + index.
# `carry_out`/`carry_in` word the carried-forward rows, `lot`/`lot_total` the section rows.
HELD_OUT_VOCABULARIES: tuple[dict, ...] = (
    dict(desc="Intitulé", qty="Quant.", unit="Unité de mesure", pu="PU H.T.", total="Total ligne", vat="Taux",
         ref="Repère", ht="Total net HT", tva="TVA {rate}", ttc="Net à payer TTC", tva_sum="Total TVA",
         client="Destinataire :", site="Adresse du chantier :", date="Date d'émission : {}",
         carry_out="Total à reporter", carry_in="Report page précédente", lot="{n}. {title}",
         lot_total="Total {title}"),
    dict(desc="Nature des travaux", qty="Qté.", unit="Un", pu="Prix HT", total="Mt HT", vat="Code TVA", ref="Art.",
         ht="Base HT", tva="TVA au taux de {rate}", ttc="TOTAL TTC", tva_sum="Total TVA",
         client="À l'attention de :", site="Chantier :", date="Établi le {}",
         carry_out="Cumul à reporter", carry_in="Cumul reporté", lot="CHAPITRE {n} – {title}",
         lot_total="Total chapitre {n}"),
    dict(desc="Ouvrage", qty="Q", unit="Unité", pu="P.U.", total="Montant H.T.", vat="Taux TVA", ref="Poste",
         ht="Montant H.T.", tva="T.V.A. à {rate}", ttc="Montant à régler", tva_sum="Montant T.V.A.",
         client="Maître d'ouvrage :", site="Adresse d'intervention :", date="Édité le {}",
         carry_out="Total page", carry_in="Reprise", lot="Poste {n} : {title}", lot_total="Total poste {n}"),
    dict(desc="Descriptif", qty="Quantité", unit="U.M.", pu="Prix unit. HT", total="Total ligne HT", vat="TVA",
         ref="Réf. article", ht="Total HT net", tva="TVA {rate}", ttc="Total TTC net", tva_sum="TVA totale",
         client="Adressé à :", site="Lieu d'intervention :", date="En date du {}",
         carry_out="Sous-total à reporter", carry_in="Report", lot="{title}", lot_total="Sous-total {title}"),
)

NUMBER_STYLES = ("fr_space", "fr_plain", "fr_dot", "en")
HELD_OUT_DISCOUNTS = ("Remise commerciale 5 %", "Remise exceptionnelle (5 %)", "Geste commercial - 5 %")
HELD_OUT_NUMBER_STYLES = NUMBER_STYLES + ("fr_nbsp",)  # 1\u00a0234,56: a no-break space groups thousands
CURRENCY_STYLES = ("", " €", " EUR", "€")
DATE_STYLES = ("slash", "dot", "long", "dash")
SIRET_STYLES = ("spaced", "plain", "split", "siren_rcs")
VAT_STYLES = ("pct", "dec", "int", "code")
RATE_MIXES = (
    (Decimal("0.1"),), (Decimal("0.1"),), (Decimal("0.2"),),
    (Decimal("0.1"), Decimal("0.2")), (Decimal("0.055"), Decimal("0.1"), Decimal("0.2")),
)
VAT_CODES = {Decimal("0.2"): 1, Decimal("0.1"): 2, Decimal("0.055"): 3}


@dataclass
class Line:
    description: str
    total_ht: Decimal
    quantity: Decimal | None
    unit: str | None
    unit_label: str
    unit_price_ht: Decimal | None
    vat_rate: Decimal | None
    trade: str | None
    market_unit_price_ht: Decimal | None
    ref: str = ""
    lot: int = 0
    is_discount: bool = False
    # filled by the renderer
    page: int = 1
    bbox: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)


@dataclass
class Party:
    name: str
    street: str
    postcode: str
    city: str
    rcs_city: str = ""


@dataclass(frozen=True)
class Look:
    """What a held-out family changes in the page beyond the table style."""
    size: float  # body font size
    row_pad: float  # vertical padding of a table row
    totals: str  # "left-box" (framed, left) | "right"
    page_header: bool  # "Page n/N" at the top of every page
    many_lines: bool


@dataclass
class Style:
    family: str
    table: str
    font: str
    columns: tuple[str, ...]
    supplier_pos: str
    vocabulary: int
    words: dict
    number: str
    currency: str
    date: str
    siret: str
    vat: str
    qty_decimals: bool  # print 1,00 rather than 1
    uppercase: bool
    lots: bool
    reporter: bool
    acompte: int | None  # percent, printed as a mention, never a line
    site_block: bool
    signature: bool
    rate_bases: bool  # print the base next to each VAT rate
    look: Look | None = None  # held-out families only


@dataclass
class QuoteSpec:
    doc_id: str
    doc_type: str  # devis | facture
    supplier: Party
    siren: str
    siret: str
    trades_line: str
    phone: str
    email: str
    client: Party
    site: Party | None
    number: str
    title: str
    date: dt.date
    peril: str
    guarantee: str
    claim_ref: str
    lines: list[Line]
    rates: tuple[Decimal, ...]
    price_factor: Decimal
    style: Style
    lot_titles: dict[int, str] = field(default_factory=dict)

    @property
    def items(self) -> list[Line]:
        return [line for line in self.lines if not line.is_discount]

    def vat_by_rate(self) -> list[tuple[Decimal, Decimal, Decimal]]:
        """(rate, base, tva) per rate, in increasing rate order."""
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
    def site_postcode(self) -> str:
        return (self.site or self.client).postcode

    def truth(self, kind: str, file: str, pages: int, degradations: dict) -> dict:
        market_total = sum(
            (cents((line.quantity or Decimal(1)) * line.market_unit_price_ht) for line in self.items), D0)
        return {
            "doc_id": self.doc_id,
            "is_quote": True,
            "supplier": {"name": self.supplier.name, "siren": self.siren,
                         "siret": None if self.style.siret == "siren_rcs" else self.siret},
            "quote_number": self.number,
            "date": self.date.isoformat(),
            "site_postcode": self.site_postcode,
            "lines": [
                {
                    "description": line.description,
                    "quantity": number_json(line.quantity),
                    "unit": line.unit,
                    "unit_price_ht": money_json(line.unit_price_ht),
                    "total_ht": money_json(line.total_ht),
                    "vat_rate": number_json(line.vat_rate),
                    "trade": line.trade,
                    "market_unit_price_ht": money_json(line.market_unit_price_ht),
                    "page": line.page,
                    "bbox": [round(v, 4) for v in line.bbox],
                }
                for line in self.lines
            ],
            "totals": {"ht": money_json(self.total_ht), "tva": money_json(self.total_tva),
                       "ttc": money_json(self.total_ttc)},
            "file": file,
            "kind": kind,
            "template": self.style.family,
            "vocabulary": self.style.vocabulary,
            "degradations": degradations,
            "price_factor": float(self.price_factor),
            "pages": pages,
            "doc_type": self.doc_type,
            "claim": self.guarantee,
            "market_total_ht": money_json(market_total),
        }


def luhn_complete(digits: str) -> str:
    """Append the Luhn check digit that SIREN and SIRET numbers carry."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return digits + str((10 - total % 10) % 10)


def draw_siret(rng: random.Random) -> tuple[str, str]:
    siren = luhn_complete(str(rng.randint(10_000_000, 99_999_999)))
    siret = luhn_complete(siren + f"{rng.randint(1, 999):04d}")
    return siren, siret


def _quantity(rng: random.Random, unit: str) -> Decimal:
    if unit == "m2":
        q = rng.uniform(2, 40)
        return Decimal(str(round(q * 2) / 2 if rng.random() < 0.5 else round(q, 2)))
    if unit == "ml":
        return Decimal(str(round(rng.uniform(1, 22), 1)))
    if unit == "m3":
        return Decimal(str(round(rng.uniform(0.5, 6), 1)))
    if unit == "h":
        return Decimal(str(rng.choice((1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 8, 10, 12, 14))))
    if unit == "kg":
        return Decimal(rng.randint(2, 40))
    if unit == "u":
        return Decimal(rng.choice((1, 1, 1, 2, 2, 3, 4, 5, 6)))
    return Decimal(1)


def _scaled(q: Decimal, unit: str, factor: float) -> Decimal:
    if unit in ("forfait",):
        return q
    value = float(q) * factor
    if unit in ("u", "kg"):
        return Decimal(max(1, round(value)))
    if unit == "h":
        return Decimal(str(max(1.0, round(value * 2) / 2)))
    return Decimal(str(max(0.5, round(value, 2))))


def fmt_date(d: dt.date, style: str) -> str:
    if style == "slash":
        return d.strftime("%d/%m/%Y")
    if style == "dot":
        return d.strftime("%d.%m.%Y")
    if style == "dash":
        return d.strftime("%d-%m-%Y")
    return f"{d.day} {vocab.MONTHS_FR[d.month - 1]} {d.year}"


def _quote_number(rng: random.Random, doc_type: str, year: int) -> tuple[str, str]:
    """(number as the truth stores it, title line as printed)."""
    n = rng.randint(10, 9999)
    if doc_type == "facture":
        number = rng.choice((f"FA-{n}", f"F{year}-{n:04d}", f"FAC-{year % 100}{rng.randint(1, 12):02d}-{n % 100:02d}",
                             f"{year}{n:04d}"))
        title = rng.choice(("FACTURE {}", "Facture N° {}", "Facture {}", "FACTURE n° {}"))
    else:
        number = rng.choice((f"D{year}-{n:04d}", f"{year}/{n % 1000}", f"DEV-{year % 100}{rng.randint(1, 12):02d}-{n % 100:02d}",
                             f"DV{n:04d}", f"{year}{n:04d}"))
        title = rng.choice(("DEVIS N° {}", "Devis n°: {}", "DEVIS n° {}", "Devis N° {}", "DEVIS {}"))
    return number, title.format(number)


def _party(rng: random.Random, name: str) -> Party:
    postcode, city, rcs = rng.choice(vocab.CITIES)
    street = f"{rng.randint(1, 140)} {rng.choice(vocab.STREETS)}"
    return Party(name=name, street=street, postcode=postcode, city=city, rcs_city=rcs)


def _target_ttc(rng: random.Random) -> float:
    r = rng.random()
    if r < 0.15:
        return rng.uniform(320, 640)
    if r < 0.85:
        return rng.uniform(680, 6400)
    return rng.uniform(6600, 8800)


def draw_style(rng: random.Random, family: str) -> Style:
    fam = FAMILIES[family]
    columns = fam["columns"]
    vat = rng.choice(VAT_STYLES)
    if "vat" not in columns and family != "lots" and rng.random() < 0.3:
        columns = columns + ("vat",)
    vocabulary = rng.randrange(len(VOCABULARIES))
    lots = bool(fam.get("lots"))
    return Style(
        family=family, table=fam["table"], font=fam["font"], columns=columns,
        supplier_pos=rng.choice(fam["supplier"]), vocabulary=vocabulary, words=VOCABULARIES[vocabulary],
        number=rng.choice(NUMBER_STYLES), currency=rng.choice(CURRENCY_STYLES), date=rng.choice(DATE_STYLES),
        siret=rng.choice(SIRET_STYLES), vat=vat, qty_decimals=rng.random() < 0.5,
        uppercase=rng.random() < 0.1, lots=lots, reporter=lots or rng.random() < 0.4,
        acompte=rng.choice((30, 30, 40, 50)) if (lots or rng.random() < 0.3) else None,
        site_block=rng.random() < 0.6, signature=rng.random() < 0.7, rate_bases=rng.random() < 0.5,
    )


def draw_held_out_style(rng: random.Random, family: str) -> Style:
    fam = HELD_OUT_FAMILIES[family]
    columns = fam["columns"]
    index = rng.randrange(len(HELD_OUT_VOCABULARIES))
    words = HELD_OUT_VOCABULARIES[index]
    vat = "code" if words["vat"] == "Code TVA" else rng.choice(VAT_STYLES)
    if "vat" not in columns and rng.random() < 0.4:
        columns = columns + ("vat",)
    lots = bool(fam.get("lots"))
    return Style(
        family=family, table=fam["table"], font=fam["font"], columns=columns,
        supplier_pos=rng.choice(fam["supplier"]), vocabulary=len(VOCABULARIES) + index, words=words,
        number=rng.choice(HELD_OUT_NUMBER_STYLES), currency=rng.choice(CURRENCY_STYLES), date=rng.choice(DATE_STYLES),
        siret=rng.choice(SIRET_STYLES), vat=vat, qty_decimals=rng.random() < 0.5,
        uppercase=rng.random() < 0.1, lots=lots, reporter=lots or rng.random() < 0.5,
        acompte=rng.choice((20, 30, 40)) if rng.random() < 0.3 else None,
        site_block=rng.random() < 0.6, signature=rng.random() < 0.7, rate_bases=rng.random() < 0.5,
        look=Look(**fam["look"]),
    )


def _held_out_quote_number(rng: random.Random, doc_type: str, year: int) -> tuple[str, str]:
    """(number as the truth stores it, title line as printed), in formats the default draw never uses."""
    n = rng.randint(10, 99999)
    if doc_type == "facture":
        number = rng.choice((f"FC{year % 100}{n:05d}", f"{year}-FAC-{n:05d}", f"F-{n:06d}"))
        title = rng.choice(("FACTURE N°{}", "Facture de travaux n° {}", "Facture n° {}"))
    else:
        number = rng.choice((f"DE{year % 100}{n:05d}", f"{year}-DEV-{n:05d}", f"Q{year % 100}-{n:05d}", f"D-{n:06d}"))
        title = rng.choice(("DEVIS ESTIMATIF N° {}", "Devis N°{}", "Proposition de devis n° {}", "DEVIS - Réf. {}"))
    return number, title.format(number)


def draw_quote(rng: random.Random, doc_id: str, family: str, max_lines: int = 16) -> QuoteSpec:
    """Draw one quote whose TTC falls in 300..9000 EUR; arithmetic exact by construction.

    ``family`` is one of ``FAMILIES`` or of ``HELD_OUT_FAMILIES``.
    """
    style = draw_held_out_style(rng, family) if family in HELD_OUT_FAMILIES else draw_style(rng, family)
    doc_type = "facture" if rng.random() < 0.25 else "devis"
    last = rng.choice(vocab.SUPPLIER_FIRST)
    supplier = _party(rng, rng.choice(vocab.SUPPLIER_PATTERNS).format(n=last, N=last.upper()))
    client = _party(rng, f"{rng.choice(('M.', 'Mme', 'M. et Mme'))} {rng.choice(vocab.CLIENT_FIRST)} "
                         f"{rng.choice(vocab.CLIENT_LAST)}")
    site = _party(rng, "") if style.site_block else None
    siren, siret = draw_siret(rng)
    date = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 730))
    number, title = (_held_out_quote_number if style.look else _quote_number)(rng, doc_type, date.year)
    peril = rng.choice("eeeetvbi")
    peril_label, guarantee = vocab.PERIL_OBJECTS[peril]
    pool = [w for w in vocab.WORK_ITEMS if peril in w.perils]
    trades = sorted({w.trade for w in pool})  # sorted first: set order varies with the hash seed
    rng.shuffle(trades)
    rates = rng.choice(RATE_MIXES)
    price_factor = Decimal(str(round(rng.uniform(0.85, 1.6), 3)))
    # A discount is printed only on single-rate quotes, so that it has one VAT rate.
    discount = len(rates) == 1 and (style.lots or rng.random() < 0.12)
    blank_forfait = 0.5 if style.lots else (0.2 if rng.random() < 0.3 else 0.0)
    target = _target_ttc(rng)

    many_lines = style.lots or (style.look is not None and style.look.many_lines)
    n_lines = min(max_lines, rng.randint(8, 16) if many_lines else rng.randint(3, 12))
    chosen: list = []
    for trade in trades:
        in_trade = [w for w in pool if w.trade == trade]
        rng.shuffle(in_trade)
        chosen.extend(in_trade[: rng.randint(1, 3)])
        if len(chosen) >= n_lines:
            break
    chosen = chosen[:n_lines]
    order = {t: i for i, t in enumerate(dict.fromkeys(w.trade for w in chosen))}
    chosen.sort(key=lambda w: order[w.trade])

    drafts = []
    for w in chosen:
        phrase = rng.choice(w.phrasings)
        if rng.random() < 0.2:
            phrase += rng.choice(vocab.DESIGNATION_SUFFIXES)
        if style.uppercase or rng.random() < 0.05:
            phrase = phrase.upper()
        market = cents(w.market_price * Decimal(str(round(rng.uniform(0.9, 1.12), 3))))
        drafts.append(dict(item=w, phrase=phrase, market=market, price=cents(market * price_factor),
                           qty=_quantity(rng, w.unit), rate=rng.choice(rates),
                           label=rng.choice(vocab.UNIT_LABELS[w.unit]),
                           blank=w.unit == "forfait" and rng.random() < blank_forfait))

    # Scale the measured quantities so that the quote lands near the drawn TTC.
    mean_rate = 1 + float(sum(rates)) / len(rates)
    current = float(sum(d["qty"] * d["price"] for d in drafts)) * mean_rate
    fixed = float(sum(d["price"] for d in drafts if d["item"].unit == "forfait")) * mean_rate
    factor = max(0.2, min(6.0, (target - fixed) / max(1.0, current - fixed)))
    lot_of = {t: i + 1 for i, t in enumerate(order)}
    lines: list[Line] = []
    for i, d in enumerate(drafts):
        w = d["item"]
        qty = _scaled(d["qty"], w.unit, factor)
        ref = (f"{lot_of[w.trade]}.{sum(1 for x in lines if x.lot == lot_of[w.trade]) + 1}"
               if rng.random() < 0.5 else f"{w.trade[:3].upper()}{rng.randint(1, 999):03d}")
        if d["blank"]:
            lines.append(Line(d["phrase"], d["price"], None, "forfait", d["label"], None, d["rate"], w.trade,
                              d["market"], ref, lot_of[w.trade]))
        else:
            lines.append(Line(d["phrase"], cents(qty * d["price"]), qty, w.unit, d["label"], d["price"], d["rate"],
                              w.trade, d["market"], ref, lot_of[w.trade]))
    if discount:
        items_ht = sum((line.total_ht for line in lines), D0)
        label = rng.choice(HELD_OUT_DISCOUNTS) if style.look else "Remise 5 % sur total HT"
        lines.append(Line(label, -cents(items_ht * Decimal("0.05")), None, None, "", None,
                          rates[0], None, None, "", lot=0, is_discount=True))

    spec = QuoteSpec(
        doc_id=doc_id, doc_type=doc_type, supplier=supplier, siren=siren, siret=siret,
        trades_line=" - ".join(vocab.LOT_TITLES[t] for t in list(order)[:3]),
        phone=f"0{rng.randint(1, 7)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
        email=f"contact@{last.lower().replace('è', 'e').replace('é', 'e')}-{rng.choice(('bat', 'reno', 'pro', 'travaux'))}.fr",
        client=client, site=site, number=number, title=title, date=date, peril=peril_label, guarantee=guarantee,
        claim_ref=str(rng.randint(2024000000, 2026999999)), lines=lines, rates=rates, price_factor=price_factor,
        style=style, lot_titles={lot_of[t]: vocab.LOT_TITLES[t] for t in order},
    )
    return spec
