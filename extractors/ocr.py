"""Tesseract OCR of page images into ``PageText`` words (boxes in page fractions).

Tesseract runs as a subprocess fed a PGM on stdin and answering TSV on stdout (no temp files).
``OMP_THREAD_LIMIT=1`` is set for it: its OpenMP threads spin more than they work and made a
page take twice as long (2.5 s vs 1.25 s on a 200-dpi A4 scan); two pages run side by side instead.
"""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from core.enums import PageSource
from core.errors import OcrError
from core.models import MediaType, PageText, Word
from extractors.image_prep import PreparedPage, looks_like_text, prepare_page
from extractors.images import page_count, page_images

TESSERACT = "tesseract"
LANGUAGE = "fra"
# psm 6 (one uniform block) keeps each table row on one Tesseract line, so a row's cells come
# out in reading order; psm 3/4 split the columns into blocks on some bordered tables.
PAGE_SEGMENTATION = "6"
TIMEOUT_SECONDS = 120
PARALLEL_PAGES = 2
REREAD_BELOW = 0.5  # word confidence under which a word is read a second time, cut out
BINARISED_BELOW = 0.6  # a re-read this doubtful on the gray strip may take the binarised strip's reading
MAX_REREAD_RUNS = 60
# A picture with almost no words (damage photo) would send every blotch to the re-read.
MIN_WORDS_FOR_MISSED_LINES = 20
# A unit whose exponent Tesseract dropped or misread at body size: "m²" read "M", "Ne"; "m³" read "m°".
# ("m?", "m*" already say m² to the unit reader and are left alone.)
_EXPONENT_BASE = re.compile(r"[mMnN][°'\"^.,:;]?|[mMnN][eEoO]")
EXPONENT_HEIGHT_PX = 60  # a raised glyph is enlarged to well above body-text height before it is read


def run_tesseract(image: np.ndarray, psm: str | None = None, output: str | None = "tsv") -> str:
    """Tesseract's TSV output for a gray or BGR uint8 image (``output=None``: its plain report)."""
    ok, encoded = cv2.imencode(".pgm" if image.ndim == 2 else ".ppm", image)
    if not ok:
        raise OcrError("page image could not be encoded for Tesseract")
    if psm == "0":  # orientation detection: its own model, and Tesseract's default engine
        command = [TESSERACT, "stdin", "stdout", "--psm", "0"]
    else:
        command = [TESSERACT, "stdin", "stdout", "-l", LANGUAGE, "--oem", "1", "--psm", psm or PAGE_SEGMENTATION]
    if output:
        command.append(output)
    if _SETPRIV:
        # Tesseract ends with the worker that started it, even when that worker is killed.
        command = [_SETPRIV, "--pdeathsig", "KILL", *command]
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    try:
        done = subprocess.run(
            command, input=encoded.tobytes(), capture_output=True, env=env, timeout=TIMEOUT_SECONDS, check=False
        )
    except FileNotFoundError as exc:
        raise OcrError("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-fra)") from exc
    except subprocess.TimeoutExpired as exc:
        raise OcrError(f"tesseract took longer than {TIMEOUT_SECONDS} s on one page") from exc
    if done.returncode != 0:
        raise OcrError(f"tesseract failed: {done.stderr.decode(errors='replace').strip()[:300]}")
    return done.stdout.decode("utf-8", errors="replace")


# Leptonica refuses images over 32767 pixels a side ("Image too large"); stay well inside.
TESSERACT_MAX_SIDE = 12000  # the clean-up may still double a side
_SETPRIV = shutil.which("setpriv")


def within_tesseract_limits(image: np.ndarray) -> np.ndarray:
    """The image, shrunk when a side is longer than Tesseract reads (an elongated strip, a poster)."""
    longest = max(image.shape[:2])
    if longest <= TESSERACT_MAX_SIDE:
        return image
    scale = TESSERACT_MAX_SIDE / longest
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def parse_tsv(tsv: str, width: int, height: int) -> list[Word]:
    """Words (TSV level 5) with boxes as page fractions and confidence in 0..1."""
    words: list[Word] = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") != "5":
            continue
        text = (row.get("text") or "").strip()
        if not text:
            continue
        left, top = int(row["left"]), int(row["top"])
        right, bottom = left + int(row["width"]), top + int(row["height"])
        confidence = max(0.0, min(1.0, float(row["conf"]) / 100))
        words.append(Word(text, left / width, top / height, right / width, bottom / height, confidence))
    return words


