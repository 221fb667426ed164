import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from core.errors import CorruptFileError, EmptyFileError, EncryptedPdfError, TooLargeError, UnsupportedTypeError
from core.models import MediaType
from ingestion.ingest import MAX_PAGES, ingest


def make_pdf(path: Path, pages: int = 1, encrypt: str | None = None) -> Path:
    pdf = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt)
    for number in range(pages):
        pdf.drawString(72, 720, f"DEVIS page {number + 1}")
        pdf.showPage()
    pdf.save()
    return path


def test_a_pdf_is_kept_under_its_hash_and_its_pages_counted(tmp_path):
    source = make_pdf(tmp_path / "devis.pdf", pages=2)
    document = ingest(source, tmp_path / "originals")
    assert document.media_type is MediaType.PDF
    assert document.page_count == 2
    assert document.original_path.read_bytes() == source.read_bytes()
    assert document.original_path.name == f"{document.sha256}.pdf"
    again = ingest(source, tmp_path / "originals", doc_id="other")
    assert again.original_path == document.original_path


def test_the_type_comes_from_the_bytes_not_the_name(tmp_path):
    png = tmp_path / "photo.pdf"
    Image.new("RGB", (20, 20), "white").save(png, format="PNG")
    document = ingest(png, tmp_path / "originals")
    assert document.media_type is MediaType.PNG
    assert document.original_path.suffix == ".png"


def _docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name, content, error, code",
    [
        ("empty.pdf", b"", EmptyFileError, "E_EMPTY"),
        ("notes.pdf", b"just some text\n", UnsupportedTypeError, "E_UNSUPPORTED_TYPE"),
        ("devis.pdf", _docx_bytes(), UnsupportedTypeError, "E_UNSUPPORTED_TYPE"),
        ("IMG_0001.jpg", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64, UnsupportedTypeError, "E_UNSUPPORTED_TYPE"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n", CorruptFileError, "E_CORRUPT"),
    ],
)
def test_bad_input_is_refused_with_a_stable_code_and_the_original_kept(tmp_path, name, content, error, code):
    source = tmp_path / name
    source.write_bytes(content)
    with pytest.raises(error) as raised:
        ingest(source, tmp_path / "originals")
    assert raised.value.code == code
    assert name in raised.value.one_line()
    kept = list((tmp_path / "originals").rglob("*.*"))
    assert [p.read_bytes() for p in kept] == [content]


def test_encrypted_and_over_long_pdfs_are_refused(tmp_path):
    with pytest.raises(EncryptedPdfError):
        ingest(make_pdf(tmp_path / "locked.pdf", encrypt="secret"), tmp_path / "originals")
    with pytest.raises(TooLargeError) as raised:
        ingest(make_pdf(tmp_path / "long.pdf", pages=MAX_PAGES + 1), tmp_path / "originals")
    assert str(MAX_PAGES + 1) in raised.value.message


def test_truncated_pdf_is_corrupt(tmp_path):
    whole = make_pdf(tmp_path / "whole.pdf", pages=3).read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(whole[: len(whole) // 3])
    with pytest.raises(CorruptFileError):
        ingest(cut, tmp_path / "originals")
