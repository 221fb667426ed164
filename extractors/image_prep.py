"""OpenCV clean-up of a page image before OCR.

Each step is decided per image from what the image shows, so a clean scan is left nearly
alone while a phone photo gets the full treatment:

1. ``page_warp``   - a photo of a page lying on a darker background: find the page's
   quadrilateral and map it onto an upright A4-ratio rectangle (perspective correction).
2. ``flatten_light`` - uneven light or a shadow across the page: divide by the paper's
   brightness estimated with a large closing (text removed), so the paper reads white everywhere.
3. ``deskew``      - rotation of a few degrees (scanner feed, residual after the warp): the angle
   whose horizontal projection profile of ink is sharpest, searched within +/-5 degrees.
4. ``upscale``     - text too small for Tesseract (photos at ~150 dpi): enlarge so a line of
   body text is ~30 px high.

Binarisation is not applied: Tesseract's own Otsu on the flattened gray page read as many
table numbers as our Sauvola/Otsu variants on the corpus and adaptive thresholding broke thin
digits on blurred scans (see docs/ocr.md).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from core.models import RuleLine

A4_RATIO = math.sqrt(2)
MAX_SKEW_DEGREES = 5.0


@dataclass
class PreparedPage:
    image: np.ndarray  # gray uint8, upright, ready for Tesseract
    steps: list[str] = field(default_factory=list)
    # Rotation applied to level the text, degrees, counter-clockwise positive (OpenCV's sense):
    # a page scanned turned 2 degrees counter-clockwise gets -2.
    skew_degrees: float = 0.0
    warped: bool = False
    rules: list[RuleLine] = field(default_factory=list)  # table borders, in page fractions


def prepare_page(img: np.ndarray) -> PreparedPage:
    steps: list[str] = []
    quad = find_page_quad(img)
    gray = to_gray(img)
    warped = False
    if quad is not None:
        gray = warp_to_page(gray, quad)
        warped = True
        steps.append("page_warp")
    # Level the page first (the angle is measured on evenly lit paper), so that a filled header band is a
    # straight rectangle when it is inverted; invert before flattening, which would take the band for a
    # shadow and grey it out.
    probe = flatten_light(gray) if needs_flattening(gray) else gray
    angle = find_skew(probe)
    if abs(angle) >= 0.1:
        gray = rotate(gray, angle)
        steps.append("deskew")
    elif not warped:
        gray = gray.copy()  # the loaded image may be read-only, and is not ours to change
    if invert_dark_bands(gray):
        steps.append("invert_bands")
    if needs_flattening(gray):
        gray = flatten_light(gray)
        steps.append("flatten_light")
    if whiten_tinted_bands(gray):
        steps.append("whiten_bands")
    scale = upscale_factor(gray)
    if scale > 1.0:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        steps.append("upscale")
    rules, rule_mask = find_rules(gray)
    if rules:
        gray = erase_rules(gray, rule_mask)
        steps.append("erase_rules")
    return PreparedPage(image=gray, steps=steps, skew_degrees=angle, warped=warped, rules=rules)


def to_gray(img: np.ndarray) -> np.ndarray:
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)


def _shrink(img: np.ndarray, longest: int) -> tuple[np.ndarray, float]:
    scale = longest / max(img.shape[:2])
    if scale >= 1.0:
        return img, 1.0
    return cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), scale


def find_page_quad(img: np.ndarray) -> np.ndarray | None:
    """Corners (tl, tr, br, bl) of a sheet photographed on a background, or None for a scan.

    The sheet is the largest bright region well inside the frame; a scan (paper up to the
    edges) or a photo with no sheet (damage photo) has none that is a convex quadrilateral
    leaving a visible margin of background. On a grey background under uneven light the bright
    region can lose the shadowed part of the sheet or take in lit background: a side of its outline
    then runs across paper or background, with no step in brightness. The sheet's outline is then
    taken from its edges, which a shadow darkens on both sides alike, when its weakest side is a
    sharper step than the bright region's.
    """
    small, scale = _shrink(img, 800)
    corners = _sheet_corners(_bright_region(small), small.shape[:2])
    gray = to_gray(small)
    if (corners is None or _weakest_side_step(gray, corners) < SHEET_EDGE_STEP) and _framed_by_background(small):
        outlined = _sheet_corners(_outlined_region(small), small.shape[:2])
        if outlined is not None and (corners is None or _weakest_side_step(gray, outlined) > _weakest_side_step(gray, corners)):
            corners = outlined
    return None if corners is None else corners / scale


# Log-brightness step from outside to inside a sheet's edge: paper on a grey table measures ~0.45,
# on a dark cloth or wood > 1; a side drawn across paper or across background ~0.
SHEET_EDGE_STEP = 0.2


def _weakest_side_step(gray: np.ndarray, corners: np.ndarray, offset: float = 6.0) -> float:
    """The smallest, over the quadrilateral's four sides, of the median log-brightness step from just
    outside the side to just inside it (offset in pixels of ``gray``)."""
    log = np.log1p(cv2.GaussianBlur(gray, (0, 0), 1.5).astype(np.float32))
    height, width = log.shape
    centre = corners.mean(axis=0)
    along = np.linspace(0.05, 0.95, 60)[:, None]

    def sample(points: np.ndarray) -> np.ndarray:
        xs = np.clip(np.rint(points[:, 0]).astype(int), 0, width - 1)
        ys = np.clip(np.rint(points[:, 1]).astype(int), 0, height - 1)
        return log[ys, xs]

    steps = []
    for start, end in zip(corners, np.roll(corners, -1, axis=0)):
        normal = np.array([start[1] - end[1], end[0] - start[0]], dtype=np.float64)
        normal /= max(float(np.linalg.norm(normal)), 1e-9)
        if np.dot(centre - (start + end) / 2, normal) < 0:
            normal = -normal  # pointing inwards
        points = start + (end - start) * along
        steps.append(float(np.median(sample(points + offset * normal) - sample(points - offset * normal))))
    return min(steps)


def _framed_by_background(small: np.ndarray) -> bool:
    """Is the image's rim darker than its paper (a photo of a sheet), rather than paper itself (a scan)?"""
    gray = to_gray(small)
    rim = max(2, min(gray.shape[:2]) // 50)
    border = np.concatenate([gray[:rim].ravel(), gray[-rim:].ravel(), gray[:, :rim].ravel(), gray[:, -rim:].ravel()])
    return float(np.median(border)) < 0.8 * float(np.percentile(gray, 95))


def _bright_region(small: np.ndarray) -> np.ndarray:
    if small.ndim == 3:
        # Paper is bright and grey; backgrounds are darker and/or coloured.
        hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
        paperness = cv2.subtract(hsv[:, :, 2], hsv[:, :, 1])
    else:
        paperness = small
    paperness = cv2.GaussianBlur(paperness, (0, 0), 3)
    _, mask = cv2.threshold(paperness, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))


