"""Small hand-written PDFs for the hardening tests (no generator, every byte visible)."""
from __future__ import annotations

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from io import BytesIO

_TEXT = b"BT /F1 12 Tf 72 720 Td (DEVIS numero 12 total TTC 1200,00 euros pour travaux de plomberie) Tj ET"


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF with a correct cross-reference table: object i+1 is ``objects[i]``; 1 is the catalogue."""
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def _page(resources: bytes) -> list[bytes]:
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources " + resources + b" >>",
        b"<< /Length %d >>\nstream\n" % len(_TEXT) + _TEXT + b"\nendstream",
    ]


def reference_loop_pdf() -> bytes:
    """The page's resources are object 5, which is a reference to 6, which is a reference to 5:
    pdfium opens it, pdfminer follows the references forever."""
    return raw_pdf(_page(b"5 0 R") + [b"6 0 R", b"5 0 R"])


def text_pdf(text: str = "DEVIS n° 12", pages: int = 1, size=A4) -> bytes:
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=size)
    for number in range(pages):
        pdf.drawString(72, size[1] - 100, f"{text} page {number + 1}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()