def _low_confidence_runs(words: list[Word]) -> list[list[Word]]:
    """Runs of adjacent low-confidence words on one text line, in reading order."""
    doubtful = sorted((w for w in words if w.confidence < REREAD_BELOW), key=lambda w: (w.yc, w.x0))
    runs: list[list[Word]] = []
    for word in doubtful:
        last = runs[-1][-1] if runs else None
        line_height = word.y1 - word.y0
        if last and abs(word.yc - last.yc) < 0.5 * line_height and word.x0 - last.x1 < 2 * line_height:
            runs[-1].append(word)
        else:
            runs.append([word])
    return runs[:MAX_REREAD_RUNS]


def _missed_text_lines(image: np.ndarray, words: list[Word]) -> list[list[Word]]:
    """Text lines with ink but no word: --psm 6 skips lines much taller than the body text
    (a big company name or "DEVIS" title). Each comes back as a one-placeholder run."""
    height, width = image.shape[:2]
    scale = 0.25
    small = cv2.resize(image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), None, fx=scale, fy=scale,
                       interpolation=cv2.INTER_AREA)
    _, ink = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    covered = np.zeros_like(ink)
    for w in words:
        covered[int(w.y0 * ink.shape[0]):int(w.y1 * ink.shape[0]) + 1, int(w.x0 * ink.shape[1]):int(w.x1 * ink.shape[1]) + 1] = 255
    ink[covered > 0] = 0
    lines = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 1)))
    count, _, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
    missed = []
    for x, y, w, h, area in stats[1:count]:
        # Title-sized lines only: taller than body text, wider than tall, mostly filled like letters.
        if 0.012 * ink.shape[0] <= h <= 0.06 * ink.shape[0] and w >= 2 * h and area >= 0.3 * w * h:
            missed.append([Word("", x / ink.shape[1], y / ink.shape[0], (x + w) / ink.shape[1], (y + h) / ink.shape[0], 0.0)])
    return missed[:MAX_REREAD_RUNS]


def reread_low_confidence(image: np.ndarray, words: list[Word]) -> list[Word]:
    """Read again, each on its own, the words Tesseract doubted.

    With --psm 6 a text line is assumed to run across the whole page, so a totals cell set at
    a slightly different height from the text to its left is read against the wrong baseline
    ("739,40" came out as "ro40", confidence 0). Cut out each doubtful run, stack the strips
    with white space between them, read that small image in one call, and keep the new
    reading of a strip when Tesseract is more confident of it.

    Each strip is stacked twice, as it is and binarised on its own (Otsu): print Tesseract keeps
    misreading in gray ("11,99 m2" → "11/99%2m2" on a tinted table row) is often read right once
    the strip's background is plain white, while the gray copy keeps what binarising loses on
    blurred print. The binarised reading is taken only where the gray one stays doubtful.
    """
    runs = _low_confidence_runs(words)
    if len(words) >= MIN_WORDS_FOR_MISSED_LINES:
        runs += _missed_text_lines(image, words)
    if not runs:
        return words
    strips, offsets = _cut_strips(image, runs)
    canvas, gap, tops = _stack_strips(image, strips)
    height, width = image.shape[:2]
    layout = _StripLayout(width, height, gap, canvas.shape[1], canvas.shape[0])
    reread = parse_tsv(run_tesseract(canvas), layout.canvas_w, layout.canvas_h)
    # Each replaced run's new words take the place of its first word, keeping reading order.
    replacements: dict[int, list[Word]] = {}
    dropped: set[int] = set()
    for run, (strip, _), (x0, y0), copy_tops in zip(runs, strips, offsets, tops):
        best = _best_reading(run, strip, copy_tops, reread, x0, layout)
        if best is None:
            continue
        mine, strip_top = best
        dropped.update(id(w) for w in run)
        replacements[id(run[0])] = [_placed(w, strip_top, x0, y0, layout) for w in mine]
    return _merged(words, replacements, dropped)