def _outlined_region(small: np.ndarray) -> np.ndarray:
    """Everything inside the outermost edges: the sheet's border encloses its print."""
    edges = cv2.Canny(cv2.GaussianBlur(to_gray(small), (0, 0), 2), 20, 60)
    return cv2.dilate(edges, np.ones((3, 3), np.uint8))


def _sheet_corners(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray | None:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    hull = cv2.convexHull(max(contours, key=lambda c: cv2.contourArea(cv2.convexHull(c))))
    height, width = shape
    frame_area = height * width
    if not 0.2 * frame_area <= cv2.contourArea(hull) <= 0.97 * frame_area:
        return None
    quad = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
    if len(quad) != 4 or cv2.contourArea(quad) < 0.9 * cv2.contourArea(hull):
        return None
    corners = _order_corners(quad.reshape(4, 2).astype(np.float32))
    margin = 0.005 * max(width, height)
    touches = (
        (corners[:, 0] <= margin).sum() + (corners[:, 0] >= width - 1 - margin).sum()
        + (corners[:, 1] <= margin).sum() + (corners[:, 1] >= height - 1 - margin).sum()
    )
    if touches >= 3:
        return None  # paper fills the frame: a scan, nothing to warp
    return corners


def _order_corners(points: np.ndarray) -> np.ndarray:
    sums = points.sum(axis=1)
    diffs = np.diff(points, axis=1).ravel()
    return np.array(
        [points[np.argmin(sums)], points[np.argmin(diffs)], points[np.argmax(sums)], points[np.argmax(diffs)]],
        dtype=np.float32,
    )


def warp_to_page(gray: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Map the quadrilateral onto an A4-ratio rectangle as wide as the sheet's longer horizontal edge."""
    tl, tr, br, bl = corners
    width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    if height >= width:
        out_w, out_h = int(round(width)), int(round(width * A4_RATIO))
    else:
        out_w, out_h = int(round(height * A4_RATIO)), int(round(height))
    target = np.array([[0, 0], [out_w - 1, 0], [out_w - 1, out_h - 1], [0, out_h - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    return cv2.warpPerspective(gray, matrix, (out_w, out_h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def paper_background(gray: np.ndarray) -> np.ndarray:
    """The paper's brightness everywhere, with the (dark, thin) ink closed over."""
    small, scale = _shrink(gray, 600)
    kernel = max(9, int(round(max(small.shape) / 40)) | 1)
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (kernel, kernel)))
    closed = cv2.GaussianBlur(closed, (0, 0), kernel / 2)
    if scale == 1.0:
        return closed
    return cv2.resize(closed, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)


def needs_flattening(gray: np.ndarray) -> bool:
    """True when the paper's brightness varies across the page (shadow, light fall-off)."""
    small, _ = _shrink(gray, 600)
    background = paper_background(small)
    low, high = np.percentile(background, [2, 98])
    return high - low > 25


def flatten_light(gray: np.ndarray) -> np.ndarray:
    background = paper_background(gray).astype(np.float32)
    flat = cv2.divide(gray.astype(np.float32), np.maximum(background, 1.0), scale=255.0)
    return np.clip(flat, 0, 255).astype(np.uint8)


def _ink_mask(gray: np.ndarray) -> np.ndarray:
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return ink


def find_skew(gray: np.ndarray) -> float:
    """The rotation (degrees, counter-clockwise positive) that levels the text lines, within +/-5.

    Text lines make the row sums of ink peaky when the page is level; we search the angle that
    maximises the profile's sum of squared differences, coarse then fine, on a reduced image.
    """
    small, _ = _shrink(gray, 1000)
    ink = _ink_mask(small)
    if cv2.countNonZero(ink) < 0.001 * ink.size:
        return 0.0
    center = (small.shape[1] / 2, small.shape[0] / 2)

    def sharpness(angle: float) -> float:
        matrix = cv2.getRotationMatrix2D(center, angle, 1.0)
        turned = cv2.warpAffine(ink, matrix, (small.shape[1], small.shape[0]), flags=cv2.INTER_NEAREST)
        profile = turned.sum(axis=1, dtype=np.float64)
        return float(np.square(np.diff(profile)).sum())

    best = max(np.arange(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES + 0.01, 0.5), key=sharpness)
    best = max(np.arange(best - 0.5, best + 0.51, 0.05), key=sharpness)
    return round(float(best), 2)


def rotate(gray: np.ndarray, angle: float) -> np.ndarray:
    """Turn the page by ``angle`` degrees about its centre (keeps the size; corners filled with paper)."""
    center = (gray.shape[1] / 2, gray.shape[0] / 2)
    matrix = cv2.getRotationMatrix2D(center, angle, 1.0)
    paper = int(np.percentile(gray[:: 8, :: 8], 90))
    return cv2.warpAffine(
        gray, matrix, (gray.shape[1], gray.shape[0]), flags=cv2.INTER_CUBIC,
        borderMode=cv2.BORDER_CONSTANT, borderValue=paper,
    )


def upscale_factor(gray: np.ndarray) -> float:
    """Enlargement bringing the page to ~300 dpi A4 width (2480 px) when it is below ~220 dpi."""
    short_side = min(gray.shape[:2])
    if short_side >= 1800:
        return 1.0
    return min(2.0, 2480 / short_side)


def _text_height_bands(wide_rows: np.ndarray) -> list[tuple[int, int]]:
    """Runs of flagged rows as tall as a line of text (start, end exclusive): a dark photo margin or a big
    filled area is not a table header."""
    height = len(wide_rows)
    padded = np.concatenate(([0], wide_rows.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2]) if max(8, height // 400) <= b - a <= height // 15]


def invert_dark_bands(gray: np.ndarray) -> bool:
    """Turn light-on-dark bands (a table header printed white on a dark fill) into dark-on-light, in place.

    Tesseract reads dark ink on paper; a filled header band would otherwise be lost, and with it the
    table's columns. A band is a run of rows mostly darker than the paper over a wide span.
    """
    height, width = gray.shape[:2]
    paper = float(np.percentile(gray[::4, ::4], 90))
    dark = gray < paper * 0.55
    inverted = False
    for row, end in _text_height_bands(dark.mean(axis=1) > 0.35):
        # A low share of dark rows per column keeps the whole width of a band still tilted before deskew.
        x0, x1 = _longest_run(dark[row:end].mean(axis=0) > 0.2)
        # A header band lies on the paper; a dark strip reaching the image's edge is the background
        # around a photographed sheet (its longest dark run is the band when the sheet has margins).
        margin = width // 100
        if x1 - x0 > width // 4 and x0 > margin and x1 < width - margin and row > 0 and end < height \
                and _stands_out(gray, row, end, x0, x1):
            band = 255 - gray[row:end, x0:x1].astype(np.float32)
            # The fill becomes paper white, the letters keep their contrast.
            background = max(1.0, float(np.percentile(band, 60)))
            gray[row:end, x0:x1] = np.clip(band * (255.0 / background), 0, 255).astype(np.uint8)
            inverted = True
    return inverted


def whiten_tinted_bands(gray: np.ndarray) -> bool:
    """Bring a light tinted fill (a grey table header) to paper white, in place, keeping the letters dark:
    Tesseract misreads dark text on a mid-grey fill far more often than on white."""
    width = gray.shape[1]
    paper = float(np.percentile(gray[::4, ::4], 90))
    tinted = (gray >= paper * 0.55) & (gray < paper * 0.88)
    whitened = False
    for row, end in _text_height_bands(tinted.mean(axis=1) > 0.5):
        x0, x1 = _longest_run(tinted[row:end].mean(axis=0) > 0.5)
        if x1 - x0 > width // 4:
            band = gray[row:end, x0:x1].astype(np.float32)
            fill = max(1.0, float(np.percentile(band, 60)))
            gray[row:end, x0:x1] = np.clip(band * (paper / fill), 0, 255).astype(np.uint8)
            whitened = True
    return whitened


def _longest_run(flags: np.ndarray) -> tuple[int, int]:
    """Start and end (exclusive) of the longest run of True; (0, 0) when there is none."""
    padded = np.concatenate(([0], flags.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    if not edges.size:
        return 0, 0
    starts, ends = edges[::2], edges[1::2]
    longest = int(np.argmax(ends - starts))
    return int(starts[longest]), int(ends[longest])


def _stands_out(gray: np.ndarray, row: int, end: int, x0: int, x1: int) -> bool:
    """A filled band is much darker than the paper right above and below it; a shadow on a photo
    darkens its surroundings too."""
    size = end - row
    above = gray[max(0, row - size):row, x0:x1]
    below = gray[end:end + size, x0:x1]
    if not above.size or not below.size:
        return False
    band = float(np.median(gray[row:end, x0:x1]))
    return band < 0.6 * min(float(np.median(above)), float(np.median(below)))


def find_rules(gray: np.ndarray) -> tuple[list[RuleLine], np.ndarray]:
    """Long straight table borders, found by opening the ink with long thin kernels.

    Returns the rules in page fractions and the mask of their pixels.
    """
    height, width = gray.shape[:2]
    ink = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)
    # Long enough that no glyph stroke qualifies, even in a large title.
    min_horizontal, min_vertical = max(20, width // 25), max(20, height // 40)
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (min_horizontal, 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, min_vertical)))
    rules: list[RuleLine] = []
    mask = np.zeros_like(ink)
    for lines, is_horizontal in ((horizontal, True), (vertical, False)):
        count, labels, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
        kept = np.zeros(count, dtype=bool)
        for label in range(1, count):
            x, y, w, h, _area = stats[label]
            # Thin and long only: a filled header band or a bold glyph stroke is not a rule.
            if is_horizontal and h <= max(8, height // 200):
                yc = (y + h / 2) / height
                rules.append(RuleLine(float(x / width), float(yc), float((x + w) / width), float(yc)))
            elif not is_horizontal and w <= max(8, width // 150):
                xc = (x + w / 2) / width
                rules.append(RuleLine(float(xc), float(y / height), float(xc), float((y + h) / height)))
            else:
                continue
            kept[label] = True
        mask[kept[labels]] = 255
    return rules, mask


def erase_rules(gray: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Paint the rules in paper colour: Tesseract reads a border touching a digit as part of it."""
    grown = cv2.dilate(mask, np.ones((5, 5), np.uint8))
    paper = int(np.percentile(gray[::8, ::8], 90))
    cleaned = gray.copy()
    cleaned[grown > 0] = paper
    return cleaned


# Share of edge pixels on a 400-px-wide thumbnail: printed pages measure 0.03–0.06, photos of
# damage (walls, floors, stains) under 0.005.
TEXT_EDGE_DENSITY = 0.012


def looks_like_text(img: np.ndarray) -> bool:
    """Cheap test before OCR: does the image hold the dense small strokes of print?"""
    gray = to_gray(img)
    width = 400
    small = cv2.resize(gray, (width, max(1, int(width * gray.shape[0] / gray.shape[1]))), interpolation=cv2.INTER_AREA)
    return float(cv2.Canny(small, 80, 200).mean()) / 255 >= TEXT_EDGE_DENSITY
