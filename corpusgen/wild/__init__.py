"""The "wild" held-out set: French repair quotes, invoices, credit notes and "mémoires de travaux" in
layouts and wordings the reader was never written against, with their truth files.

    from corpusgen.wild import generate, make_document
    paths = generate(out_dir, count=60, seed=9999)            # wild-0001.pdf, wild-0001.truth.json ...
    doc = make_document(out_dir, "w1", "jpg-photo", seed=1, layout="memoire")

Wordings come from ``wordings.yaml`` (gathered from public French templates, each with its source);
the reader's code must never import this package nor read that file. Rendering and the scan / photo
degradations are corpusgen's (``corpusgen.imaging``). Same seed, same bytes.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from .. import imaging
from ..notquote import damage_photo
from .other import form_pdf, letter_pdf
from .render import render_pdf
from .spec import LAYOUTS, NOT_QUOTE_TEMPLATES, WildDoc, draw_doc

KINDS = ("pdf-digital", "pdf-scan", "png-scan", "jpg-photo", "not-quote")
# One cycle of 20 documents: 7 digital PDFs (35 %), 4 of each image kind (20 %), 1 not-quote (5 %).
KIND_CYCLE = ("pdf-digital", "pdf-scan", "png-scan", "jpg-photo", "pdf-digital", "pdf-scan", "pdf-digital",
              "png-scan", "jpg-photo", "pdf-digital", "not-quote", "pdf-scan", "png-scan", "pdf-digital",
              "jpg-photo", "pdf-digital", "pdf-scan", "png-scan", "jpg-photo", "pdf-digital")
TTC_RANGE = (250, 12000)  # absolute value; two-page documents run higher than corpusgen's
PREFIX = "wild"


@dataclass(frozen=True)
class Generated:
    path: Path
    truth_path: Path
    truth: dict


def _fitting_doc(rng: random.Random, doc_id: str, layout: str, one_page: bool) -> tuple[WildDoc, bytes, int]:
    """Draw until |TTC| is in range and, for a single-image kind, the document fits on one page."""
    max_lines = 40
    for attempt in range(200):
        doc = draw_doc(rng, doc_id, layout, max_lines)
        if not TTC_RANGE[0] <= abs(doc.total_ttc) <= TTC_RANGE[1] and attempt < 150:
            continue
        pdf, pages = render_pdf(doc)
        if doc.conf.get("many") and pages == 1 and not one_page and attempt < 150:
            continue  # a two-page layout must run over two pages when its kind allows it
        if pages == 1 or not one_page:
            return doc, pdf, pages
        max_lines = max(2, min(max_lines, len(doc.lines)) - 2)
    raise RuntimeError(f"could not draw a fitting {layout} document for {doc_id}")


def _quote(rng: random.Random, out_dir: Path, doc_id: str, kind: str, layout: str) -> tuple[Path, dict]:
    doc, pdf, pages = _fitting_doc(rng, doc_id, layout, one_page=kind in ("png-scan", "jpg-photo"))
    if kind == "pdf-digital":
        path, data, degradations = out_dir / f"{doc_id}.pdf", pdf, {}
    elif kind == "pdf-scan":
        params = imaging.scan_params(rng, rng.choice((200, 240, 300)))
        images = [imaging.degrade_scan(p, params) for p in imaging.render_pages(pdf, params["dpi"], gray=True)]
        path, data, degradations = out_dir / f"{doc_id}.pdf", imaging.image_pdf(images, params["dpi"]), params
    elif kind == "png-scan":
        params = imaging.scan_params(rng, rng.choice((200, 220)), noise=(1.5, 3.5))
        image = imaging.degrade_scan(imaging.render_pages(pdf, params["dpi"], gray=True)[0], params)
        path, data, degradations = out_dir / f"{doc_id}.png", imaging.png_bytes(image, params["dpi"]), params
    elif kind == "jpg-photo":
        params = imaging.photo_params(rng, rng.choice((150, 170, 180)))
        image = imaging.photograph(imaging.render_pages(pdf, params["dpi"], gray=False)[0], params)
        data = imaging.jpeg_bytes(image, params["jpeg_quality"], params["exif_orientation"])
        path, degradations = out_dir / f"{doc_id}.jpg", params
    else:
        raise ValueError(f"unknown quote kind {kind!r}")
    path.write_bytes(data)
    return path, doc.truth(kind, path.name, pages, degradations)


def _not_quote(rng: random.Random, out_dir: Path, doc_id: str, template: str) -> tuple[Path, dict]:
    if template == "wild-letter":
        path, data, degradations = out_dir / f"{doc_id}.pdf", letter_pdf(rng), {"render": "pdf-digital"}
    elif template == "wild-form":
        params = imaging.scan_params(rng, 200, noise=(1.5, 3.5))
        image = imaging.degrade_scan(imaging.render_pages(form_pdf(rng), 200, gray=True)[0], params)
        path, data, degradations = out_dir / f"{doc_id}.png", imaging.png_bytes(image, 200), {"render": "png-scan", **params}
    elif template == "wild-photo":
        quality = rng.randint(75, 88)
        data = imaging.jpeg_bytes(damage_photo(rng), quality)
        path, degradations = out_dir / f"{doc_id}.jpg", {"render": "jpg-photo", "jpeg_quality": quality}
    else:
        raise ValueError(f"unknown not-quote template {template!r}")
    path.write_bytes(data)
    truth = {
        "doc_id": doc_id, "is_quote": False, "supplier": {"name": None, "siren": None, "siret": None},
        "quote_number": None, "date": None, "site_postcode": None, "lines": [],
        "totals": {"ht": 0, "tva": 0, "ttc": 0}, "file": path.name, "kind": "not-quote", "template": template,
        "vocabulary": None, "degradations": degradations, "price_factor": None, "pages": 1, "doc_type": None,
        "claim": None, "market_total_ht": None,
    }
    return path, truth


def make_document(out_dir: Path | str, doc_id: str, kind: str, *, seed: int = 0,
                  layout: str | None = None) -> Generated:
    """Write one document of ``kind`` and its ``<doc_id>.truth.json`` into ``out_dir``.

    ``layout`` is one of ``LAYOUTS`` for quotes, or of ``NOT_QUOTE_TEMPLATES``; drawn when omitted.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"corpusgen.wild:{seed}:{doc_id}:{kind}:{layout}")
    if kind == "not-quote":
        template = layout or rng.choice(NOT_QUOTE_TEMPLATES)
        if template not in NOT_QUOTE_TEMPLATES:
            raise ValueError(f"unknown not-quote template {template!r}; expected one of {NOT_QUOTE_TEMPLATES}")
        path, truth = _not_quote(rng, out_dir, doc_id, template)
    else:
        layout = layout or rng.choice(tuple(LAYOUTS))
        if layout not in LAYOUTS:
            raise ValueError(f"unknown layout {layout!r}; expected one of {tuple(LAYOUTS)}")
        path, truth = _quote(rng, out_dir, doc_id, kind, layout)
    truth_path = out_dir / f"{doc_id}.truth.json"
    truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return Generated(path, truth_path, truth)


def generate(out_dir: Path | str, count: int, seed: int, kinds: tuple[str, ...] | list[str] = KINDS) -> list[Path]:
    """Write ``count`` documents ``wild-NNNN.*``; kinds cycle as ``KIND_CYCLE``, layouts in a seeded order."""
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kinds {sorted(unknown)}; expected some of {KINDS}")
    cycle = [k for k in KIND_CYCLE if k in kinds]
    layouts = list(LAYOUTS)
    random.Random(f"wild-layouts:{seed}").shuffle(layouts)
    not_quotes = list(NOT_QUOTE_TEMPLATES)
    made = {"quote": 0, "not-quote": 0}
    paths = []
    for i in range(count):
        kind = cycle[i % len(cycle)]
        if kind == "not-quote":
            template = not_quotes[made["not-quote"] % len(not_quotes)]
            made["not-quote"] += 1
        else:
            template = layouts[made["quote"] % len(layouts)]
            made["quote"] += 1
        paths.append(make_document(out_dir, f"{PREFIX}-{i + 1:04d}", kind, seed=seed, layout=template).path)
    return paths
