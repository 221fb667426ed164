"""Tesseract words from page images: text, boxes in page fractions, both media kinds end to end."""
from __future__ import annotations

import os

import cv2
import numpy as np
import pytest
import reportlab
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from core.models import MediaType, Word
from extractors.image_prep import prepare_page, rotate
from extractors.ocr import ocr_page, ocr_pages, parse_tsv, read_exponents, reread_low_confidence
from tests.extractors.test_image_prep import PAGE_H, PAGE_W, PHOTO_CORNERS, TABLE_TOP, draw_quote_page, photograph

TSV = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
    "1\t1\t0\t0\t0\t0\t0\t0\t1000\t2000\t-1\t\n"
    "4\t1\t1\t1\t1\t0\t100\t200\t500\t40\t-1\t\n"
    "5\t1\t1\t1\t1\t1\t100\t200\t150\t40\t96.5\tTotal\n"
    "5\t1\t1\t1\t1\t2\t300\t210\t200\t30\t41.25\t1\u00a0234,56\n"
    "5\t1\t1\t1\t1\t3\t600\t210\t20\t30\t95\t \n"
    '5\t1\t1\t1\t1\t4\t700\t210\t50\t30\t90\t"x\n'
)


def test_tsv_words_become_page_fractions_with_confidence():
    words = parse_tsv(TSV, 1000, 2000)
    assert [w.text for w in words] == ["Total", "1\u00a0234,56", '"x']  # blanks dropped, quotes kept
    total = words[0]
    assert (total.x0, total.y0, total.x1, total.y1) == (0.1, 0.1, 0.25, 0.12)
    assert total.confidence == pytest.approx(0.965)
    assert words[1].confidence == pytest.approx(0.4125)


def _texts(page) -> str:
    return " ".join(w.text for w in page.words)


def _word(words: list[Word], text: str) -> Word:
    return next(w for w in words if w.text == text)


def test_ocr_page_reads_the_figures_and_places_them():
    prepared = prepare_page(draw_quote_page())
    page = ocr_page(prepared, page_number=3)
    assert page.number == 3 and page.source == "ocr"
    assert (page.width, page.height) == (prepared.image.shape[1], prepared.image.shape[0])
    text = _texts(page)
    for expected in ["DEVIS", "2025-0042", "Peinture", "230,00", "248,80", "1 234,56", "1 713,36"]:
        assert expected in text
    assert page.rules, "the table borders come along with the words"
    for w in page.words:
        assert 0.0 <= w.x0 < w.x1 <= 1.0 and 0.0 <= w.y0 < w.y1 <= 1.0
        assert 0.0 <= w.confidence <= 1.0
    # "248,80" sits in the second data row, last column.
    cell = _word(page.words, "248,80")
    assert cell.yc == pytest.approx((TABLE_TOP + 2 * 70 + 35) / PAGE_H, abs=0.01)
    assert cell.x0 > 1000 / PAGE_W - 0.01


def test_doubtful_words_are_read_again_in_isolation():
    image = prepare_page(draw_quote_page(bordered=False)).image
    good = ocr_page(image, 1)
    target = _word(good.words, "248,80")
    # Pretend Tesseract misread the cell with no confidence: the second reading must fix it.
    garbled = [Word("ro40", *(target.x0, target.y0, target.x1, target.y1), confidence=0.0) if w is target else w
               for w in good.words]
    fixed = reread_low_confidence(image, garbled)
    assert "ro40" not in [w.text for w in fixed]
    repaired = _word(fixed, "248,80")
    assert repaired.xc == pytest.approx(target.xc, abs=0.01)
    assert repaired.yc == pytest.approx(target.yc, abs=0.01)