@dataclass(frozen=True)
class _StripLayout:
    """The page's size and the stacked strips' canvas, to carry word boxes from one to the other."""

    width: int
    height: int
    gap: int
    canvas_w: int
    canvas_h: int


def _cut_strips(image: np.ndarray, runs: list[list[Word]]) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[tuple[int, int]]]:
    """Each run's strip of the page, with some margin, as it is and binarised; and where it was cut."""
    height, width = image.shape[:2]
    strips, offsets = [], []
    for run in runs:
        line_height = max(w.y1 - w.y0 for w in run) * height
        x0 = max(0, int(min(w.x0 for w in run) * width - 0.3 * line_height))
        x1 = min(width, int(max(w.x1 for w in run) * width + 0.3 * line_height))
        y0 = max(0, int(min(w.y0 for w in run) * height - 0.4 * line_height))
        y1 = min(height, int(max(w.y1 for w in run) * height + 0.4 * line_height))
        strip = image[y0:y1, x0:x1]
        strips.append((strip, _binarised(strip)))
        offsets.append((x0, y0))
    return strips, offsets


def _stack_strips(image: np.ndarray, strips: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, int, list[list[int]]]:
    """Both copies of every strip one under the other on paper-coloured canvas; the top of each copy."""
    paper = int(np.percentile(image[::8, ::8], 90))
    gap = max(s.shape[0] for s, _ in strips)
    canvas_w = max(s.shape[1] for s, _ in strips) + 2 * gap
    canvas_h = sum(2 * (s.shape[0] + gap) for s, _ in strips) + gap
    canvas = np.full((canvas_h, canvas_w) + image.shape[2:], paper, dtype=np.uint8)
    tops: list[list[int]] = []
    top = gap
    for pair in strips:
        tops.append([])
        for copy in pair:
            canvas[top:top + copy.shape[0], gap:gap + copy.shape[1]] = copy
            tops[-1].append(top)
            top += copy.shape[0] + gap
    return canvas, gap, tops


def _best_reading(run: list[Word], strip: np.ndarray, copy_tops: list[int], reread: list[Word], x0: int,
                  layout: _StripLayout) -> tuple[list[Word], int] | None:
    """The new words of a run and the top of the copy they come from, when more confident than the run."""
    # Glyphs of neighbouring words caught at the strip's ends are not part of the run.
    run_x0 = min(w.x0 for w in run) * layout.width - x0 + layout.gap
    run_x1 = max(w.x1 for w in run) * layout.width - x0 + layout.gap
    readings = [
        ([w for w in reread
          if strip_top <= w.yc * layout.canvas_h < strip_top + strip.shape[0]
          and run_x0 <= w.xc * layout.canvas_w <= run_x1],
         strip_top)
        for strip_top in copy_tops
    ]
    scored = [(mine, strip_top, _mean_confidence(mine)) for mine, strip_top in readings if mine]
    if not scored:
        return None
    # The binarised copy only stands in for a gray reading that is still doubtful: where both are
    # fair, Tesseract's confidence does not tell which is right ("Fft" read "ft" gray, "R" binarised).
    gray = scored[0] if scored[0][1] == copy_tops[0] else None
    if gray is not None and gray[2] >= BINARISED_BELOW:
        scored = [gray]
    mine, strip_top, new = max(scored, key=lambda r: r[2])
    if new <= _mean_confidence(run):
        return None
    return mine, strip_top


def _placed(word: Word, strip_top: int, x0: int, y0: int, layout: _StripLayout) -> Word:
    """A word read on the canvas, with its box back on the page."""
    return Word(
        word.text,
        (word.x0 * layout.canvas_w - layout.gap + x0) / layout.width,
        (word.y0 * layout.canvas_h - strip_top + y0) / layout.height,
        (word.x1 * layout.canvas_w - layout.gap + x0) / layout.width,
        (word.y1 * layout.canvas_h - strip_top + y0) / layout.height,
        word.confidence,
    )


