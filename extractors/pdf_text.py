"""Read the words and ruling lines of a PDF page's text layer with pdfplumber."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError

from core.enums import PageSource
from core.errors import CorruptFileError, EncryptedPdfError
from core.models import PageText, RuleLine, Word

# A page with fewer characters than this in its text layer is treated as a scan.
MIN_TEXT_CHARS = 40


def _page_rules(page, width: float, height: float) -> list[RuleLine]:
    rules = []
    for edge in page.edges:
        x0, x1 = edge["x0"] / width, edge["x1"] / width
        y0, y1 = edge["top"] / height, edge["bottom"] / height
        if abs(y1 - y0) < 0.002 and (x1 - x0) > 0.02:
            rules.append(RuleLine(x0, y0, x1, y0))
        elif abs(x1 - x0) < 0.002 and (y1 - y0) > 0.005:
            rules.append(RuleLine(x0, y0, x0, y1))
    return rules


def read_text_pages(path: Path) -> Iterator[PageText | None]:
    """One PageText per page, or None for a page whose text layer is too thin (needs OCR)."""
    try:
        pdf = pdfplumber.open(str(path))
    except PDFPasswordIncorrect as exc:
        raise EncryptedPdfError("the PDF is password-protected", path=str(path)) from exc
    except (PDFSyntaxError, ValueError, KeyError) as exc:
        raise CorruptFileError(f"the PDF cannot be parsed ({exc})", path=str(path)) from exc
    with pdf:
        for number, page in enumerate(pdf.pages, start=1):
            if len(page.chars) < MIN_TEXT_CHARS:
                page.close()
                yield None
                continue
            width, height = float(page.width), float(page.height)
            words = [
                Word(
                    text=w["text"],
                    x0=w["x0"] / width,
                    y0=w["top"] / height,
                    x1=w["x1"] / width,
                    y1=w["bottom"] / height,
                )
                for w in page.extract_words(keep_blank_chars=False, use_text_flow=False, x_tolerance=1.5)
            ]
            rules = _page_rules(page, width, height)
            page.close()
            yield PageText(number=number, width=width, height=height, words=words, source=PageSource.TEXT_LAYER, rules=rules)