def _vera(size: int) -> ImageFont.FreeTypeFont:
    """Bitstream Vera (shipped with reportlab): it has the ² and ³ glyphs the default font lacks."""
    return ImageFont.truetype(os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf"), size)


def test_a_tinted_row_tesseract_misreads_in_gray_is_read_again_binarised():
    width, height = 1240, 600
    image = Image.new("L", (width, height), 250)
    draw = ImageDraw.Draw(image)
    font = _vera(30)
    draw.text((90, 60), "Peinture plafond", font=font, fill=20)
    # A dark table row fill: in the stacked gray strips Tesseract's own threshold sinks it, letters and all.
    draw.rectangle((80, 240, 1160, 300), fill=110)
    draw.text((90, 250), "Depose carrelage", font=font, fill=40)
    draw.text((900, 250), "248,80", font=font, fill=40)
    left, top, right, bottom = draw.textbbox((900, 250), "248,80", font=font)
    words = [Word("Peinture", 90 / width, 60 / height, 220 / width, 90 / height, 0.95),
             Word("ro40", left / width, top / height, right / width, bottom / height, 0.0)]
    fixed = reread_low_confidence(np.asarray(image).copy(), words)
    assert [w.text for w in fixed] == ["Peinture", "248,80"]


def test_unit_exponents_tesseract_dropped_are_read_from_the_raised_glyph():
    width, height = 1240, 400
    image = Image.new("L", (width, height), 250)
    draw = ImageDraw.Draw(image)
    font = _vera(30)
    words = []
    # As Tesseract returns them on body-size print: "m²" read "M", "m³" read "m°"; "N°" must stay.
    for y, printed, read in ((60, "m²", "M"), (160, "m³", "m°"), (260, "N°", "N°")):
        draw.text((90, y), "12,50", font=font, fill=20)
        draw.text((260, y), printed, font=font, fill=20)
        left, top, _, bottom = draw.textbbox((260, y), printed, font=font)
        right = draw.textbbox((260, y), printed[0], font=font)[2]  # the box of the letter alone
        words.append(Word(read, left / width, top / height, right / width, bottom / height, 0.8))
    fixed = read_exponents(np.asarray(image).copy(), words)
    assert [w.text for w in fixed] == ["m²", "m³", "N°"]
    assert (fixed[0].x0, fixed[0].x1) == (words[0].x0, words[0].x1)


def test_skewed_scan_pdf_is_read_page_by_page(tmp_path):
    first = rotate(draw_quote_page(), 1.5)
    second = np.full_like(first, 250)
    cv2.putText(second, "Report 4 321,09", (120, 300), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 20, 3)
    path = tmp_path / "scan.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for scan in (first, second):
        pdf.drawImage(ImageReader(Image.fromarray(scan)), 0, 0, width=A4[0], height=A4[1])
        pdf.showPage()
    pdf.save()

    pages = ocr_pages(path, MediaType.PDF)
    assert [p.number for p in pages] == [1, 2]
    assert "1 234,56" in _texts(pages[0]) and "1 713,36" in _texts(pages[0])
    assert "4 321,09" in _texts(pages[1]) or "4321,09" in _texts(pages[1])
    # Deskewed: the cells of one table row share a line again.
    row = [_word(pages[0].words, text) for text in ("Remplacement", "cumulus", "234,56")]
    assert max(w.yc for w in row) - min(w.yc for w in row) < 0.006


def test_phone_photo_with_exif_rotation_is_read(tmp_path):
    photo = photograph(draw_quote_page(), PHOTO_CORNERS)
    # Stored as a phone would: pixels a quarter-turn counter-clockwise, EXIF orientation 6.
    stored = cv2.rotate(photo, cv2.ROTATE_90_COUNTERCLOCKWISE)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "photo.jpg"
    Image.fromarray(cv2.cvtColor(stored, cv2.COLOR_BGR2RGB)).save(path, "JPEG", quality=85, exif=exif)

    (page,) = ocr_pages(path, MediaType.JPEG)
    text = _texts(page)
    for expected in ["DEVIS", "Peinture", "230,00", "1 234,56", "1 713,36"]:
        assert expected in text
    # Straightened onto the page: the title is where it was drawn on the sheet.
    title = _word(page.words, "DEVIS")
    assert title.x0 == pytest.approx(90 / PAGE_W, abs=0.02)
    assert title.y0 == pytest.approx(100 / PAGE_H, abs=0.02)
