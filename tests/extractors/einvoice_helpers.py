"""Small Factur-X PDFs made in the test: a reportlab page, and a CII XML attached with pypdfium2."""
from __future__ import annotations

from pathlib import Path

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"


def cii_line(number, name, qty, unit_code, net, total, rate="20.00", basis=None, gross=None, status=None, parent=None):
    basis_xml = f'<ram:BasisQuantity unitCode="{unit_code}">{basis}</ram:BasisQuantity>' if basis else ""
    gross_xml = (f"<ram:GrossPriceProductTradePrice><ram:ChargeAmount>{gross}</ram:ChargeAmount>"
                 f"</ram:GrossPriceProductTradePrice>") if gross else ""
    status_xml = (f"<ram:ParentLineID>{parent}</ram:ParentLineID>" if parent else "") + \
        (f"<ram:LineStatusReasonCode>{status}</ram:LineStatusReasonCode>" if status else "")
    return f"""
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>{number}</ram:LineID>{status_xml}</ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>{name}</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>{gross_xml}
        <ram:NetPriceProductTradePrice><ram:ChargeAmount>{net}</ram:ChargeAmount>{basis_xml}</ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="{unit_code}">{qty}</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>
          <ram:RateApplicablePercent>{rate}</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{total}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>"""


def cii_xml(lines, ht, tva, ttc, *, type_code="380", number="FA-2026-042", allowances=(), lines_sum=None,
            prepaid=None, siret="73282932000074", ship_to_postcode="69003") -> bytes:
    """A minimal Factur-X EN16931 invoice; ``allowances`` are (amount, reason, is_charge)."""
    charges = "".join(f"""
      <ram:SpecifiedTradeAllowanceCharge>
        <ram:ChargeIndicator><udt:Indicator>{'true' if charge else 'false'}</udt:Indicator></ram:ChargeIndicator>
        <ram:ActualAmount>{amount}</ram:ActualAmount><ram:Reason>{reason}</ram:Reason>
        <ram:CategoryTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>
          <ram:RateApplicablePercent>20.00</ram:RateApplicablePercent></ram:CategoryTradeTax>
      </ram:SpecifiedTradeAllowanceCharge>""" for amount, reason, charge in allowances)
    prepaid_xml = f"<ram:TotalPrepaidAmount>{prepaid}</ram:TotalPrepaidAmount>" if prepaid else ""
    due = ttc if not prepaid else f"{float(ttc) - float(prepaid):.2f}"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="{RSM}" xmlns:ram="{RAM}" xmlns:udt="{UDT}">
  <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
    <ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument><ram:ID>{number}</ram:ID><ram:TypeCode>{type_code}</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20261115</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>{''.join(lines)}
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty><ram:Name>Plomberie Durand SARL</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0009">{siret}</ram:ID></ram:SpecifiedLegalOrganization>
        <ram:PostalTradeAddress><ram:PostcodeCode>69007</ram:PostcodeCode><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>M. Martin</ram:Name>
        <ram:PostalTradeAddress><ram:PostcodeCode>75011</ram:PostcodeCode><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
      </ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery>
      <ram:ShipToTradeParty><ram:PostalTradeAddress><ram:PostcodeCode>{ship_to_postcode}</ram:PostcodeCode>
        <ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress></ram:ShipToTradeParty>
    </ram:ApplicableHeaderTradeDelivery>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>{charges}
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>{lines_sum or ht}</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>{ht}</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">{tva}</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>{ttc}</ram:GrandTotalAmount>{prepaid_xml}
        <ram:DuePayableAmount>{due}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>""".encode()


def invoice_pdf(path: Path, rows: list[str], xml: bytes | None, attachment_name: str = "factur-x.xml") -> Path:
    """A one-page PDF printing ``rows`` (one text line each), with ``xml`` attached when given."""
    import pypdfium2 as pdfium
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    page = path.with_suffix(".page.pdf")
    pdf = canvas.Canvas(str(page), pagesize=A4)
    pdf.setFont("Helvetica", 10)
    y = A4[1] - 60
    for row in rows:
        pdf.drawString(40, y, row)
        y -= 16
    pdf.save()
    if xml is None:
        page.rename(path)
        return path
    document = pdfium.PdfDocument(str(page))
    try:
        document.new_attachment(attachment_name).set_data(xml)
        document.save(str(path))
    finally:
        document.close()
    page.unlink()
    return path


# The printed page of the invoice ``agreeing_xml`` describes.
AGREEING_ROWS = [
    "Plomberie Durand SARL - SIRET 732 829 320 00074",
    "FACTURE N° FA-2026-042 du 15/11/2026",
    "Chantier : 12 rue des Lilas 69003 Lyon",
    "Désignation                     Qté   Unité   P.U. HT     Total HT",
    "Remplacement robinet d'arrêt    2     u       45,00       90,00",
    "Peinture plafond                12,5  m2      24,00       300,00",
    "Produit de nettoyage            3     l       4,50        13,50",
    "Total HT 403,50",
    "TVA 20 % 80,70",
    "Total TTC 484,20",
]


def agreeing_xml(**overrides) -> bytes:
    lines = [
        cii_line(1, "Remplacement robinet d'arrêt", "2", "C62", "45.00", "90.00"),
        cii_line(2, "Peinture plafond", "12.5", "MTK", "24.00", "300.00"),
        cii_line(3, "Produit de nettoyage", "3", "LTR", "4.50", "13.50"),
    ]
    return cii_xml(lines, "403.50", "80.70", "484.20", **overrides)