def _merged(words: list[Word], replacements: dict[int, list[Word]], dropped: set[int]) -> list[Word]:
    """The first pass with the runs read again put in place of theirs, in reading order."""
    # A strip can take in words of the line outside its run: keep only new words where no first-pass
    # word that stays already sits.
    # Two runs (a doubtful word and a missed line) can cover the same ink: the more confident reading wins.
    kept = [w for w in words if id(w) not in dropped]
    for key, found in sorted(replacements.items(), key=lambda item: -_mean_confidence(item[1])):
        replacements[key] = [w for w in found if not any(_overlapping(w, old) for old in kept)]
        kept.extend(replacements[key])
    result: list[Word] = []
    for word in words:
        if id(word) in replacements:
            result.extend(replacements.pop(id(word)))
        elif id(word) not in dropped:
            result.append(word)
    # What is left read lines that had no word: put each before the first word below it.
    for found in replacements.values():
        if not found:
            continue
        position = next((i for i, w in enumerate(result) if w.y0 > found[0].yc), len(result))
        result[position:position] = found
    return result


def _mean_confidence(words: list[Word]) -> float:
    return sum(w.confidence for w in words) / len(words)


def _binarised(strip: np.ndarray) -> np.ndarray:
    gray = strip if strip.ndim == 2 else cv2.cvtColor(strip, cv2.COLOR_BGR2GRAY)
    _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return binary if strip.ndim == 2 else cv2.cvtColor(binary, cv2.COLOR_GRAY2BGR)


def _overlapping(a: Word, b: Word) -> bool:
    """Do two word boxes share more than half of the smaller one?"""
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    if width <= 0 or height <= 0:
        return False
    smaller = min((a.x1 - a.x0) * (a.y1 - a.y0), (b.x1 - b.x0) * (b.y1 - b.y0))
    return width * height > 0.5 * smaller


