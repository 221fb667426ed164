"""The wild held-out generator: byte-stable, every layout renders, truth consistent and schema-valid,
and the reader never reads it."""
from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import jsonschema
import pdfplumber
import pytest

from corpusgen.wild import KINDS, generate, make_document
from corpusgen.wild.__main__ import main as cli_main
from corpusgen.wild.spec import LAYOUTS, NOT_QUOTE_TEMPLATES, wordings

REPO = Path(__file__).parents[2]
SCHEMA = json.loads((REPO / "schemas" / "quote.schema.json").read_text(encoding="utf-8"))
# Every package of the application (core, extractors, pipeline, pricing, cli, ...): all but the generator.
READER_PACKAGES = tuple(sorted(p.parent.name for p in REPO.glob("*/__init__.py")
                               if p.parent.name not in ("corpusgen", "tests")))


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def dec(x) -> Decimal:
    return Decimal(str(x))


@pytest.fixture(scope="module")
def layouts_docs(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("wild")
    return {layout: make_document(out, f"w-{layout}", "pdf-digital", seed=21, layout=layout) for layout in LAYOUTS}


def test_same_seed_gives_identical_bytes_and_truth(tmp_path):
    for kind, layout in (("pdf-digital", "memoire"), ("pdf-scan", "discount"), ("jpg-photo", "sub-rows"),
                         ("png-scan", "credit-note"), ("not-quote", "wild-form")):
        a = make_document(tmp_path / "a", "d1", kind, seed=5, layout=layout)
        b = make_document(tmp_path / "b", "d1", kind, seed=5, layout=layout)
        assert a.path.read_bytes() == b.path.read_bytes(), kind
        assert a.truth_path.read_bytes() == b.truth_path.read_bytes(), kind
    other = make_document(tmp_path / "c", "d1", "pdf-digital", seed=6, layout="memoire")
    assert other.truth != make_document(tmp_path / "a", "d1", "pdf-digital", seed=5, layout="memoire").truth


def test_cli_writes_a_reproducible_set_of_the_requested_kinds(tmp_path):
    for run in ("x", "y"):
        assert cli_main(["--out", str(tmp_path / run), "--count", "5", "--seed", "2",
                         "--kinds", "pdf-digital,not-quote"]) == 0
    names = sorted(p.name for p in (tmp_path / "x").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "y").iterdir())
    assert len([n for n in names if n.endswith(".truth.json")]) == 5
    for name in names:
        assert (tmp_path / "x" / name).read_bytes() == (tmp_path / "y" / name).read_bytes()
    truths = [json.loads(p.read_text()) for p in (tmp_path / "x").glob("*.truth.json")]
    assert {t["kind"] for t in truths} == {"pdf-digital", "not-quote"}


def test_unknown_kind_or_layout_is_refused(tmp_path):
    with pytest.raises(ValueError):
        generate(tmp_path, 1, 0, kinds=["pdf-digital", "fax"])
    with pytest.raises(ValueError):
        make_document(tmp_path, "x", "pdf-digital", layout="grid")


def test_every_layout_renders_its_lines_on_the_page(layouts_docs):
    for layout, doc in layouts_docs.items():
        truth = doc.truth
        assert truth["template"] == layout and truth["is_quote"] and truth["lines"], layout
        with pdfplumber.open(doc.path) as pdf:
            assert len(pdf.pages) == truth["pages"], layout
            for line in truth["lines"]:
                page = pdf.pages[line["page"] - 1]
                x0, y0, x1, y1 = line["bbox"]
                crop = page.crop((x0 * page.width, y0 * page.height, x1 * page.width, y1 * page.height))
                first_word = line["description"].split()[0]
                assert first_word in crop.extract_text(), (layout, line["description"])


