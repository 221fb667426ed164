"""Turn clean PDF pages into scans and phone photos, and write image files byte-stably.

Every random draw comes from the ``random.Random`` handed in, so a document's seed fixes
its pixels; encoders run with fixed parameters (PNG compress level, JPEG quality and
subsampling, reportlab invariant mode for image-only PDFs).
"""
from __future__ import annotations

import io
import random

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image
from reportlab import rl_config
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

rl_config.invariant = 1

EXIF_ORIENTATION = 0x0112


def render_pages(pdf_bytes: bytes, dpi: int, gray: bool) -> list[np.ndarray]:
    """Rasterise every page: uint8 arrays (H, W) when gray, else (H, W, 3) RGB."""
    pdf = pdfium.PdfDocument(pdf_bytes)
    try:
        pages = []
        for page in pdf:
            bitmap = page.render(scale=dpi / 72, grayscale=gray)
            arr = np.array(bitmap.to_pil().convert("L" if gray else "RGB"))
            pages.append(arr)
        return pages
    finally:
        pdf.close()


def _np_rng(rng: random.Random) -> np.random.Generator:
    return np.random.default_rng(rng.randrange(2**32))


def scan_params(rng: random.Random, dpi: int, noise: tuple[float, float] = (2.0, 8.5)) -> dict:
    return {
        "dpi": dpi,
        "rotation_deg": round(rng.uniform(-2.0, 2.0), 2),
        "blur_sigma": round(rng.uniform(0.4, 0.95), 2),
        "noise_sigma": round(rng.uniform(*noise), 1),
        "contrast": round(rng.uniform(0.7, 0.92), 2),
        "paper": rng.randint(226, 246),
        "seed": rng.randrange(2**32),
    }


