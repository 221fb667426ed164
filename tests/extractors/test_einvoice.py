"""E-invoices: the Factur-X / ZUGFeRD XML a PDF carries is read exactly and checked against its page."""
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import jsonschema

from extractors import extract_document, read_einvoice_xml
from extractors.einvoice import parse_einvoice, read_extraction
from core.enums import Status
from core.models import Extraction
from core.review import NEEDS_HUMAN
from core.settings import Settings
from decisions import decide
from tests.decide.decide_helpers import GridDouble, Match, Priced, dossier
from tests.extractors.einvoice_helpers import (
    AGREEING_ROWS,
    agreeing_xml,
    cii_line,
    cii_xml,
    invoice_pdf,
)

D = Decimal
SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "quote.schema.json").read_text())


def test_an_embedded_einvoice_is_read_exactly_and_says_so(tmp_path):
    quote = extract_document(invoice_pdf(tmp_path / "fx.pdf", AGREEING_ROWS, agreeing_xml()))

    assert (quote.supplier.name, quote.supplier.siren, quote.supplier.siret) == \
        ("Plomberie Durand SARL", "732829320", "73282932000074")
    assert (quote.quote_number, quote.date, quote.site_postcode) == ("FA-2026-042", dt.date(2026, 11, 15), "69003")
    assert [(line.quantity, line.unit, line.unit_price_ht, line.total_ht) for line in quote.lines] == [
        (D("2"), "u", D("45.00"), D("90.00")),
        (D("12.5"), "m2", D("24.00"), D("300.00")),
        (D("3"), None, D("4.50"), D("13.50")),  # LTR: the contract has no litre
    ]
    assert (quote.totals.ht, quote.totals.tva, quote.totals.ttc) == (D("403.50"), D("80.70"), D("484.20"))
    assert quote.einvoice_mismatches == [] and quote.warnings == []
    contract = quote.to_contract()
    jsonschema.validate(contract, SCHEMA)
    assert set(contract["sources"].values()) == {"einvoice"}
    assert {line["source"] for line in contract["lines"]} == {"einvoice"}
    assert Extraction.from_contract(contract).to_contract() == contract


def test_without_an_xml_each_value_says_it_comes_from_the_text_layer(tmp_path):
    quote = extract_document(invoice_pdf(tmp_path / "plain.pdf", AGREEING_ROWS, None))

    assert quote.doc_type_code is None and quote.lines
    assert set(quote.sources.values()) == {"text_layer"}
    assert {line.source for line in quote.lines} == {"text_layer"}


def test_a_page_that_disagrees_with_the_xml_is_an_einvoice_mismatch_for_a_reviewer(tmp_path):
    rows = [row.replace("484,20", "584,20").replace("300,00", "320,00") for row in AGREEING_ROWS]
    quote = extract_document(invoice_pdf(tmp_path / "edited.pdf", rows, agreeing_xml()))

    found = {(m.field, m.line): (m.einvoice, m.page) for m in quote.einvoice_mismatches}
    assert found == {("ttc", None): (D("484.20"), D("584.20")), ("line_total", 2): (D("300.00"), D("320.00"))}
    assert any(w.startswith("EINVOICE_MISMATCH") and "584,20" in w and "484,20" in w for w in quote.warnings)
    # The XML figures are the ones kept; the review goes to a reviewer, with both figures in the flag,
    # also when it is decided again from the stored extraction (reprocess).
    assert quote.totals.ttc == D("484.20")
    assert Extraction.from_contract(quote.to_contract()).einvoice_mismatches == quote.einvoice_mismatches
    priced = [Priced(i, line, Match(None, 0.2), None, None, None, None) for i, line in enumerate(quote.lines)]
    review = decide(quote, priced, dossier(), "v", Settings(), grid=GridDouble())
    flags = [flag for flag in review.flags if flag.code == "EINVOICE_MISMATCH"]
    assert review.status == Status.TO_REVIEW and "EINVOICE_MISMATCH" in NEEDS_HUMAN
    assert {(f.figures["einvoice"], f.figures["page"]) for f in flags} == {(484.2, 584.2), (300.0, 320.0)}