def test_layout_specific_structure(layouts_docs):
    assert layouts_docs["memoire"].truth["pages"] >= 2
    assert layouts_docs["two-page-report"].truth["pages"] >= 2
    assert layouts_docs["two-page-plain"].truth["pages"] >= 2
    credit = layouts_docs["credit-note"].truth
    assert credit["doc_type"] == "avoir" and credit["totals"]["ttc"] < 0
    assert all(line["total_ht"] < 0 and line["unit_price_ht"] < 0 for line in credit["lines"])
    with pdfplumber.open(layouts_docs["memoire"].path) as pdf:
        text = "\n".join(page.extract_text() for page in pdf.pages)
    assert re.search(r"^1\.1 ", text, re.MULTILINE) and re.search(r"^1\.2 ", text, re.MULTILINE)
    with pdfplumber.open(layouts_docs["footer-supplier"].path) as pdf:
        page = pdf.pages[0]
        top_half = page.crop((0, 0, page.width, page.height / 2)).extract_text()
        bottom = page.crop((0, page.height * 0.85, page.width, page.height)).extract_text()
    name = layouts_docs["footer-supplier"].truth["supplier"]["name"]
    assert name not in top_half and name in bottom


def test_discounted_lines_do_not_add_up_as_quantity_times_price(tmp_path):
    discounted = []
    for seed in range(12):
        truth = make_document(tmp_path, f"d{seed}", "pdf-digital", seed=seed, layout="discount").truth
        discounted += [line for line in truth["lines"] if line["discount_pct"]]
    assert discounted
    for line in discounted:
        assert dec(line["total_ht"]) != cents(dec(line["quantity"]) * dec(line["unit_price_ht"]))


def _check_truth(truth: dict) -> None:
    errors = list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(truth))
    assert not errors, (truth["doc_id"], errors[:3])
    if not truth["is_quote"]:
        assert truth["lines"] == [] and truth["totals"] == {"ht": 0, "tva": 0, "ttc": 0}
        return
    bases: dict[Decimal, Decimal] = {}
    for line in truth["lines"]:
        gross = dec(line["quantity"]) * dec(line["unit_price_ht"])
        assert dec(line["total_ht"]) == cents(gross * (100 - dec(line["discount_pct"])) / 100), line
        rate = dec(line["vat_rate"])
        bases[rate] = bases.get(rate, Decimal(0)) + dec(line["total_ht"])
    totals = {k: dec(v) for k, v in truth["totals"].items()}
    assert sum(bases.values()) == totals["ht"]
    assert sum(cents(base * rate) for rate, base in bases.items()) == totals["tva"]
    assert totals["ht"] + totals["tva"] == totals["ttc"]


def test_truth_is_consistent_and_schema_valid(layouts_docs, tmp_path):
    for doc in layouts_docs.values():
        _check_truth(doc.truth)
    for template in NOT_QUOTE_TEMPLATES:
        _check_truth(make_document(tmp_path, template, "not-quote", seed=3, layout=template).truth)


def test_image_kinds_are_one_page_and_keep_the_truth_of_the_drawn_document(tmp_path):
    for kind, suffix in (("png-scan", ".png"), ("jpg-photo", ".jpg")):
        doc = make_document(tmp_path, f"i-{kind}", kind, seed=8, layout="two-page-report")
        assert doc.path.suffix == suffix and doc.truth["pages"] == 1 and doc.truth["kind"] == kind
        _check_truth(doc.truth)


def test_generate_cycles_every_kind():
    assert set(KINDS) <= set(__import__("corpusgen.wild", fromlist=["KIND_CYCLE"]).KIND_CYCLE)


def test_every_wording_block_names_a_listed_source():
    w = wordings()
    assert all(item["src"] in w["sources"] for item in w["work"])


def test_the_reader_never_reads_the_wild_set():
    """Its wordings must stay unseen by the reader: no import of corpusgen.wild, no path to its file."""
    assert {"extractors", "pipeline", "pricing"} <= set(READER_PACKAGES)
    for package in READER_PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert "corpusgen.wild" not in text and "wordings.yaml" not in text, path
            assert not re.search(r"from\s+corpusgen\s+import\s+[^\n]*\bwild\b", text), path


def test_every_header_wording_names_every_column_of_its_layouts():
    headers = wordings()["headers"]
    for layout, conf in LAYOUTS.items():
        for words in headers[conf["header"]]:
            assert set(conf["cols"]) <= set(words), (layout, words)
