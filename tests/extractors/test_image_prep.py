"""Page clean-up on synthetic pages: photos are found and flattened, scans deskewed, borders found."""
from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from extractors.image_prep import find_page_quad, find_rules, find_skew, prepare_page, rotate

PAGE_W, PAGE_H = 1240, 1754  # A4 at 150 dpi
ROWS = [
    ("Peinture plafond", "12,5", "m2", "18,40", "230,00"),
    ("Depose carrelage", "8", "m2", "31,10", "248,80"),
    ("Remplacement cumulus", "1", "u", "1 234,56", "1 234,56"),
]
TABLE_TOP, ROW_H = 560, 70
COLUMNS = [90, 560, 700, 820, 1000, 1170]


def draw_quote_page(bordered: bool = True) -> np.ndarray:
    """A gray A4 page with a title, text lines and a (bordered) table of known figures."""
    image = Image.new("L", (PAGE_W, PAGE_H), 250)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=30)
    title = ImageFont.load_default(size=52)
    draw.text((90, 100), "DEVIS 2025-0042", font=title, fill=20)
    for i, text in enumerate(["Entreprise Martin Renovation", "12 rue des Lilas 75011 Paris", "SIRET 123 456 789 00012"]):
        draw.text((90, 220 + 50 * i), text, font=font, fill=20)
    header = ["Designation", "Qte", "U", "P.U. HT", "Total HT"]
    for r, cells in enumerate([header, *ROWS]):
        y = TABLE_TOP + r * ROW_H
        for c, text in enumerate(cells):
            draw.text((COLUMNS[c] + 12, y + 18), text, font=font, fill=20)
    if bordered:
        bottom = TABLE_TOP + (len(ROWS) + 1) * ROW_H
        for r in range(len(ROWS) + 2):
            y = TABLE_TOP + r * ROW_H
            draw.line([(COLUMNS[0], y), (COLUMNS[-1], y)], fill=30, width=3)
        for x in COLUMNS:
            draw.line([(x, TABLE_TOP), (x, bottom)], fill=30, width=3)
    draw.text((700, 960), "Total TTC 1 713,36", font=font, fill=20)
    return np.asarray(image).copy()


def photograph(page: np.ndarray, corners: np.ndarray, size=(1500, 2000), shadow: float = 0.45) -> np.ndarray:
    """The page warped onto a dark green noisy background at ``corners``, with a shadow across it."""
    rng = np.random.default_rng(7)
    width, height = size
    background = np.zeros((height, width, 3), np.float32)
    background[:] = (60, 90, 70)
    background += rng.normal(0, 12, background.shape)
    source = np.float32([[0, 0], [PAGE_W - 1, 0], [PAGE_W - 1, PAGE_H - 1], [0, PAGE_H - 1]])
    matrix = cv2.getPerspectiveTransform(source, corners.astype(np.float32))
    colour = cv2.cvtColor(page, cv2.COLOR_GRAY2BGR).astype(np.float32)
    warped = cv2.warpPerspective(colour, matrix, (width, height))
    inside = cv2.warpPerspective(np.ones((PAGE_H, PAGE_W), np.float32), matrix, (width, height)) > 0.5
    photo = np.where(inside[:, :, None], warped, background)
    # Light falling off towards the bottom right, like a phone's shadow.
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    light = 1.0 - shadow * np.clip((xs / width + ys / height) - 0.6, 0, 1)
    return np.clip(photo * light[:, :, None], 0, 255).astype(np.uint8)


PHOTO_CORNERS = np.float32([[210, 170], [1330, 230], [1290, 1850], [170, 1790]])


def test_a_clean_scan_is_not_warped_nor_deskewed():
    prepared = prepare_page(draw_quote_page())
    assert prepared.warped is False
    assert "page_warp" not in prepared.steps and "deskew" not in prepared.steps
    assert "flatten_light" not in prepared.steps
    assert abs(prepared.skew_degrees) < 0.1


