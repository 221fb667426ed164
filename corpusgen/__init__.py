"""Deterministic generator of French repair quotes (and non-quotes) with their truth files.

    from corpusgen import generate, make_document
    paths = generate(out_dir, count=20, seed=7)                     # gen-0001.pdf, gen-0001.truth.json ...
    doc = make_document(out_dir, "t1", "jpg-photo", seed=1, template="grid")
    paths = generate(out_dir, count=20, seed=7, held_out=True)      # ho-0001.pdf ...: held-out layouts only

The truth follows ``schemas/quote.schema.json`` plus the keys of the dev corpus
(doc_id, file, kind, template, vocabulary, pages, doc_type, per line trade, page, bbox,
market_unit_price_ht). Same seed, same bytes.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from . import imaging, notquote
from .render import QuoteRenderer, render_quote_pdf
from .render_heldout import HeldOutRenderer
from .spec import FAMILIES, HELD_OUT_FAMILIES, QuoteSpec, draw_quote

KINDS = ("pdf-digital", "pdf-scan", "png-scan", "jpg-photo", "not-quote")
TEMPLATES = tuple(FAMILIES) + notquote.NOT_QUOTE_TEMPLATES
# Order in which a corpus cycles through kinds: about 40 % digital PDFs, then photos, scans, non-quotes.
KIND_CYCLE = ("pdf-digital", "jpg-photo", "pdf-scan", "pdf-digital", "png-scan", "pdf-digital", "jpg-photo",
              "not-quote", "pdf-digital", "pdf-scan", "png-scan", "pdf-digital")
TTC_RANGE = (300, 9000)


@dataclass(frozen=True)
class Generated:
    path: Path
    truth_path: Path
    truth: dict


def _draw_fitting_quote(rng: random.Random, doc_id: str, family: str, one_page: bool) -> tuple[QuoteSpec, bytes, int]:
    """Draw until TTC is in range and, for image kinds, the quote fits on one page."""
    max_lines = 12 if one_page else 16
    while True:
        spec = draw_quote(rng, doc_id, family, max_lines=max_lines)
        if not TTC_RANGE[0] <= spec.total_ttc <= TTC_RANGE[1]:
            continue
        pdf, pages = render_quote_pdf(spec, HeldOutRenderer if spec.style.look else QuoteRenderer)
        if pages == 1 or not one_page:
            return spec, pdf, pages
        max_lines = max(3, max_lines - 2)


def _quote(rng: random.Random, out_dir: Path, doc_id: str, kind: str, family: str) -> tuple[Path, dict]:
    spec, pdf, pages = _draw_fitting_quote(rng, doc_id, family, one_page=kind in ("png-scan", "jpg-photo"))
    if kind == "pdf-digital":
        path, data, degradations = out_dir / f"{doc_id}.pdf", pdf, {}
    elif kind == "pdf-scan":
        params = imaging.scan_params(rng, rng.choice((200, 240, 300)))
        images = [imaging.degrade_scan(p, params) for p in imaging.render_pages(pdf, params["dpi"], gray=True)]
        path, data, degradations = out_dir / f"{doc_id}.pdf", imaging.image_pdf(images, params["dpi"]), params
    elif kind == "png-scan":
        # Scanning software that writes PNG usually denoises: less grain than in scanned PDFs.
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
    return path, spec.truth(kind, path.name, pages, degradations)


def _not_quote(rng: random.Random, out_dir: Path, doc_id: str, template: str) -> tuple[Path, dict]:
    if template == "not-quote-letter":
        path, data, degradations = out_dir / f"{doc_id}.pdf", notquote.claim_letter_pdf(rng), {"render": "pdf-digital"}
    elif template == "not-quote-form":
        path, data, degradations = out_dir / f"{doc_id}.pdf", notquote.report_form_pdf(rng), {"render": "pdf-digital"}
    elif template == "not-quote-photo":
        quality = rng.randint(75, 88)
        data = imaging.jpeg_bytes(notquote.damage_photo(rng), quality)
        path, degradations = out_dir / f"{doc_id}.jpg", {"render": "jpg-photo", "jpeg_quality": quality}
    elif template == "not-quote-docphoto":
        params = imaging.photo_params(rng, 150)
        page = imaging.render_pages(notquote.claim_letter_pdf(rng), params["dpi"], gray=False)[0]
        data = imaging.jpeg_bytes(imaging.photograph(page, params), params["jpeg_quality"], params["exif_orientation"])
        path, degradations = out_dir / f"{doc_id}.jpg", {"render": "jpg-photo", **params}
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
                  template: str | None = None, held_out: bool = False) -> Generated:
    """Write one document of ``kind`` (and its ``<doc_id>.truth.json``) into ``out_dir``.

    ``template`` is a layout family (see ``FAMILIES`` and ``HELD_OUT_FAMILIES``) for quotes, or one of
    ``notquote.NOT_QUOTE_TEMPLATES``; drawn from the seed when omitted, among the held-out
    families when ``held_out``.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # The default seed string is kept as it was so that default output stays byte-identical.
    rng = random.Random(f"corpusgen:{seed}:{doc_id}:{kind}:{template}" + (":held-out" if held_out else ""))
    if kind == "not-quote":
        path, truth = _not_quote(rng, out_dir, doc_id, template or rng.choice(notquote.NOT_QUOTE_TEMPLATES))
    else:
        families = tuple(HELD_OUT_FAMILIES if held_out else FAMILIES)
        family = template or rng.choice(families)
        if family not in FAMILIES and family not in HELD_OUT_FAMILIES:
            raise ValueError(f"unknown layout family {family!r}; expected one of "
                             f"{tuple(FAMILIES) + tuple(HELD_OUT_FAMILIES)}")
        path, truth = _quote(rng, out_dir, doc_id, kind, family)
    truth_path = out_dir / f"{doc_id}.truth.json"
    truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return Generated(path, truth_path, truth)


def generate(out_dir: Path | str, count: int, seed: int, kinds: tuple[str, ...] | list[str] = KINDS,
             held_out: bool = False) -> list[Path]:
    """Write ``count`` documents ``gen-NNNN.*``; kinds and layout families are cycled so each shows up.

    With ``held_out`` the quotes use only ``HELD_OUT_FAMILIES`` and their vocabularies, and the
    documents are named ``ho-NNNN.*``.
    """
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kinds {sorted(unknown)}; expected some of {KINDS}")
    cycle = [k for k in KIND_CYCLE if k in kinds]
    families = list(HELD_OUT_FAMILIES if held_out else FAMILIES)
    random.Random(f"{'held-out-' if held_out else ''}families:{seed}").shuffle(families)
    prefix = "ho" if held_out else "gen"
    not_quotes = list(notquote.NOT_QUOTE_TEMPLATES)
    paths: list[Path] = []
    made = {"quote": 0, "not-quote": 0}
    for i in range(count):
        kind = cycle[i % len(cycle)]
        if kind == "not-quote":
            template = not_quotes[made["not-quote"] % len(not_quotes)]
            made["not-quote"] += 1
        else:
            template = families[made["quote"] % len(families)]
            made["quote"] += 1
        doc = make_document(out_dir, f"{prefix}-{i + 1:04d}", kind, seed=seed, template=template, held_out=held_out)
        paths.append(doc.path)
    return paths