def _raised_glyph(ink: np.ndarray) -> tuple[int, int, int, int] | None:
    """Box (x0, y0, x1, y1) of an exponent in a word's ink mask: a glyph at the right end standing clear
    of the baseline, about half a letter high and narrow, with no hole (a "°" is smaller and has one)."""
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return None
    top, baseline = int(rows[0]), int(rows[-1])
    glyph_height = baseline - top + 1
    has_ink = ink.any(axis=0)
    lowest = np.where(has_ink, ink.shape[0] - 1 - np.argmax(ink[::-1] > 0, axis=0), -1)
    on_baseline = np.flatnonzero(lowest >= baseline - 0.15 * glyph_height)
    if on_baseline.size == 0:
        return None
    # Columns right of the last one reaching the baseline: the exponent, touching the letter or not.
    trailing = np.flatnonzero(has_ink[on_baseline[-1] + 1:]) + on_baseline[-1] + 1
    if trailing.size == 0:
        return None
    x0, x1 = int(trailing[0]), int(trailing[-1]) + 1
    glyph_rows = np.flatnonzero(ink[:, x0:x1].any(axis=1))
    y0, y1 = int(glyph_rows[0]), int(glyph_rows[-1]) + 1
    raised = y1 <= top + 0.8 * glyph_height and y0 <= top + 0.2 * glyph_height
    sized = 0.5 * glyph_height <= y1 - y0 <= 0.8 * glyph_height and 0.2 * glyph_height <= x1 - x0 <= 0.56 * glyph_height
    if not (raised and sized):
        return None
    _, hierarchy = cv2.findContours(np.ascontiguousarray(ink[y0:y1, x0:x1]), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    has_hole = hierarchy is not None and any(parent >= 0 for *_, parent in hierarchy[0])
    return None if has_hole else (x0, y0, x1, y1)


def read_exponents(image: np.ndarray, words: list[Word]) -> list[Word]:
    """Give back the exponent of units read as a lone "m": "m²" and "m³" are printed with a raised
    glyph about half a letter high, which Tesseract drops or misreads inside a line of body text
    ("M", "Ne", "m°"), and a lone "m" is then taken for metres. Such glyphs are found in the
    pixels after the letter, enlarged to a letter's height and read in one small Tesseract call."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    height, width = gray.shape
    found: list[tuple[int, np.ndarray]] = []
    for index, word in enumerate(words):
        if not _EXPONENT_BASE.fullmatch(word.text):
            continue
        line_height = (word.y1 - word.y0) * height
        x0 = max(0, int(word.x0 * width - 0.1 * line_height))
        x1 = min(width, int(word.x1 * width + 0.5 * line_height))
        y0 = max(0, int(word.y0 * height - 0.3 * line_height))
        y1 = min(height, int(word.y1 * height + 0.2 * line_height))
        if x1 <= x0 or y1 <= y0:
            continue
        _, ink = cv2.threshold(gray[y0:y1, x0:x1], 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
        ink = _without_specks(ink)
        box = _raised_glyph(ink)
        if box is not None:
            gx0, gy0, gx1, gy1 = box
            found.append((index, ink[gy0:gy1, gx0:gx1]))
    if not found:
        return words
    # Binarised glyphs, black on white, one per text line: Tesseract reads a lone enlarged digit
    # reliably this way, and not from the gray crop.
    size = EXPONENT_HEIGHT_PX
    canvas_w = max(int(glyph.shape[1] * size / glyph.shape[0]) for _, glyph in found) + 2 * size
    canvas = np.full((len(found) * 2 * size + size, canvas_w), 255, dtype=np.uint8)
    for slot, (_, glyph) in enumerate(found):
        scaled = cv2.resize(glyph, (max(1, int(glyph.shape[1] * size / glyph.shape[0])), size), interpolation=cv2.INTER_AREA)
        top = size + slot * 2 * size
        canvas[top:top + size, size:size + scaled.shape[1]] = 255 - scaled
    readings = parse_tsv(run_tesseract(canvas), canvas.shape[1], canvas.shape[0])
    result = list(words)
    for slot, (index, _) in enumerate(found):
        top = size + slot * 2 * size
        texts = [w.text for w in readings if top <= w.yc * canvas.shape[0] < top + size]
        exponent = {"2": "²", "²": "²", "Z": "²", "z": "²", "3": "³", "³": "³"}.get(texts[0]) if len(texts) == 1 else None
        if exponent is None:
            continue
        word = words[index]
        result[index] = Word("m" + exponent, word.x0, word.y0, word.x1, word.y1, word.confidence)
    return result


def _without_specks(ink: np.ndarray) -> np.ndarray:
    """The ink mask without paper grain: components much smaller than the largest."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count <= 2:
        return ink
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.concatenate(([False], areas >= 0.03 * areas.max()))
    return np.where(keep[labels], 255, 0).astype(np.uint8)


def ocr_page(prepared: PreparedPage | np.ndarray, page_number: int, first_pass: list[Word] | None = None) -> PageText:
    """OCR one prepared page (a ``PreparedPage`` brings its table rules along); ``first_pass`` is
    Tesseract's plain reading of it when already made."""
    started = time.perf_counter()
    image = prepared.image if isinstance(prepared, PreparedPage) else prepared
    height, width = image.shape[:2]
    words = first_pass if first_pass is not None else parse_tsv(run_tesseract(image), width, height)
    words = read_exponents(image, reread_low_confidence(image, words))
    rules = prepared.rules if isinstance(prepared, PreparedPage) else []
    return PageText(
        number=page_number, width=float(width), height=float(height), words=words, source=PageSource.OCR,
        rules=list(rules), seconds=time.perf_counter() - started,
    )


def _prepare_and_ocr(image: np.ndarray, page_number: int, photo: bool = False) -> PageText:
    started = time.perf_counter()
    if photo and not looks_like_text(image):
        # A photo of the damage, not of a document: Tesseract would spend a minute reading texture.
        # (Pages of a PDF are documents, even a sparse last page, so only photos are checked.)
        height, width = image.shape[:2]
        return PageText(number=page_number, width=float(width), height=float(height), words=[], source=PageSource.OCR,
                        seconds=time.perf_counter() - started)
    prepared, words = _upright_reading(within_tesseract_limits(image))
    page = ocr_page(prepared, page_number, first_pass=words)
    page.seconds = time.perf_counter() - started
    return page


# A page read upright gives mostly confident words; one read sideways or upside down gives almost
# none (measured on a rendered quote: 0.63-0.67 of its words confident upright, 0.00-0.06 turned).
CONFIDENT_WORD = 0.7
UPRIGHT_SHARE = 0.25
UPRIGHT_COUNT = 40
OSD_LONGEST_SIDE = 2400  # Tesseract's orientation detection reads at most this; more only costs time


def _confident_words(words: list[Word]) -> int:
    return sum(1 for w in words if w.confidence >= CONFIDENT_WORD and sum(c.isalnum() for c in w.text) >= 3)


def _reads_upright(words: list[Word]) -> bool:
    confident = _confident_words(words)
    return confident >= UPRIGHT_COUNT or confident >= UPRIGHT_SHARE * max(1, len(words))


def _first_pass(image: np.ndarray) -> tuple[PreparedPage, list[Word]]:
    prepared = prepare_page(image)
    height, width = prepared.image.shape[:2]
    return prepared, parse_tsv(run_tesseract(prepared.image), width, height)


def _upright_reading(image: np.ndarray) -> tuple[PreparedPage, list[Word]]:
    """The page prepared and read once; when that reading is mostly doubt, the page may be turned a
    quarter or half turn (a scan fed sideways): Tesseract's orientation detection says how, and the
    turned page's reading is kept when it has more confident words."""
    prepared, words = _first_pass(image)
    if _reads_upright(words):
        return prepared, words
    quarter_turns = detect_quarter_turns(image)
    if not quarter_turns:
        return prepared, words
    turned_prepared, turned_words = _first_pass(np.ascontiguousarray(np.rot90(image, quarter_turns)))
    if _confident_words(turned_words) > _confident_words(words):
        return turned_prepared, turned_words
    return prepared, words


def detect_quarter_turns(image: np.ndarray) -> int:
    """Counter-clockwise quarter turns (``np.rot90``'s k) that make the page upright, from Tesseract's
    orientation and script detection (``--psm 0``); 0 when it cannot tell (too little text)."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    longest = max(gray.shape[:2])
    if longest > OSD_LONGEST_SIDE:
        scale = OSD_LONGEST_SIDE / longest
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    try:
        report = run_tesseract(gray, psm="0", output=None)
    except OcrError:
        return 0  # "Too few characters": nothing to turn
    found = re.search(r"Rotate:\s*(\d+)", report)
    degrees = int(found.group(1)) if found else 0
    # "Rotate: 90" means the page must turn 90° clockwise: three counter-clockwise quarter turns.
    return {90: 3, 180: 2, 270: 1}.get(degrees, 0)


def ocr_pages(path: Path, media_type: MediaType, page_numbers: list[int] | None = None) -> list[PageText]:
    """OCR every page (or only ``page_numbers``), two at a time, holding at most a few page images in memory.

    Threads suffice for both cores: Tesseract is a subprocess and OpenCV releases the GIL.
    Pages are read in this thread only (pdfium is not thread-safe) and read ahead no further
    than the pages being worked on.
    """
    results: list[PageText] = []
    pending: list[Future[PageText]] = []
    with ThreadPoolExecutor(max_workers=PARALLEL_PAGES, thread_name_prefix="ocr") as pool:
        numbers = page_numbers if page_numbers is not None else range(1, page_count(path, media_type) + 1)
        for number, image in zip(numbers, page_images(path, media_type, page_numbers)):
            pending.append(pool.submit(_prepare_and_ocr, image, number, media_type is not MediaType.PDF))
            while len(pending) >= PARALLEL_PAGES:
                results.append(pending.pop(0).result())
        results.extend(future.result() for future in pending)
    return results

