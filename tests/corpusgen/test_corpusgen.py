"""The generator: byte-stable output, exact arithmetic, schema-valid truth, right file types."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pdfplumber
import pytest
from PIL import Image, ImageOps

from core.models import TRADES, UNITS, cents
from corpusgen import KINDS, generate, make_document
from corpusgen.__main__ import main as cli_main
from corpusgen.notquote import NOT_QUOTE_TEMPLATES
from corpusgen.spec import FAMILIES, HELD_OUT_FAMILIES, HELD_OUT_VOCABULARIES, VOCABULARIES

SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "quote.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list:
    out = tmp_path_factory.mktemp("corpus")
    docs = [make_document(out, f"fam-{family}", "pdf-digital", seed=11, template=family) for family in FAMILIES]
    docs += [make_document(out, f"kind-{kind}", kind, seed=11, template="grid")
             for kind in ("pdf-scan", "png-scan", "jpg-photo")]
    docs += [make_document(out, f"nq-{t}", "not-quote", seed=11, template=t) for t in NOT_QUOTE_TEMPLATES]
    docs += [make_document(out, f"ho-{family}", "pdf-digital", seed=11, template=family)
             for family in HELD_OUT_FAMILIES]
    docs.append(make_document(out, "ho-photo", "jpg-photo", seed=11, held_out=True))
    return docs


def test_same_seed_gives_identical_bytes_and_truth(tmp_path):
    for kind in ("pdf-digital", "pdf-scan", "jpg-photo"):
        a = make_document(tmp_path / "a", "d1", kind, seed=5)
        b = make_document(tmp_path / "b", "d1", kind, seed=5)
        assert a.path.read_bytes() == b.path.read_bytes(), kind
        assert a.truth_path.read_bytes() == b.truth_path.read_bytes(), kind
    c = make_document(tmp_path / "c", "d1", "pdf-digital", seed=6)
    assert c.truth != make_document(tmp_path / "a", "d1", "pdf-digital", seed=5).truth


def test_cli_writes_a_reproducible_corpus_of_the_requested_kinds(tmp_path):
    for run in ("x", "y"):
        assert cli_main([str(tmp_path / run), "--count", "4", "--seed", "2", "--kinds", "pdf-digital,not-quote"]) == 0
    files_x = sorted(p.name for p in (tmp_path / "x").iterdir())
    assert files_x == sorted(p.name for p in (tmp_path / "y").iterdir())
    assert len([f for f in files_x if f.endswith(".truth.json")]) == 4
    for name in files_x:
        assert (tmp_path / "x" / name).read_bytes() == (tmp_path / "y" / name).read_bytes()
    kinds = {json.loads(p.read_text())["kind"] for p in (tmp_path / "x").glob("*.truth.json")}
    assert kinds == {"pdf-digital", "not-quote"}


def test_generate_rejects_unknown_kinds(tmp_path):
    with pytest.raises(ValueError):
        generate(tmp_path, 1, 0, kinds=["pdf-digital", "fax"])


def test_truth_validates_against_the_contract_schema(corpus):
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for doc in corpus:
        errors = list(validator.iter_errors(doc.truth))
        assert not errors, (doc.path.name, errors[:3])
        assert doc.truth["file"] == doc.path.name
        assert doc.truth["kind"] in KINDS


def test_truth_arithmetic_is_exact(corpus):
    for doc in (d for d in corpus if d.truth["is_quote"]):
        t = doc.truth
        bases: dict[Decimal, Decimal] = {}
        for line in t["lines"]:
            total = Decimal(str(line["total_ht"]))
            if line["quantity"] is not None:
                assert total == cents(Decimal(str(line["quantity"])) * Decimal(str(line["unit_price_ht"])))
            rate = Decimal(str(line["vat_rate"]))
            bases[rate] = bases.get(rate, Decimal(0)) + total
            assert line["unit"] in UNITS + (None,)
            assert line["trade"] in TRADES + (None,)
        ht = sum(bases.values(), Decimal(0))
        tva = sum((cents(base * rate) for rate, base in bases.items()), Decimal(0))
        assert Decimal(str(t["totals"]["ht"])) == ht
        assert Decimal(str(t["totals"]["tva"])) == tva
        assert Decimal(str(t["totals"]["ttc"])) == ht + tva
        assert 300 <= t["totals"]["ttc"] <= 9000


def test_discount_and_lump_sum_lines_follow_the_truth_rules(tmp_path):
    seen_discount = seen_blank_forfait = False
    for seed in range(6):
        t = make_document(tmp_path, f"lots{seed}", "pdf-digital", seed=seed, template="lots").truth
        for line in t["lines"]:
            if line["total_ht"] < 0:
                seen_discount = True
                assert line["quantity"] is None and line["unit"] is None and line["trade"] is None
            elif line["quantity"] is None:
                seen_blank_forfait = True
                assert line["unit"] == "forfait" and line["unit_price_ht"] is None
        assert t["pages"] >= 1
    assert seen_discount and seen_blank_forfait


def test_bbox_is_in_page_fractions_and_holds_the_printed_line(corpus):
    for doc in (d for d in corpus if d.truth["kind"] == "pdf-digital"):
        with pdfplumber.open(doc.path) as pdf:
            assert len(pdf.pages) == doc.truth["pages"]
            for line in doc.truth["lines"]:
                x0, y0, x1, y1 = line["bbox"]
                assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
                page = pdf.pages[line["page"] - 1]
                inside = page.crop((x0 * page.width, y0 * page.height, x1 * page.width, y1 * page.height))
                text = " ".join(inside.extract_text().split())
                first_word = line["description"].split()[0]
                assert first_word in text, (doc.path.name, line["description"], text)


def test_digital_pdf_prints_the_truth_figures(corpus):
    doc = next(d for d in corpus if d.truth["template"] == "grid" and d.truth["kind"] == "pdf-digital")
    with pdfplumber.open(doc.path) as pdf:
        text = "\n".join(p.extract_text() for p in pdf.pages)
    assert doc.truth["quote_number"] in text
    assert doc.truth["supplier"]["siren"][:3] in text


def test_each_kind_is_a_readable_file_of_the_right_type(corpus):
    by_kind = {d.truth["kind"]: d for d in corpus if d.truth["is_quote"]}
    with pdfplumber.open(by_kind["pdf-scan"].path) as pdf:
        assert len(pdf.pages) == by_kind["pdf-scan"].truth["pages"]
        assert all(not (p.extract_text() or "").strip() for p in pdf.pages)  # image only, no text layer
        assert all(p.images for p in pdf.pages)
    png = Image.open(by_kind["png-scan"].path)
    assert png.format == "PNG" and png.height > png.width > 1000
    jpg = Image.open(by_kind["jpg-photo"].path)
    assert jpg.format == "JPEG"
    upright = ImageOps.exif_transpose(jpg)
    assert upright.height > upright.width  # a portrait page once the EXIF orientation is applied
    for doc in (d for d in corpus if not d.truth["is_quote"]):
        assert doc.truth["lines"] == [] and doc.truth["totals"] == {"ht": 0, "tva": 0, "ttc": 0}
        if doc.path.suffix == ".jpg":
            assert Image.open(doc.path).format == "JPEG"
        else:
            with pdfplumber.open(doc.path) as pdf:
                assert pdf.pages[0].extract_text().strip()


def test_exif_rotated_photos_store_turned_pixels(tmp_path):
    orientations = {}
    for seed in range(12):
        doc = make_document(tmp_path, f"p{seed}", "jpg-photo", seed=seed, template="open")
        o = doc.truth["degradations"]["exif_orientation"]
        if o in orientations:
            continue
        img = Image.open(doc.path)
        assert img.getexif().get(0x0112, 0) == o
        assert (img.width > img.height) == (o in (6, 8))
        assert ImageOps.exif_transpose(img).height > ImageOps.exif_transpose(img).width
        orientations[o] = doc
        if len(orientations) == 3:
            break
    assert 0 in orientations and len(orientations) >= 2


def _pdf_text(path: Path) -> str:
    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() for page in pdf.pages)


# Labels of the held-out wordings; none is a substring of a default label.
HELD_OUT_LABELS = {v[key] for v in HELD_OUT_VOCABULARIES for key in ("desc", "ttc", "client", "site")}


def test_held_out_labels_are_new():
    default_labels = " | ".join(str(label) for v in VOCABULARIES for label in v.values())
    assert not [label for label in HELD_OUT_LABELS if label in default_labels]


def test_held_out_corpus_uses_only_its_own_layouts_and_wordings(tmp_path):
    assert not set(HELD_OUT_FAMILIES) & set(FAMILIES)
    held_out = generate(tmp_path / "held-out", count=8, seed=3, kinds=["pdf-digital"], held_out=True)
    default = generate(tmp_path / "default", count=8, seed=3, kinds=["pdf-digital"])
    seen_families = set()
    for path in held_out:
        truth = json.loads(path.with_suffix(".truth.json").read_text(encoding="utf-8"))
        assert truth["template"] in HELD_OUT_FAMILIES
        seen_families.add(truth["template"])
        words = HELD_OUT_VOCABULARIES[truth["vocabulary"] - len(VOCABULARIES)]
        text = _pdf_text(path)
        for key in ("desc", "ttc", "client"):
            assert words[key] in text, (path.name, words[key])
    assert seen_families == set(HELD_OUT_FAMILIES)
    for path in default:
        text = _pdf_text(path)
        assert json.loads(path.with_suffix(".truth.json").read_text(encoding="utf-8"))["template"] in FAMILIES
        assert not [label for label in HELD_OUT_LABELS if label in text], path.name


def test_held_out_cli_is_reproducible_and_keeps_every_kind(tmp_path):
    args = ["--count", "6", "--seed", "4", "--kinds", "pdf-digital,pdf-scan,png-scan,not-quote", "--held-out"]
    for run in ("x", "y"):
        assert cli_main([str(tmp_path / run), *args]) == 0
    names = sorted(p.name for p in (tmp_path / "x").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "y").iterdir())
    for name in names:
        assert (tmp_path / "x" / name).read_bytes() == (tmp_path / "y" / name).read_bytes(), name
    truths = [json.loads(p.read_text()) for p in sorted((tmp_path / "x").glob("*.truth.json"))]
    assert {t["kind"] for t in truths} == {"pdf-digital", "pdf-scan", "png-scan", "not-quote"}
    assert all(t["doc_id"].startswith("ho-") for t in truths)
    assert all(t["template"] in HELD_OUT_FAMILIES for t in truths if t["is_quote"])


def test_multi_page_held_out_quote_numbers_its_pages_at_the_top(tmp_path):
    for seed in range(10):
        doc = make_document(tmp_path, f"ch{seed}", "pdf-digital", seed=seed, template="chapters")
        if doc.truth["pages"] > 1:
            break
    else:
        pytest.fail("no two-page chapters quote in 10 seeds")
    pages = doc.truth["pages"]
    with pdfplumber.open(doc.path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            top = page.crop((0, 0, page.width, page.height * 0.05)).extract_text()
            assert f"Page {number}/{pages}" in top