def degrade_scan(page: np.ndarray, params: dict) -> np.ndarray:
    """A flatbed scan: greyed paper, weaker ink, slight skew, blur and sensor noise."""
    paper = float(params["paper"])
    ink = (255.0 - page.astype(np.float32)) * params["contrast"] * paper / 255.0
    img = paper - ink
    h, w = img.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), params["rotation_deg"], 1.0)
    img = cv2.warpAffine(img, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=paper)
    img = cv2.GaussianBlur(img, (0, 0), params["blur_sigma"])
    noise = np.random.default_rng(params["seed"]).normal(0.0, params["noise_sigma"], img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def photo_params(rng: random.Random, dpi: int) -> dict:
    corners = [round(rng.uniform(-0.01, 0.05), 3) for _ in range(8)]
    return {
        "dpi": dpi,
        "background": rng.choice(("dark", "wood", "table")),
        "corners": corners,
        "light_angle": round(rng.uniform(0, 6.283), 2),
        "light_min": round(rng.uniform(0.55, 0.8), 2),
        "shadow_center": [round(rng.uniform(0.2, 0.8), 2), round(rng.uniform(0.2, 0.8), 2)],
        "shadow_strength": round(rng.uniform(0.1, 0.35), 2),
        "blur_sigma": round(rng.uniform(0.5, 1.2), 2),
        "noise_sigma": round(rng.uniform(2.0, 5.0), 1),
        "jpeg_quality": rng.randint(70, 85),
        "exif_orientation": rng.choice((0, 0, 0, 6, 8)),
        "seed": rng.randrange(2**32),
    }


def background(kind: str, h: int, w: int, g: np.random.Generator) -> np.ndarray:
    """A surface the page lies on: dark cloth, wood grain or a grey table (RGB float)."""
    if kind == "wood":
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        wobble = cv2.resize(g.normal(0, 1, (8, 8)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
        grain = np.sin((xs / w * 60.0) + wobble * 3.0 + np.sin(ys / h * 7.0) * 1.5)
        base = np.array([120.0, 78.0, 44.0], np.float32)
        img = base[None, None, :] * (0.8 + 0.12 * grain[..., None])
    else:
        base = np.array([48.0, 52.0, 58.0] if kind == "dark" else [150.0, 152.0, 148.0], np.float32)
        blotch = cv2.resize(g.normal(0, 1, (12, 12)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
        img = base[None, None, :] * (1.0 + 0.08 * blotch[..., None])
    return img + g.normal(0, 6.0, (h, w, 1)).astype(np.float32)


def photograph(page: np.ndarray, params: dict) -> np.ndarray:
    """A phone photo of the page lying on a surface: perspective, uneven light, shadow (RGB uint8)."""
    g = np.random.default_rng(params["seed"])
    ph, pw = page.shape[:2]
    margin_x, margin_y = int(pw * 0.09), int(ph * 0.07)
    h, w = ph + 2 * margin_y, pw + 2 * margin_x
    c = params["corners"]
    src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
    dst = np.float32([
        [margin_x + c[0] * pw, margin_y + c[1] * ph],
        [margin_x + pw - c[2] * pw, margin_y + c[3] * ph],
        [margin_x + pw - c[4] * pw, margin_y + ph - c[5] * ph],
        [margin_x + c[6] * pw, margin_y + ph - c[7] * ph],
    ])
    matrix = cv2.getPerspectiveTransform(src, dst)
    paper = page.astype(np.float32) * np.float32([0.97, 0.96, 0.93])
    warped = cv2.warpPerspective(paper, matrix, (w, h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((ph, pw), np.float32), matrix, (w, h), flags=cv2.INTER_LINEAR)[..., None]
    img = warped * mask + background(params["background"], h, w, g) * (1 - mask)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    ux, uy = np.cos(params["light_angle"]), np.sin(params["light_angle"])
    ramp = ((xs / w - 0.5) * ux + (ys / h - 0.5) * uy) + 0.5
    lo = params["light_min"]
    light = lo + (1 - lo) * np.clip(ramp, 0, 1)
    sx, sy = params["shadow_center"]
    shadow = 1 - params["shadow_strength"] * np.exp(-(((xs / w - sx) ** 2) + ((ys / h - sy) ** 2)) / 0.05)
    img = img * (light * shadow)[..., None]
    img = cv2.GaussianBlur(img, (0, 0), params["blur_sigma"])
    img = img + g.normal(0, params["noise_sigma"], img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def png_bytes(img: np.ndarray, dpi: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "PNG", compress_level=6, dpi=(dpi, dpi))
    return buf.getvalue()


def jpeg_bytes(img: np.ndarray, quality: int, exif_orientation: int = 0) -> bytes:
    """JPEG with fixed encoder settings; with an EXIF Orientation the pixels are turned to match.

    Orientation 6 means "rotate 90° clockwise to view", so the stored pixels are the upright
    image turned 90° counter-clockwise; 8 is the reverse.
    """
    if exif_orientation == 6:
        img = np.rot90(img, 1)
    elif exif_orientation == 8:
        img = np.rot90(img, -1)
    pil = Image.fromarray(np.ascontiguousarray(img))
    exif = Image.Exif()
    exif[0x010F] = "Phone"  # Make
    if exif_orientation:
        exif[EXIF_ORIENTATION] = exif_orientation
    buf = io.BytesIO()
    pil.save(buf, "JPEG", quality=quality, subsampling=2, optimize=False, exif=exif.tobytes())
    return buf.getvalue()


def image_pdf(pages: list[np.ndarray], dpi: int, quality: int = 80) -> bytes:
    """An image-only PDF (no text layer): each page a JPEG drawn at its physical size."""
    buf = io.BytesIO()
    canvas = Canvas(buf, invariant=1, pageCompression=1)
    canvas.setCreator("corpusgen scanner")
    for img in pages:
        h, w = img.shape[:2]
        size = (w * 72.0 / dpi, h * 72.0 / dpi)
        canvas.setPageSize(size)
        page_jpeg = io.BytesIO()
        Image.fromarray(img).save(page_jpeg, "JPEG", quality=quality, optimize=False)
        page_jpeg.seek(0)
        canvas.drawImage(ImageReader(page_jpeg), 0, 0, width=size[0], height=size[1])
        canvas.showPage()
    canvas.save()
    return buf.getvalue()
