"""Extraction: from a document's pages (text layer or OCR) to the quote contract.

``read_pages`` is the expensive part (OCR) and its result is cached by the store,
so re-pricing never reads a page twice; ``read_quote`` is cheap and pure.
"""
from __future__ import annotations

from pathlib import Path

from core.models import Extraction, MediaType, PageText
from extractors.quote import read_quote
from ingestion.ingest import inspect_file

__all__ = ["extract_document", "read_pages", "read_quote", "EXTRACTOR_VERSION"]

# Bump when page reading changes, so cached pages from an older reader are not reused.
EXTRACTOR_VERSION = "3"


def read_pages(path: Path, media_type: MediaType | None = None) -> list[PageText]:
    """The words of every page: the PDF text layer where there is one, OCR elsewhere."""
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


def extract_document(path: Path, doc_id: str | None = None) -> Extraction:
    path = Path(path)
    return read_quote(read_pages(path), doc_id or path.stem)
