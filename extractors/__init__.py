"""Extraction: from a document's pages (text layer or OCR) to the quote contract.

``read_pages`` is the expensive part (OCR) and its result is cached by the store, with the e-invoice XML
the PDF carries, so re-pricing never reads a page twice; ``read_extraction`` is cheap and pure.

Both caches are keyed by versions computed from the code itself (``extractors.versions``): the page cache
by ``pages_version()``, the extraction cache by ``extraction_version()``, which includes the first. Any
change to a reader's source, or to the pinned library that reads pages, moves its key.
"""
from __future__ import annotations

from pathlib import Path

from core.models import Extraction, MediaType, PageText
from extractors.attachments import embedded_einvoice_xml
from extractors.einvoice import read_extraction
from extractors.quote import read_quote
from extractors.versions import extraction_version, pages_version
from core.errors import QuoteReviewError, UnreadableError
from ingestion.ingest import inspect_file

__all__ = ["extract_document", "read_pages", "read_pages_here", "read_einvoice_xml", "read_extraction",
           "read_extraction_safely", "read_quote", "pages_version", "extraction_version"]


def read_pages(path: Path, media_type: MediaType | None = None) -> list[PageText]:
    """The words of every page, read in a worker process under the time and memory limits
    of the settings (``extractors/isolation.py``)."""
    from extractors.isolation import reader_pool

    path = Path(path)
    if media_type is None:
        media_type, _ = inspect_file(path)
    return reader_pool().read(path, media_type)


def read_pages_here(path: Path, media_type: MediaType | None = None) -> list[PageText]:
    """The words of every page: the PDF text layer where there is one, OCR elsewhere (in this process)."""
    from extractors.ocr import ocr_pages  # OpenCV and Tesseract load only when an image needs them
    from extractors.pdf_text import read_text_pages

    path = Path(path)
    if media_type is None:
        media_type, _ = inspect_file(path)
    if media_type is not MediaType.PDF:
        return ocr_pages(path, media_type)
    pages = list(read_text_pages(path))
    missing = [number for number, page in enumerate(pages, start=1) if page is None]
    if missing:
        scanned = {page.number: page for page in ocr_pages(path, media_type, page_numbers=missing)}
        pages = [page if page is not None else scanned[number] for number, page in enumerate(pages, start=1)]
    return pages


def read_einvoice_xml(path: Path, media_type: MediaType | None = None) -> bytes | None:
    """The Factur-X / ZUGFeRD XML a PDF carries, or None (images carry none)."""
    path = Path(path)
    if media_type is None:
        media_type, _ = inspect_file(path)
    return embedded_einvoice_xml(path) if media_type is MediaType.PDF else None


def read_extraction_safely(pages: list[PageText], doc_id: str, xml: bytes | None = None,
                           path: Path | str | None = None) -> Extraction:
    """``read_extraction``, with any failure of the reader on odd pages turned into ``E_UNREADABLE``."""
    try:
        return read_extraction(pages, doc_id, xml)
    except QuoteReviewError:
        raise
    except Exception as exc:  # noqa: BLE001 - a reader bug on one document must not end a batch
        raise UnreadableError(f"the quote reader failed on its pages ({type(exc).__name__}: {str(exc)[:200]}); "
                              "a reviewer must read it", path=str(path) if path else None) from exc


def extract_document(path: Path, doc_id: str | None = None) -> Extraction:
    path = Path(path)
    media_type, _ = inspect_file(path)
    pages = read_pages(path, media_type)
    return read_extraction_safely(pages, doc_id or path.stem, read_einvoice_xml(path, media_type), path)