def test_a_free_line_printed_empty_is_no_mismatch(tmp_path):
    xml = cii_xml([cii_line(1, "Pose carrelage", "10", "MTK", "50.00", "500.00"),
                   cii_line(2, "Notice d'entretien offerte", "1", "C62", "0.00", "0.00")], "500.00", "100.00", "600.00")
    rows = ["FACTURE FA-2026-042", "Pose carrelage 10 m2 50,00 500,00", "Notice d'entretien offerte",
            "Total HT 500,00", "TVA 20 % 100,00", "Total TTC 600,00"]
    quote = extract_document(invoice_pdf(tmp_path / "free.pdf", rows, xml))
    assert len(quote.lines) == 2 and quote.einvoice_mismatches == []


def test_a_credit_note_has_negative_amounts(tmp_path):
    xml = cii_xml([cii_line(1, "Remboursement robinet", "2", "C62", "45.00", "90.00")], "90.00", "18.00", "108.00",
                  type_code="381", number="AV-7")
    rows = ["AVOIR N° AV-7", "Remboursement robinet 2 u 45,00 -90,00", "Total HT -90,00", "TVA -18,00",
            "Total TTC -108,00"]
    quote = extract_document(invoice_pdf(tmp_path / "avoir.pdf", rows, xml))

    (line,) = quote.lines
    assert (line.quantity, line.unit_price_ht, line.total_ht) == (D("-2"), D("45.00"), D("-90.00"))
    assert (quote.totals.ht, quote.totals.tva, quote.totals.ttc) == (D("-90.00"), D("-18.00"), D("-108.00"))
    assert quote.doc_type_code == "381" and quote.einvoice_mismatches == []


def test_a_document_allowance_is_not_a_line_but_counts_in_the_ht(tmp_path):
    xml = cii_xml([cii_line(1, "Pose carrelage", "10", "MTK", "50.00", "500.00")], "450.00", "90.00", "540.00",
                  allowances=[("50.00", "Remise commerciale", False)], lines_sum="500.00")
    rows = ["FACTURE FA-2026-042", "Pose carrelage 10 m2 50,00 500,00", "Remise commerciale -50,00",
            "Total HT 450,00", "TVA 20 % 90,00", "Total TTC 540,00"]
    quote = extract_document(invoice_pdf(tmp_path / "remise.pdf", rows, xml))

    assert [line.description for line in quote.lines] == ["Pose carrelage"]
    (allowance,) = quote.allowances_charges
    assert (allowance.kind, allowance.reason, allowance.amount_ht) == ("allowance", "Remise commerciale", D("-50.00"))
    assert quote.totals.ht == D("450.00")
    assert sum(line.total_ht for line in quote.billed_lines()) == quote.totals.ht
    assert quote.to_contract()["doc_allowances_charges"][0]["amount_ht"] == -50.0


def test_a_price_per_hundred_units_is_kept_as_printed_with_its_basis(tmp_path):
    xml = cii_xml([cii_line(1, "Vis inox", "150", "C62", "49.29", "73.94", basis="100")], "73.94", "14.79", "88.73")
    rows = ["FACTURE FA-2026-042", "Vis inox 150 u 49,29 / 100 73,94", "Total HT 73,94", "TVA 14,79",
            "Total TTC 88,73"]
    quote = extract_document(invoice_pdf(tmp_path / "per100.pdf", rows, xml))

    (line,) = quote.lines
    assert (line.unit_price_ht, line.price_basis_qty, line.unit_price_net) == (D("49.29"), D("100"), D("0.4929"))
    assert line.price_per_unit == D("0.4929")  # what quantity × price is checked with: 150 × 0,4929 = 73,94
    priced = [Priced(0, line, Match(None, 0.2), None, None, None, None)]
    review = decide(quote, priced, dossier(), "v", Settings(), grid=GridDouble())
    assert not [f for f in review.all_flags if f.code == "ARITHMETIC_MISMATCH"]


