"""The e-invoice XML a PDF carries as an attachment (Factur-X, ZUGFeRD, XRechnung-CII).

Read with pypdfium2's attachment API (the PDF's EmbeddedFiles name tree): no PDF parsing of our own.
The bytes are returned as they are, even when they are not well-formed XML, so that the extraction
can say the e-invoice was unreadable and fall back to the printed page.
"""
from __future__ import annotations

from pathlib import Path

# The names the Factur-X / ZUGFeRD / XRechnung specifications give the invoice XML.
EINVOICE_FILENAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml", "order-x.xml")
# Any XML whose content names the UN/CEFACT Cross Industry schema is an invoice in CII.
CII_MARKER = b"CrossIndustry"
# An e-invoice is a few kilobytes; past this an attachment is not one (and is not loaded).
MAX_XML_BYTES = 20 * 1024 * 1024


def embedded_einvoice_xml(path: Path) -> bytes | None:
    """The bytes of the CII XML attached to the PDF, or None when it carries none (or cannot be opened)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError:
        return None  # the page reader reports an unreadable PDF with its own error code
    try:
        named, marked = None, None
        for index in range(pdf.count_attachments()):
            attachment = pdf.get_attachment(index)
            name = (attachment.get_name() or "").strip().lower()
            if not name.endswith(".xml"):
                continue
            try:
                data = bytes(attachment.get_data())
            except pdfium.PdfiumError:
                continue
            if not data or len(data) > MAX_XML_BYTES:
                continue
            if CII_MARKER in data and marked is None:
                marked = data
            elif name in EINVOICE_FILENAMES and named is None:
                named = data  # the standard's name but not CII content: kept so the reader can say why
        return marked if marked is not None else named
    finally:
        pdf.close()
