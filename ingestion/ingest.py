"""Ingest: sniff the type from the bytes, keep the original, count pages.

The original is copied first, into a content-addressed folder
(``<store>/ab/abcdef....<ext>``, folders 0700, files 0600), so even a document that fails every
later stage is never lost. Only what cannot be a document is refused before that: a symbolic link
or anything but a regular file (never followed, never read) and a file over the size limit.
"""
from __future__ import annotations

import codecs
import hashlib
import os
import stat
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

# Magic numbers of formats people send by mistake, named so the error says what it was. They are
# checked before the PDF header, which may legally sit anywhere in the first 1024 bytes: a ZIP
# holding a PDF stored uncompressed shows "%PDF-" there too.
_KNOWN_OTHER_TYPES = (
    (b"PK\x03\x04", "a ZIP container (Word .docx, Excel .xlsx or an archive)"),
    (b"\xd0\xcf\x11\xe0", "a legacy Office document (.doc/.xls)"),
    (b"{\\rtf", "an RTF document"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"RIFF", "a RIFF file (WebP image or other)"),
)


_MARKUP = (b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml", b"<svg", b"<!--")


def sniff_media_type(head: bytes, name: str = "") -> MediaType:
    """The media type from the first bytes; the file name's extension is never trusted."""
    if head.startswith(b"%PDF-"):
        return MediaType.PDF
    if head.startswith(b"\xff\xd8\xff"):
        return MediaType.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaType.PNG
    for magic, kind in _KNOWN_OTHER_TYPES:
        if head.startswith(magic):
            raise UnsupportedTypeError(f"{kind} is not supported; send a PDF, JPG or PNG", path=name)
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(_MARKUP):
        raise UnsupportedTypeError("a web page or XML file is not supported; save or print it as PDF", path=name)
    if b"%PDF-" in head[:1024] and b"\x00" not in head[:head.index(b"%PDF-")]:
        return MediaType.PDF  # a few bytes of junk before the header, which PDF readers accept
    if head[4:8] == b"ftyp":
        brand = head[8:12].decode("latin-1")
        kind = "a HEIC/HEIF photo" if brand in {"heic", "heix", "mif1", "msf1", "hevc"} else "an MP4/QuickTime file"
        raise UnsupportedTypeError(f"{kind} is not supported; send a PDF, JPG or PNG", path=name)
    if _looks_like_text(head):
        raise UnsupportedTypeError("a plain text file is not supported; send a PDF, JPG or PNG", path=name)
    raise UnsupportedTypeError("unknown file type; send a PDF, JPG or PNG", path=name)


def _looks_like_text(head: bytes) -> bool:
    """UTF-8 (the head may end inside a character) or a single-byte text without control bytes."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return True
    except UnicodeDecodeError:
        return not any(byte < 9 or 13 < byte < 32 for byte in head)


def has_encryption_dictionary(path: Path) -> bool:
    with open(path, "rb") as handle:
        return b"/Encrypt" in handle.read(MAX_BYTES)


def count_pdf_pages(path: Path) -> int:
    """Open the PDF once to refuse encrypted, corrupt and over-long files early."""
    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as exc:
        # PDFium's error code is process-wide and may still hold the previous document's
        # "Incorrect password": only a file with an encryption dictionary is encrypted.
        if "password" in str(exc).lower() and has_encryption_dictionary(path):
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


def open_regular_file(path: Path) -> int:
    """A read descriptor on ``path`` if it is a regular file, not a link: the checks are made on the
    opened file itself (``O_NOFOLLOW``, ``fstat``), so a name swapped for a link meanwhile is refused."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        raise UnsupportedTypeError("no such file", path=str(path)) from None
    if stat.S_ISLNK(mode):
        raise UnsupportedTypeError("a symbolic link is not followed; send the file itself", path=str(path))
    if stat.S_ISDIR(mode):
        raise UnsupportedTypeError("a folder, not a file; send a PDF, JPG or PNG", path=str(path))
    if not stat.S_ISREG(mode):
        raise UnsupportedTypeError("not a regular file (a device, pipe or socket)", path=str(path))
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise UnsupportedTypeError(f"the file cannot be opened ({exc.strerror})", path=str(path)) from exc
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise UnsupportedTypeError("not a regular file", path=str(path))
    return descriptor


def _check_size(size: int, path: Path) -> None:
    if size > MAX_BYTES:
        raise TooLargeError(f"the file is {size // (1024 * 1024)} MB; at most {MAX_BYTES // (1024 * 1024)} MB",
                            path=str(path))


def _private_dir(folder: Path) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if folder.stat().st_mode & 0o077:
        folder.chmod(0o700)


def _store_copy(source: int, path: Path, originals_dir: Path) -> tuple[str, Path, bytes]:
    """Copy the open file into the originals as it is hashed; returns (sha256, stored path, first bytes)."""
    _private_dir(originals_dir)
    partial = originals_dir / f".incoming-{os.getpid()}-{os.urandom(6).hex()}.part"
    digest = hashlib.sha256()
    head = b""
    copied = 0
    target_fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(target_fd, "wb") as target:
            while block := os.read(source, 1 << 20):
                copied += len(block)
                _check_size(copied, path)  # the file may grow after its size was checked
                if len(head) < 2048:
                    head += block[:2048 - len(head)]
                digest.update(block)
                target.write(block)
        sha256 = digest.hexdigest()
        try:
            suffix = _EXTENSIONS[sniff_media_type(head, str(path))]
        except UnsupportedTypeError:
            suffix = _safe_suffix(path)
        target_path = originals_dir / sha256[:2] / f"{sha256}{suffix}"
        _private_dir(target_path.parent)
        if target_path.exists():
            partial.unlink()
        else:
            partial.replace(target_path)
        return sha256, target_path, head
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _safe_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    return suffix if suffix[1:].isascii() and suffix[1:].isalnum() and len(suffix) <= 6 else ".bin"


def inspect_file(path: Path) -> tuple[MediaType, int]:
    """The media type and page count of a file, or the BadInputError that says why it cannot be read."""
    path = Path(path)
    descriptor = open_regular_file(path)
    try:
        size = os.fstat(descriptor).st_size
        if size == 0:
            raise EmptyFileError("the file is empty (0 bytes)", path=str(path))
        _check_size(size, path)
        media_type = sniff_media_type(os.pread(descriptor, 2048, 0), str(path))
    finally:
        os.close(descriptor)
    pages = count_pdf_pages(path) if media_type is MediaType.PDF else 1
    return media_type, pages


def ingest(path: Path, originals_dir: Path, doc_id: str | None = None) -> Document:
    """Keep the original first, then check it: a refused file is still kept under its hash, except
    what is refused before reading (a link, a non-regular file, a file over the size limit).
    Every error names ``path`` as the user gave it, never the stored copy."""
    path = Path(path)
    descriptor = open_regular_file(path)
    try:
        _check_size(os.fstat(descriptor).st_size, path)
        sha256, stored, _ = _store_copy(descriptor, path, originals_dir)
    finally:
        os.close(descriptor)
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
