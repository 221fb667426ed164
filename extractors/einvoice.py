"""E-invoices read exactly: the CII XML a Factur-X / ZUGFeRD PDF carries, checked against its printed page.

The XML (UN/CEFACT Cross Industry Invoice) holds every figure the page prints, exactly. When a PDF carries
one, the extraction takes supplier, number, date, site postcode, lines and totals from it, then checks the
TTC, the HT and each line total against what the page prints: a figure the page does not show is an
``EINVOICE_MISMATCH`` (both figures kept), which sends the review to a reviewer. An XML that cannot be read
is a warning, and the page is read as for any PDF.

Elements are matched by local name, never by namespace or prefix, so ZUGFeRD 1.0 (``CrossIndustryDocument``),
ZUGFeRD 2.0 to 2.4 and Factur-X 1.0 (``CrossIndustryInvoice``) are read by the same code.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from lxml import etree
from rapidfuzz import fuzz

from extractors.layout import group_lines
from extractors.numbers import AMOUNT_RE, parse_number
from extractors.quote import read_quote
from core.models import (
    AllowanceCharge,
    Extraction,
    LineItem,
    Mismatch,
    PageText,
    Supplier,
    Totals,
    cents,
    euros,
)

EINVOICE = "einvoice"
# UN/ECE Recommendation 20 unit codes to the contract's units; a code without one (LTR, DAY...) gives None.
UNIT_CODES = {
    "C62": "u", "H87": "u", "EA": "u", "PCE": "u", "XPP": "u", "NAR": "u", "NPR": "u", "SET": "u", "XST": "u",
    "HUR": "h", "MTK": "m2", "MTR": "ml", "LM": "ml", "MTQ": "m3", "KGM": "kg", "LS": "forfait",
}
# VAT categories taxed at 0 % whose XML may omit the rate (exempt, reverse charge, intra-EU, export...).
ZERO_RATE_CATEGORIES = frozenset({"E", "K", "AE", "O", "Z", "G"})
# Credit-note type codes (UNTDID 1001). Their amounts are written positive in the XML; the contract has them
# negative, like an avoir printed with minus signs. A corrected invoice (384) is taken as its XML signs it.
CREDIT_NOTE_CODES = frozenset({"381", "261", "262", "296", "308", "396", "420", "458", "532"})
# How alike a page line's description must be to an XML line's to be taken as the same line.
SAME_LINE_SIMILARITY = 60
# Fields the extraction names a source for.
FIELDS = ("supplier", "quote_number", "date", "site_postcode", "lines", "totals")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True,
                          remove_pis=True)


class UnreadableEInvoice(ValueError):
    """The attached XML is not a CII invoice we can read: the page is read instead (with a warning)."""


@dataclass
class EInvoice:
    """What the XML says, with, per line, the unit prices the page may print (net, gross, per N units)."""

    extraction: Extraction
    price_choices: list[list[Decimal]] = field(default_factory=list)


# --- reading the XML, by local names ---------------------------------------------------------------------

def _local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _kids(node, name: str) -> list:
    return [c for c in node if _local(c) == name] if node is not None else []


def _kid(node, *path: str):
    """Follow direct children by local name; None as soon as one is missing."""
    for name in path:
        found = _kids(node, name)
        if not found:
            return None
        node = found[0]
    return node


def _first(node, *names: str):
    """The first direct child with one of these local names (the ZUGFeRD 2.x name first, then 1.0's)."""
    for name in names:
        found = _kid(node, name)
        if found is not None:
            return found
    return None


def _desc(node, name: str):
    """The first descendant with this local name."""
    if node is None:
        return None
    return next((el for el in node.iter() if _local(el) == name), None)


def _text(el) -> str | None:
    return el.text.strip() if el is not None and el.text and el.text.strip() else None


def _number(el) -> Decimal | None:
    text = _text(el)
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _vat_rate(tax) -> Decimal | None:
    if tax is None:
        return None
    rate = _number(_first(tax, "RateApplicablePercent", "ApplicablePercent"))
    if rate is None and _text(_kid(tax, "CategoryCode")) in ZERO_RATE_CATEGORIES:
        rate = Decimal("0")
    return None if rate is None else (rate / 100).quantize(Decimal("0.0001")).normalize()


def _price(agreement, name: str) -> tuple[Decimal | None, Decimal | None]:
    price = _kid(agreement, name)
    if price is None:
        return None, None
    return _number(_kid(price, "ChargeAmount")), _number(_kid(price, "BasisQuantity"))


def _date(el) -> dt.date | None:
    text = _text(_desc(el, "DateTimeString"))
    if not text or len(text) < 8 or not text[:8].isdigit():
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def _postcode(party) -> str | None:
    code = _text(_kid(party, "PostalTradeAddress", "PostcodeCode"))
    code = code.replace(" ", "") if code else None
    return code if code and len(code) == 5 and code.isdigit() else None


def _supplier(seller) -> Supplier:
    country = _text(_kid(seller, "PostalTradeAddress", "CountryID"))
    legal_id = (_text(_kid(seller, "SpecifiedLegalOrganization", "ID")) or "").replace(" ", "")
    siren = siret = None
    if country in (None, "FR") and legal_id.isdigit():  # SIREN and SIRET are French identifiers
        if len(legal_id) == 14:
            siren, siret = legal_id[:9], legal_id
        elif len(legal_id) == 9:
            siren = legal_id
    return Supplier(_text(_kid(seller, "Name")), siren, siret)


def _line(item) -> tuple[LineItem, list[Decimal]] | None:
    """One invoice line and the unit prices its page may print; None for a note-only item."""
    agreement = _first(item, "SpecifiedLineTradeAgreement", "SpecifiedSupplyChainTradeAgreement")
    delivery = _first(item, "SpecifiedLineTradeDelivery", "SpecifiedSupplyChainTradeDelivery")
    settlement = _first(item, "SpecifiedLineTradeSettlement", "SpecifiedSupplyChainTradeSettlement")
    billed = _kid(delivery, "BilledQuantity")
    quantity = _number(billed)
    summation = _first(settlement, "SpecifiedTradeSettlementLineMonetarySummation",
                       "SpecifiedTradeSettlementMonetarySummation")
    total = _number(_kid(summation, "LineTotalAmount"))
    if quantity is None and total is None:
        return None
    gross, gross_basis = _price(agreement, "GrossPriceProductTradePrice")
    net, net_basis = _price(agreement, "NetPriceProductTradePrice")
    if net is None:
        net, net_basis = gross, gross_basis
    basis = net_basis if net_basis else Decimal("1")
    if basis != 1 and net is not None and quantity and total is not None \
            and abs(quantity * net - total) < abs(quantity * net / basis - total):
        basis = Decimal("1")  # the basis quantity contradicts the line total: an error of the XML
    per_unit = None if net is None else net / basis
    choices: list[Decimal] = []
    if per_unit is not None:
        choices.append(per_unit)
        if gross is not None:
            gross_per_unit = gross / (gross_basis or basis)
            if gross_per_unit != per_unit:
                choices.append(gross_per_unit)
        if basis != 1:
            choices.append(net)
    product = _kid(item, "SpecifiedTradeProduct")
    status = _text(_kid(item, "AssociatedDocumentLineDocument", "LineStatusReasonCode"))
    line = LineItem(
        description=_text(_kid(product, "Name")) or _text(_kid(product, "Description")) or "",
        total_ht=cents(total) if total is not None else cents(quantity * per_unit if per_unit is not None else 0),
        quantity=quantity,
        unit=UNIT_CODES.get((billed.get("unitCode") or "").upper()) if billed is not None else None,
        unit_price_ht=per_unit,
        vat_rate=_vat_rate(_kid(settlement, "ApplicableTradeTax")),
        source=EINVOICE,
        price_basis_qty=basis if basis != 1 else None,
        unit_price_net=per_unit,
        line_status=status.upper() if status else None,
    )
    return line, choices


def _allowances_charges(settlement) -> list[AllowanceCharge]:
    found = []
    for node in _kids(settlement, "SpecifiedTradeAllowanceCharge"):
        amount = _number(_kid(node, "ActualAmount"))
        if amount is None:
            continue
        charge = _text(_kid(node, "ChargeIndicator", "Indicator")) == "true"
        found.append(AllowanceCharge(cents(amount if charge else -amount),
                                     _text(_kid(node, "Reason")) or _text(_kid(node, "ReasonCode")),
                                     _vat_rate(_kid(node, "CategoryTradeTax"))))
    return found


def parse_einvoice(xml: bytes, doc_id: str) -> EInvoice:
    """Every figure of a CII invoice; raises ``UnreadableEInvoice`` when the XML is not one."""
    try:
        root = etree.fromstring(xml, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise UnreadableEInvoice(f"XML mal formé ({exc})") from exc
    if _local(root) not in ("CrossIndustryInvoice", "CrossIndustryDocument"):
        raise UnreadableEInvoice(f"pas une facture CII (élément racine {_local(root) or '?'})")
    doc = _first(root, "ExchangedDocument", "HeaderExchangedDocument")
    trade = _first(root, "SupplyChainTradeTransaction", "SpecifiedSupplyChainTradeTransaction")
    agreement = _first(trade, "ApplicableHeaderTradeAgreement", "ApplicableSupplyChainTradeAgreement")
    delivery = _first(trade, "ApplicableHeaderTradeDelivery", "ApplicableSupplyChainTradeDelivery")
    settlement = _first(trade, "ApplicableHeaderTradeSettlement", "ApplicableSupplyChainTradeSettlement")
    summation = _first(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation",
                       "SpecifiedTradeSettlementMonetarySummation")
    if doc is None or trade is None or summation is None:
        raise UnreadableEInvoice("facture CII incomplète (document, transaction ou totaux absents)")
    grand_total = _number(_kid(summation, "GrandTotalAmount"))
    if grand_total is None:
        raise UnreadableEInvoice("facture CII sans montant TTC (GrandTotalAmount)")

    lines, choices = [], []
    for item in _kids(trade, "IncludedSupplyChainTradeLineItem"):
        read = _line(item)
        if read is not None:
            lines.append(read[0])
            choices.append(read[1])
    allowances = _allowances_charges(settlement)
    currency = _text(_kid(settlement, "InvoiceCurrencyCode"))
    taxes = _kids(summation, "TaxTotalAmount")
    tax = next((t for t in taxes if currency and t.get("currencyID") == currency), taxes[0] if taxes else None)
    line_total = _number(_kid(summation, "LineTotalAmount"))
    ht = _number(_kid(summation, "TaxBasisTotalAmount"))
    if ht is None:  # BASIC WL and some 1.0 files: lines + charges - allowances
        ht = (line_total or Decimal("0")) + sum((ac.amount_ht for ac in allowances), Decimal("0"))
    totals = Totals(cents(ht), cents(_number(tax) or 0), cents(grand_total),
                    prepaid=_cents_or_none(_number(_kid(summation, "TotalPrepaidAmount"))),
                    due=_cents_or_none(_number(_kid(summation, "DuePayableAmount"))))
    type_code = _text(_kid(doc, "TypeCode"))
    if type_code in CREDIT_NOTE_CODES and grand_total > 0:
        lines, allowances, totals = _as_credit(lines, allowances, totals)

    seller = _kid(agreement, "SellerTradeParty")
    postcode = _postcode(_kid(delivery, "ShipToTradeParty")) or _postcode(_kid(agreement, "BuyerTradeParty"))
    extraction = Extraction(
        doc_id=doc_id,
        is_quote=True,  # an invoice is read like a quote
        supplier=_supplier(seller),
        quote_number=_text(_kid(doc, "ID")),
        date=_date(_kid(doc, "IssueDateTime")),
        site_postcode=postcode,
        lines=lines,
        totals=totals,
        sources={name: EINVOICE for name in FIELDS},
        allowances_charges=allowances,
        doc_type_code=type_code,
        currency=currency,
    )
    return EInvoice(extraction, choices)


def _cents_or_none(value: Decimal | None) -> Decimal | None:
    return None if value is None else cents(value)


def _as_credit(lines: list[LineItem], allowances: list[AllowanceCharge], totals: Totals):
    """A credit note's figures with the minus sign its page gives them (quantity × price still = total)."""
    def neg(value):
        return None if value is None else -value

    lines = [replace(line, total_ht=-line.total_ht, quantity=neg(line.quantity)) for line in lines]
    allowances = [replace(ac, amount_ht=-ac.amount_ht) for ac in allowances]
    totals = Totals(-totals.ht, -totals.tva, -totals.ttc, prepaid=neg(totals.prepaid), due=neg(totals.due))
    return lines, allowances, totals


# --- the printed page ------------------------------------------------------------------------------------

_DOT_THOUSANDS = re.compile(r"[0-9]\.[0-9]{3}")
_DECIMALS = re.compile(r"[.,][0-9]{2,4}\s*(?:€|EUR)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Printed:
    """The numbers the pages print, as absolute values: all of them, and those written with decimals
    (a price is printed ``5,00``; a bare ``5`` is a quantity, a day, a line number)."""

    amounts: frozenset[Decimal]
    decimals: frozenset[Decimal]


def printed_amounts(pages: list[PageText]) -> Printed:
    """Every number the pages print (``1 234,56``, ``1.234,56``, ``67,2244``, ``20,00€``...)."""
    amounts: set[Decimal] = set()
    decimals: set[Decimal] = set()

    def add(text: str) -> None:
        readings = []
        value = parse_number(text)
        if value is not None:
            readings.append(abs(value))
        stripped = text.strip().lstrip("-−–")
        if _DOT_THOUSANDS.fullmatch(stripped):
            readings.append(Decimal(stripped))  # "1.234" can also be a decimal (English, or 3-decimal prices)
        amounts.update(readings)
        if _DECIMALS.search(text.strip()):
            decimals.update(readings)

    for page in pages:
        for line in group_lines(page):
            for word in line.words:
                add(word.text)
            for match in AMOUNT_RE.finditer(line.text):
                add(match.group(0))
    return Printed(frozenset(amounts), frozenset(decimals))


def _is_printed(value: Decimal, printed: frozenset[Decimal]) -> bool:
    value = abs(value)
    return cents(value) in printed or (value == value.quantize(Decimal("0.0001")) and value in printed)


def _printed_price(choices: list[Decimal], printed: Printed) -> Decimal | None:
    """The unit price as the page prints it: the net price, else the gross one, else the price per N units."""
    shown = [choice for choice in choices if _is_printed(choice, printed.decimals)]
    return shown[0] if shown else (choices[0] if choices else None)


def _same_page_line(line: LineItem, page_lines: list[LineItem], taken: set[int]) -> int | None:
    """The page reader's line for this XML line: the same amount, else the most alike description."""
    free = [(i, p) for i, p in enumerate(page_lines) if i not in taken]
    same_amount = [(i, p) for i, p in free if abs(p.total_ht) == abs(line.total_ht)]
    pool = same_amount or free
    if not pool:
        return None
    score, index = max((fuzz.token_set_ratio(line.description.lower(), p.description.lower()), i) for i, p in pool)
    return index if same_amount or score >= SAME_LINE_SIMILARITY else None


def _agrees(xml_value: Decimal, page_value: Decimal | None, printed: Printed) -> bool:
    """The page does not contradict the XML when its reader read the same figure, or the figure is printed."""
    if page_value is not None and abs(page_value) == abs(xml_value):
        return True
    return _is_printed(xml_value, printed.amounts)


def reconcile(einvoice: EInvoice, page: Extraction, pages: list[PageText]) -> Extraction:
    """The XML's extraction, with the unit prices as printed and every disagreement with the page noted."""
    xml = einvoice.extraction
    printed = printed_amounts(pages)
    page_lines = page.lines if page.is_quote else []
    mismatches: list[Mismatch] = []
    read_ttc = page.totals.ttc if page.is_quote else None
    read_ht = page.totals.ht if page.is_quote else None
    if not _agrees(xml.totals.ttc, read_ttc, printed):
        mismatches.append(Mismatch("ttc", xml.totals.ttc, read_ttc))
    if not _agrees(xml.totals.ht, read_ht, printed):
        mismatches.append(Mismatch("ht", xml.totals.ht, read_ht))
    lines, taken = [], set()
    for number, (line, choices) in enumerate(zip(xml.lines, einvoice.price_choices), start=1):
        line = replace(line, unit_price_ht=_printed_price(choices, printed))
        index = _same_page_line(line, page_lines, taken)
        read = None
        if index is not None:
            taken.add(index)
            seen = page_lines[index]
            read = seen.total_ht
            line = replace(line, page=seen.page, bbox=seen.bbox)
        # A line of 0 (an INFORMATION row, a free item) is often printed empty: nothing to contradict.
        if line.total_ht != 0 and not _agrees(line.total_ht, read, printed):
            mismatches.append(Mismatch("line_total", line.total_ht, read, number, line.description))
        lines.append(line)
    extraction = replace(xml, lines=lines, einvoice_mismatches=mismatches, method=page.method, pages=len(pages),
                         warnings=[_mismatch_warning(m) for m in mismatches])
    return _fill_from_page(extraction, page)


def _mismatch_warning(mismatch: Mismatch) -> str:
    what = {"ttc": "total TTC", "ht": "total HT"}.get(mismatch.field) or \
        f"ligne {mismatch.line} « {(mismatch.description or '')[:40]} »"
    seen = euros(mismatch.page) if mismatch.page is not None else "introuvable"
    return (f"EINVOICE_MISMATCH : {what} de la facture électronique {euros(mismatch.einvoice)}, "
            f"sur la page imprimée {seen}")


def _fill_from_page(extraction: Extraction, page: Extraction) -> Extraction:
    """A header field the XML leaves empty is taken from the page, and said so."""
    if not page.is_quote:
        return extraction
    sources = dict(extraction.sources)
    changes = {}
    for name in ("quote_number", "date", "site_postcode"):
        if getattr(extraction, name) is None and getattr(page, name) is not None:
            changes[name] = getattr(page, name)
            sources[name] = page.method
    if extraction.supplier.name is None and page.supplier.name is not None:
        changes["supplier"] = replace(extraction.supplier, name=page.supplier.name)
        sources["supplier"] = page.method
    return replace(extraction, sources=sources, **changes)


# --- one entry point -------------------------------------------------------------------------------------

def with_page_sources(extraction: Extraction, pages: list[PageText]) -> Extraction:
    """A page reading's extraction, saying it comes from the text layer or OCR (per field and per line)."""
    source_of = {page.number: page.source for page in pages}
    for line in extraction.lines:
        line.source = line.source or source_of.get(line.page, extraction.method)
    extraction.sources = {name: extraction.method for name in FIELDS}
    return extraction


def read_extraction(pages: list[PageText], doc_id: str, einvoice_xml: bytes | None = None) -> Extraction:
    """The extraction of one document: from its e-invoice XML when it carries a readable one, checked
    against the printed page; from the page alone otherwise."""
    page = with_page_sources(read_quote(pages, doc_id), pages)
    if einvoice_xml is None:
        return page
    try:
        einvoice = parse_einvoice(einvoice_xml, doc_id)
    except UnreadableEInvoice as exc:
        page.warnings.insert(0, f"facture électronique jointe illisible ({exc}) : lue sur la page imprimée")
        return page
    return reconcile(einvoice, page, pages)