def test_a_gross_price_printed_with_its_discount_gives_the_net_price_printed(tmp_path):
    xml = cii_xml([cii_line(1, "Robinet", "5", "C62", "18.00", "90.00", gross="20.00")], "90.00", "18.00", "108.00")
    rows = ["FACTURE FA-2026-042", "Robinet 5 u 20,00 € - 2,00 € = 18,00 € 90,00 €", "Total HT 90,00",
            "TVA 18,00", "Total TTC 108,00"]
    (line,) = extract_document(invoice_pdf(tmp_path / "gross.pdf", rows, xml)).lines
    assert line.unit_price_ht == D("18.00")


def test_sub_invoice_lines_are_all_lines_but_billed_once():
    xml = cii_xml([
        cii_line("1", "Kit salle de bains", "1", "C62", "300.00", "300.00", status="GROUP"),
        cii_line("1.1", "Lavabo", "1", "C62", "200.00", "200.00", status="DETAIL", parent="1"),
        cii_line("1.2", "Mitigeur", "1", "C62", "100.00", "100.00", status="DETAIL", parent="1"),
        cii_line("1.3", "Notice de montage", "1", "C62", "0", "0", status="INFORMATION", parent="1"),
    ], "300.00", "60.00", "360.00")
    quote = parse_einvoice(xml, "kit").extraction

    assert [line.line_status for line in quote.lines] == ["GROUP", "DETAIL", "DETAIL", "INFORMATION"]
    assert [line.description for line in quote.billed_lines()] == ["Lavabo", "Mitigeur"]
    assert quote.to_contract()["lines"][0]["line_status"] == "GROUP"


def test_zugferd_1_namespaces_are_read_by_local_name():
    xml = agreeing_xml().decode()
    xml = xml.replace("CrossIndustryInvoice:100", "CrossIndustryDocument:invoice:1p0") \
        .replace("rsm:CrossIndustryInvoice", "rsm:CrossIndustryDocument") \
        .replace("rsm:ExchangedDocument>", "rsm:HeaderExchangedDocument>") \
        .replace("rsm:SupplyChainTradeTransaction", "rsm:SpecifiedSupplyChainTradeTransaction") \
        .replace("ApplicableHeaderTradeSettlement", "ApplicableSupplyChainTradeSettlement") \
        .replace("SpecifiedTradeSettlementHeaderMonetarySummation", "SpecifiedTradeSettlementMonetarySummation")
    quote = parse_einvoice(xml.encode(), "zf1").extraction
    assert quote.totals.ttc == D("484.20") and quote.quote_number == "FA-2026-042" and len(quote.lines) == 3


def test_a_broken_xml_falls_back_to_the_page_with_a_warning(tmp_path):
    broken = agreeing_xml()[:-200]  # cut short: not well-formed
    path = invoice_pdf(tmp_path / "broken.pdf", AGREEING_ROWS, broken)
    assert read_einvoice_xml(path) == broken

    quote = extract_document(path)
    assert quote.doc_type_code is None and set(quote.sources.values()) == {"text_layer"}
    assert quote.totals.ttc == D("484.20")  # read on the page
    assert "facture électronique jointe illisible" in quote.warnings[0]


def test_an_xml_that_is_not_an_invoice_is_a_warning_not_an_error():
    pages = []
    quote = read_extraction(pages, "other", b"<?xml version='1.0'?><order><id>1</id></order>")
    assert "pas une facture CII" in quote.warnings[0]


def test_an_xml_entity_is_never_resolved():
    xml = agreeing_xml().decode().replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/hostname">]>',
    ).replace("Plomberie Durand SARL", "Plomberie &secret;")
    quote = parse_einvoice(xml.encode(), "xxe").extraction
    assert quote.supplier.name == "Plomberie"  # the entity is left out, never read from the disk


def test_extract_on_the_command_line_says_where_each_value_came_from(tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    path = invoice_pdf(tmp_path / "fx.pdf", AGREEING_ROWS, agreeing_xml())
    result = CliRunner().invoke(app, ["extract", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    contract = json.loads((tmp_path / "out" / "fx.json").read_text())
    jsonschema.validate(contract, SCHEMA)
    assert contract["sources"]["totals"] == "einvoice" and contract["einvoice_mismatches"] == []
