"""Rotated, 16-bit, palette and low-resolution scans are read, never taken for a non-quote."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from extractors.images import open_image
from extractors.ocr import TESSERACT_MAX_SIDE, detect_quarter_turns, ocr_pages, within_tesseract_limits
from core.models import MediaType
from tests.extractors.test_image_prep import draw_quote_page


def _text(page) -> str:
    return " ".join(word.text for word in page.words)


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    return draw_quote_page()


@pytest.mark.parametrize("quarter_turns", [1, 2])
def test_a_page_scanned_sideways_or_upside_down_is_turned_and_read(tmp_path, page, quarter_turns):
    path = tmp_path / "tourne.png"
    Image.fromarray(np.ascontiguousarray(np.rot90(page, quarter_turns))).save(path)
    (read,) = ocr_pages(path, MediaType.PNG)
    text = _text(read)
    assert "1 713,36" in text and "DEVIS" in text
    assert read.height > read.width  # the upright portrait page


def test_orientation_detection_names_the_turn_back(page):
    assert detect_quarter_turns(np.ascontiguousarray(np.rot90(page, 1))) == 3
    assert detect_quarter_turns(page) == 0
    assert detect_quarter_turns(np.full((400, 300), 255, np.uint8)) == 0  # no text: no turn


def test_a_16_bit_png_keeps_its_ink(tmp_path, page):
    path = tmp_path / "seize-bits.png"
    Image.fromarray(page.astype(np.uint16) * 257).save(path)
    assert Image.open(path).mode.startswith("I")
    loaded = open_image(path, MediaType.PNG)
    assert loaded.dtype == np.uint8
    assert np.abs(loaded.astype(int) - page.astype(int)).max() <= 1


def test_a_palette_png_keeps_its_ink(tmp_path, page):
    path = tmp_path / "palette.png"
    Image.fromarray(page).convert("P").save(path)
    loaded = open_image(path, MediaType.PNG)
    gray = loaded if loaded.ndim == 2 else cv2.cvtColor(loaded, cv2.COLOR_BGR2GRAY)
    assert np.abs(gray.astype(int) - page.astype(int)).mean() < 2


def test_a_low_resolution_scan_is_enlarged_and_read(tmp_path, page):
    path = tmp_path / "basse-resolution.png"
    small = cv2.resize(page, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    Image.fromarray(small).save(path)
    (read,) = ocr_pages(path, MediaType.PNG)
    assert "1 713,36" in _text(read)


def test_an_elongated_image_is_shrunk_to_what_tesseract_reads():
    strip = np.full((40, TESSERACT_MAX_SIDE * 2), 255, np.uint8)
    assert max(within_tesseract_limits(strip).shape) == TESSERACT_MAX_SIDE
    page = np.full((100, 100), 255, np.uint8)
    assert within_tesseract_limits(page) is page
