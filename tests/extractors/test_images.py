"""Loading page images: EXIF orientation, size limits, damaged files, image-only PDF pages."""
from __future__ import annotations

import struct
import types
import zlib
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from core.errors import CorruptFileError, TooLargeError, UnsupportedTypeError
from core.models import MediaType
from extractors.images import MAX_PIXELS, open_image, page_count, page_images


def upright_page(width: int = 300, height: int = 420) -> Image.Image:
    """White portrait page with a black square in its top-left corner."""
    page = Image.new("RGB", (width, height), (255, 255, 255))
    page.paste((0, 0, 0), (10, 10, 60, 60))
    return page


def test_exif_orientation_6_is_applied(tmp_path):
    # A phone held upright stores the pixels turned a quarter counter-clockwise and tags 6.
    stored = upright_page().transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "photo.jpg"
    stored.save(path, "JPEG", exif=exif, quality=95)
    assert Image.open(path).size == (420, 300)

    pixels = open_image(path, MediaType.JPEG)
    assert pixels.shape[:2] == (420, 300)  # portrait again
    assert pixels[30, 30].max() < 60  # the mark is back at the top left
    assert pixels[30, 270].min() > 200


def test_png_loads_as_bgr_and_gray_stays_gray(tmp_path):
    colour = tmp_path / "colour.png"
    Image.new("RGB", (40, 30), (255, 0, 0)).save(colour)
    assert tuple(open_image(colour, MediaType.PNG)[0, 0]) == (0, 0, 255)  # BGR
    gray = tmp_path / "gray.png"
    Image.new("L", (40, 30), 128).save(gray)
    assert open_image(gray, MediaType.PNG).shape == (30, 40)


def test_transparent_png_is_flattened_onto_white(tmp_path):
    path = tmp_path / "alpha.png"
    Image.new("RGBA", (20, 20), (0, 0, 0, 0)).save(path)
    assert open_image(path, MediaType.PNG).min() == 255


def _png_claiming_size(width: int, height: int) -> bytes:
    """A real small PNG whose header announces another size (a decompression-bomb shape)."""
    buffer = BytesIO()
    Image.new("L", (8, 8), 255).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    ihdr = data.index(b"IHDR")
    data[ihdr + 4:ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr:ihdr + 17]))
    data[ihdr + 17:ihdr + 21] = struct.pack(">I", crc)
    return bytes(data)


@pytest.mark.parametrize("size", [(7000, 6000), (100_000, 100_000)])
def test_images_above_40_megapixels_are_refused_before_decoding(tmp_path, size):
    assert size[0] * size[1] > MAX_PIXELS
    path = tmp_path / "huge.png"
    path.write_bytes(_png_claiming_size(*size))
    with pytest.raises(TooLargeError) as caught:
        open_image(path, MediaType.PNG)
    assert caught.value.code == "E_TOO_LARGE"


def test_truncated_jpeg_is_corrupt(tmp_path):
    buffer = BytesIO()
    upright_page(800, 1000).save(buffer, "JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(buffer.getvalue()[:2000])
    with pytest.raises(CorruptFileError):
        open_image(path, MediaType.JPEG)


def test_garbage_declared_as_png_is_corrupt_and_unknown_formats_unsupported(tmp_path):
    path = tmp_path / "noise.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(CorruptFileError):
        open_image(path, MediaType.PNG)
    gif = tmp_path / "anim.gif"
    Image.new("P", (10, 10)).save(gif)
    with pytest.raises(UnsupportedTypeError):
        open_image(gif)
    heic = tmp_path / "photo.heic"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64)
    with pytest.raises(UnsupportedTypeError):
        open_image(heic)


def scan_pdf(path: Path, pages: int, with_text: bool = False, dpi: int = 150) -> list[np.ndarray]:
    """An image-only PDF: each A4 page is one gray scan image (optionally plus a text line)."""
    width_px, height_px = round(A4[0] / 72 * dpi), round(A4[1] / 72 * dpi)
    scans = []
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for number in range(pages):
        scan = np.full((height_px, width_px), 255, np.uint8)
        scan[50 + 40 * number:90 + 40 * number, 60:400] = 0  # a band whose height tells the page
        scans.append(scan)
        pdf.drawImage(ImageReader(Image.fromarray(scan)), 0, 0, width=A4[0], height=A4[1])
        if with_text:
            pdf.drawString(72, 72, "page with a caption")
        pdf.showPage()
    pdf.save()
    return scans


def test_scan_pages_come_out_at_scan_resolution_one_at_a_time(tmp_path):
    path = tmp_path / "scan.pdf"
    scans = scan_pdf(path, pages=3)
    assert page_count(path, MediaType.PDF) == 3
    pages = page_images(path, MediaType.PDF)
    assert isinstance(pages, types.GeneratorType)
    for number, (image, scan) in enumerate(zip(pages, scans)):
        assert image.shape[:2] == scan.shape  # the embedded image itself, not a render
        gray = image if image.ndim == 2 else image.mean(axis=2)
        dark_rows = np.flatnonzero(gray[:, 200] < 128)
        assert dark_rows.min() == pytest.approx(50 + 40 * number, abs=2)
        assert dark_rows.max() == pytest.approx(89 + 40 * number, abs=2)


def test_page_with_more_than_one_image_is_rendered_at_300_dpi(tmp_path):
    path = tmp_path / "mixed.pdf"
    scan_pdf(path, pages=1, with_text=True)
    (image,) = list(page_images(path, MediaType.PDF))
    height, width = image.shape[:2]
    assert height == pytest.approx(A4[1] / 72 * 300, abs=1)
    assert width == pytest.approx(A4[0] / 72 * 300, abs=1)


def test_damaged_pdf_is_corrupt(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n%%EOF garbage")
    with pytest.raises(CorruptFileError):
        list(page_images(path, MediaType.PDF))