@pytest.mark.parametrize("degrees", [-3.0, -1.2, 2.0, 4.5])
def test_skew_is_measured_within_half_a_degree(degrees):
    turned = rotate(draw_quote_page(), degrees)
    assert find_skew(turned) == pytest.approx(-degrees, abs=0.5)


def test_deskew_levels_the_text_lines():
    turned = rotate(draw_quote_page(), 2.0)
    prepared = prepare_page(turned)
    assert "deskew" in prepared.steps
    assert prepared.skew_degrees == pytest.approx(-2.0, abs=0.5)
    # Once levelled, the table's top border is a horizontal rule again.
    horizontal = [r for r in prepared.rules if r.y0 == r.y1 and r.x1 - r.x0 > 0.5]
    assert horizontal, "no long horizontal border after deskew"


def test_photo_page_is_found_and_straightened_to_a4():
    photo = photograph(draw_quote_page(), PHOTO_CORNERS)
    quad = find_page_quad(photo)
    assert quad is not None
    assert np.abs(quad - PHOTO_CORNERS).max() < 25  # pixels, in a 1500x2000 photo
    prepared = prepare_page(photo)
    assert prepared.warped
    assert prepared.steps[:2] == ["page_warp", "flatten_light"]
    height, width = prepared.image.shape
    assert height / width == pytest.approx(math.sqrt(2), rel=0.01)
    # The shadow is gone: paper in the lit top-left and shadowed bottom-right corners reads alike.
    top_left = np.median(prepared.image[: height // 10, : width // 10])
    bottom_right = np.median(prepared.image[-height // 10:, -width // 10:])
    assert abs(float(top_left) - float(bottom_right)) < 12


def test_the_sheet_outline_from_its_edges_is_tried_only_on_a_photo():
    from extractors.image_prep import _framed_by_background, _outlined_region, _shrink, _sheet_corners

    # A shadow can bite into the bright paper region; the edges around the sheet still outline it.
    photo, scale = _shrink(photograph(draw_quote_page(), PHOTO_CORNERS), 800)
    corners = _sheet_corners(_outlined_region(photo), photo.shape[:2])
    assert corners is not None
    assert np.abs(corners / scale - PHOTO_CORNERS).max() < 25
    assert _framed_by_background(photo)
    # On a scan the outermost edges are the print's, not a sheet's: never warped to them.
    scan, _ = _shrink(draw_quote_page(), 800)
    assert not _framed_by_background(scan)
    assert find_page_quad(draw_quote_page()) is None


def photograph_on_grey_table(light_min: float) -> np.ndarray:
    """The page on a mid-grey table, lit from the top right: the lit table there is about as bright as
    the shadowed paper at the bottom left."""
    rng = np.random.default_rng(7)
    width, height = 1500, 2000
    background = np.full((height, width, 3), 150, np.float32) + rng.normal(0, 6, (height, width, 1))
    source = np.float32([[0, 0], [PAGE_W - 1, 0], [PAGE_W - 1, PAGE_H - 1], [0, PAGE_H - 1]])
    matrix = cv2.getPerspectiveTransform(source, PHOTO_CORNERS)
    colour = cv2.cvtColor(draw_quote_page(), cv2.COLOR_GRAY2BGR).astype(np.float32)
    warped = cv2.warpPerspective(colour, matrix, (width, height))
    inside = cv2.warpPerspective(np.ones((PAGE_H, PAGE_W), np.float32), matrix, (width, height)) > 0.5
    photo = np.where(inside[:, :, None], warped, background)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    light = light_min + (1 - light_min) * np.clip((xs / width - ys / height + 1) / 2, 0, 1)
    return np.clip(photo * light[:, :, None], 0, 255).astype(np.uint8)


@pytest.mark.parametrize("light_min", [0.45, 0.55, 0.65])
def test_a_sheet_on_a_grey_table_under_uneven_light_is_outlined_by_its_edges(light_min):
    # At 0.55 the bright region takes in the lit table at the top right (a corner 118 px off);
    # that outline's sides are no brightness step, the edges' outline is taken instead.
    quad = find_page_quad(photograph_on_grey_table(light_min))
    assert quad is not None
    assert np.abs(quad - PHOTO_CORNERS).max() < 25


def test_photo_of_a_scene_without_a_page_is_not_warped():
    rng = np.random.default_rng(3)
    scene = rng.integers(0, 255, (900, 1200, 3), dtype=np.uint8)
    scene = cv2.GaussianBlur(scene, (0, 0), 25)
    assert find_page_quad(scene) is None
    assert prepare_page(scene).warped is False


def test_table_borders_are_found_as_rules_and_erased():
    page = draw_quote_page(bordered=True)
    rules, mask = find_rules(page)
    horizontal = [r for r in rules if r.y0 == r.y1]
    vertical = [r for r in rules if r.x0 == r.x1]
    assert len(horizontal) == len(ROWS) + 2
    assert len(vertical) == len(COLUMNS)
    expected_top = TABLE_TOP / PAGE_H
    assert min(r.y0 for r in horizontal) == pytest.approx(expected_top, abs=0.003)
    prepared = prepare_page(page)
    assert "erase_rules" in prepared.steps
    row = int(TABLE_TOP)
    assert prepared.image[row, COLUMNS[0] + 200] > 200  # border pixel now paper


def test_borderless_page_has_no_rules():
    rules, _ = find_rules(draw_quote_page(bordered=False))
    assert rules == []


def test_a_printed_page_looks_like_text_and_a_plain_photo_does_not():
    import cv2
    import numpy as np

    from extractors.image_prep import looks_like_text

    page = np.full((1400, 1000), 245, np.uint8)
    for row in range(60):
        cv2.putText(page, "Peinture plafond 2 couches 24,00 m2 312,50", (40, 40 + row * 22),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.6, 20, 1, cv2.LINE_AA)
    rng = np.random.default_rng(3)
    wall = cv2.GaussianBlur(rng.integers(90, 170, (1200, 1600), dtype=np.uint8), (31, 31), 0)
    cv2.circle(wall, (800, 600), 300, 60, -1)  # a water stain
    assert looks_like_text(page)
    assert not looks_like_text(wall)


def test_a_dark_header_band_is_inverted_but_a_dark_photo_background_is_not():
    from extractors.image_prep import invert_dark_bands

    page = np.full((1000, 800), 240, np.uint8)
    page[300:340, 100:700] = 50  # a filled header band on the paper...
    cv2.putText(page, "Designation   Qte   Montant HT", (110, 330), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 250, 2)
    page[950:1000, :] = 40  # ...and the dark table the sheet lies on, along the image's bottom edge
    band_letters = page[300:340, 100:700] > 200
    assert invert_dark_bands(page)
    assert page[300:340, 100:700][~band_letters].mean() > 200  # the fill became paper
    assert page[300:340, 100:700][band_letters].mean() < 100  # the letters became ink
    assert page[950:1000].mean() < 60  # the background was left alone


def test_a_shadow_across_the_sheet_is_not_taken_for_a_band():
    from extractors.image_prep import invert_dark_bands

    page = np.full((1000, 800), 240, np.uint8)
    page[300:1000, 50:750] = 140  # the paper under a shadow...
    page[500:540, 50:750] = 100  # ...darker still along one strip, yet hardly darker than around it
    before = page.copy()
    assert not invert_dark_bands(page)
    assert np.array_equal(page, before)


def test_a_grey_header_band_is_whitened_and_its_letters_stay_dark():
    import cv2
    import numpy as np

    from extractors.image_prep import whiten_tinted_bands

    page = np.full((1400, 1000), 245, np.uint8)
    page[300:340, 80:920] = 190  # grey fill of a table header
    cv2.putText(page, "Designation   Qte   U   P.U. HT", (100, 330), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 30, 2)
    assert whiten_tinted_bands(page)
    band = page[300:340, 80:920]
    assert np.percentile(band, 60) >= 235  # the fill is paper now
    assert band.min() <= 60  # the letters are still dark
    assert (page[600:700] == 245).all()  # the rest of the page is untouched
