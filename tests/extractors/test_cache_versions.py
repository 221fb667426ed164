"""Cached reads stay true: the page and extraction caches are keyed by versions made from the code itself."""
import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

from extractors import versions
from extractors.versions import EXTRACTION_MODULES, PAGE_MODULES, code_digest, extraction_version, pages_version
from core.models import Dossier
from pipeline.review import ReviewServices, reprocess_dossier, review_file
from tests.extractors.einvoice_helpers import AGREEING_ROWS, agreeing_xml, invoice_pdf

EXTRACTORS = Path(versions.__file__).resolve().parent


def _copy_of_extractors(tmp_path) -> Path:
    copy = tmp_path / "extractors"
    shutil.copytree(EXTRACTORS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_every_extractor_module_keys_one_of_the_two_caches():
    modules = {path.stem for path in EXTRACTORS.glob("*.py")} - {"__init__", "versions"}
    assert modules == set(PAGE_MODULES) | set(EXTRACTION_MODULES)
    assert not set(PAGE_MODULES) & set(EXTRACTION_MODULES)


def test_changing_an_extraction_module_moves_only_the_extraction_key(tmp_path):
    copy = _copy_of_extractors(tmp_path)
    pages_before, extraction_before = code_digest(PAGE_MODULES, directory=copy), code_digest(EXTRACTION_MODULES, directory=copy)
    with (copy / "table.py").open("a") as source:
        source.write("\n# a change to the table reader\n")
    assert code_digest(PAGE_MODULES, directory=copy) == pages_before
    assert code_digest(EXTRACTION_MODULES, directory=copy) != extraction_before


def test_changing_a_page_reader_moves_the_page_key(tmp_path):
    copy = _copy_of_extractors(tmp_path)
    pages_before, extraction_before = code_digest(PAGE_MODULES, directory=copy), code_digest(EXTRACTION_MODULES, directory=copy)
    with (copy / "ocr.py").open("a") as source:
        source.write("\n# a change to OCR\n")
    assert code_digest(PAGE_MODULES, directory=copy) != pages_before
    assert code_digest(EXTRACTION_MODULES, directory=copy) == extraction_before
    # The extraction key contains the page key, so it moves with it.
    assert extraction_version().startswith(pages_version() + ".")


def test_a_library_version_is_part_of_the_key():
    assert code_digest((), ("pdfplumber",)) != code_digest((), ()) != code_digest((), (), ("tesseract 9",))


def test_after_a_reader_change_reprocess_extracts_again_from_the_stored_pages_and_xml(tmp_path, monkeypatch):
    services = ReviewServices.open(f"sqlite:///{tmp_path / 'qr.db'}", home=tmp_path / "var")
    dossier = Dossier("FX-1", dt.date(2026, 11, 20), Decimal("150"), "degats_des_eaux", postcode="69003")
    path = invoice_pdf(tmp_path / "fx.pdf", AGREEING_ROWS, agreeing_xml())
    try:
        first = review_file(services, path, dossier)
        assert first.error is None and first.extraction.doc_type_code == "380"
        sha256 = services.store.document("FX-1").document.sha256
        assert services.store.cached_einvoice_xml(sha256, pages_version()) == agreeing_xml()

        def never(*args, **kwargs):
            raise AssertionError("reprocessing must not read the file again")

        monkeypatch.setattr("pipeline.review.read_pages", never)
        monkeypatch.setattr("pipeline.review.read_einvoice_xml", never)
        monkeypatch.setattr("pipeline.review.extraction_version", lambda: pages_version() + ".xchanged")
        assert services.store.cached_extraction(sha256, pages_version() + ".xchanged") is None

        outcome = reprocess_dossier(services, "FX-1", 1)
        assert outcome.error is None
        rebuilt = services.store.cached_extraction(sha256, pages_version() + ".xchanged")
        assert rebuilt is not None and rebuilt.doc_type_code == "380"  # from the stored XML
        assert rebuilt.sources["totals"] == "einvoice" and outcome.review.quoted_ttc == Decimal("484.20")
    finally:
        services.close()
