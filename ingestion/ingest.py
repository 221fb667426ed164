"""Ingest: sniff the type from the bytes, keep the original, count pages.

The original is copied first, into a content-addressed folder
(``<store>/ab/abcdef....<ext>``), so even a document that fails every later
stage is never lost.
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pypdfium2

from core.errors import (
    BadInputError,
    CorruptFileError,
    EmptyFileError,
    EncryptedPdfError,
    TooLargeError,
    UnsupportedTypeError,
)
from core.models import Document, MediaType

MAX_BYTES = 50 * 1024 * 1024
MAX_PAGES = 30
_EXTENSIONS = {MediaType.PDF: ".pdf", MediaType.JPEG: ".jpg", MediaType.PNG: ".png"}

# Magic numbers of formats people send by mistake, named so the error says what it was.
_KNOWN_OTHER_TYPES = (
    (b"PK\x03\x04", "a ZIP container (Word .docx, Excel .xlsx or an archive)"),
    (b"\xd0\xcf\x11\xe0", "a legacy Office document (.doc/.xls)"),
    (b"{\\rtf", "an RTF document"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"RIFF", "a RIFF file (WebP image or other)"),
)


def sniff_media_type(head: bytes, name: str = "") -> MediaType:
    """The media type from the first bytes; the file name's extension is never trusted."""
    if head.startswith(b"%PDF-") or (b"%PDF-" in head[:1024]):
        return MediaType.PDF
    if head.startswith(b"\xff\xd8\xff"):
        return MediaType.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaType.PNG
    if head[4:8] == b"ftyp":
        brand = head[8:12].decode("latin-1")
        kind = "a HEIC/HEIF photo" if brand in {"heic", "heix", "mif1", "msf1", "hevc"} else "an MP4/QuickTime file"
        raise UnsupportedTypeError(f"{kind} is not supported; send a PDF, JPG or PNG", path=name)
    for magic, kind in _KNOWN_OTHER_TYPES:
        if head.startswith(magic):
            raise UnsupportedTypeError(f"{kind} is not supported; send a PDF, JPG or PNG", path=name)
    if _looks_like_text(head):
        raise UnsupportedTypeError("a plain text file is not supported; send a PDF, JPG or PNG", path=name)
    raise UnsupportedTypeError("unknown file type; send a PDF, JPG or PNG", path=name)


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def count_pdf_pages(path: Path) -> int:
    """Open the PDF once to refuse encrypted, corrupt and over-long files early."""
    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedPdfError("the PDF is password-protected; ask for an unprotected copy", path=str(path)) from exc
        raise CorruptFileError(f"the PDF cannot be read ({exc})", path=str(path)) from exc
    try:
        pages = len(pdf)
    finally:
        pdf.close()
    if pages == 0:
        raise CorruptFileError("the PDF has no pages", path=str(path))
    if pages > MAX_PAGES:
        raise TooLargeError(f"the PDF has {pages} pages; at most {MAX_PAGES} are accepted", path=str(path))
    return pages


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def keep_original(path: Path, originals_dir: Path, sha256: str, suffix: str) -> Path:
    """Copy the file into the content-addressed folder; a second copy of the same bytes is a no-op."""
    target = originals_dir / sha256[:2] / f"{sha256}{suffix}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(target.suffix + ".part")
        shutil.copyfile(path, partial)
        partial.replace(target)
    return target


def inspect_file(path: Path) -> tuple[MediaType, int]:
    """The media type and page count of a file, or the BadInputError that says why it cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise UnsupportedTypeError("no such file", path=str(path))
    size = path.stat().st_size
    if size == 0:
        raise EmptyFileError("the file is empty (0 bytes)", path=str(path))
    if size > MAX_BYTES:
        raise TooLargeError(f"the file is {size // (1024 * 1024)} MB; at most {MAX_BYTES // (1024 * 1024)} MB", path=str(path))
    with path.open("rb") as handle:
        media_type = sniff_media_type(handle.read(2048), str(path))
    pages = count_pdf_pages(path) if media_type is MediaType.PDF else 1
    return media_type, pages


def ingest(path: Path, originals_dir: Path, doc_id: str | None = None) -> Document:
    """Keep the original first, then check it: a refused file is still kept under its hash."""
    path = Path(path)
    if not path.is_file():
        raise UnsupportedTypeError("no such file", path=str(path))
    sha256 = sha256_of(path)
    with path.open("rb") as handle:
        head = handle.read(2048)
    try:
        suffix = _EXTENSIONS[sniff_media_type(head, str(path))]
    except UnsupportedTypeError:
        suffix = path.suffix.lower() or ".bin"
    stored = keep_original(path, originals_dir, sha256, suffix)
    try:
        media_type, pages = inspect_file(stored)
    except BadInputError as error:
        error.path = str(path)
        raise
    return Document(
        doc_id=doc_id or path.stem,
        sha256=sha256,
        media_type=media_type,
        original_path=stored,
        source_name=path.name,
        size_bytes=stored.stat().st_size,
        page_count=pages,
    )
