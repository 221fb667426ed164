"""Page reading in a worker process: a hostile file costs at most its limits, never the batch."""
from __future__ import annotations

import os

import pytest

from extractors import extract_document, read_pages
from extractors.isolation import ReadLimits, reader_pool, set_limits
from core.errors import CorruptFileError, ReadTimeoutError, TooLargeError
from core.models import MediaType
from tests.hardening.pdfs import reference_loop_pdf, text_pdf

REPO_EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


@pytest.fixture
def short_limits():
    set_limits(ReadLimits(timeout_seconds=8, memory_mb=700, workers=2))
    yield
    set_limits(ReadLimits.from_settings())


def _worker_pids() -> set[int]:
    pool = reader_pool()
    return {worker.pid for worker in pool._idle}


def test_a_pdf_whose_references_loop_is_stopped_at_the_time_limit(tmp_path, short_limits):
    loop = tmp_path / "boucle.pdf"
    loop.write_bytes(reference_loop_pdf())
    with pytest.raises(ReadTimeoutError) as caught:
        extract_document(loop)
    assert caught.value.code == "E_TIMEOUT"
    assert str(loop) in caught.value.one_line()
    # The killed worker took its process group with it; the next document is read by a fresh one.
    good = tmp_path / "devis.pdf"
    good.write_bytes(text_pdf("DEVIS Plomberie Total TTC 1 200,00"))
    assert read_pages(good, MediaType.PDF)[0].source == "text_layer"


def test_a_reader_exception_becomes_e_corrupt_not_a_traceback(tmp_path):
    broken = tmp_path / "parent-loop.pdf"
    from tests.hardening.pdfs import raw_pdf

    stream = b"BT /F1 12 Tf 72 720 Td (DEVIS total TTC 1200,00 euros pour travaux de plomberie) Tj ET"
    broken.write_bytes(raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 /Parent 5 0 R >>",
        b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>",
    ]))
    with pytest.raises(CorruptFileError) as caught:
        extract_document(broken)
    assert caught.value.code == "E_CORRUPT" and "TypeError" in caught.value.message


def test_the_worker_is_reused_across_documents(tmp_path):
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    first.write_bytes(text_pdf("DEVIS premier document avec assez de texte pour une page"))
    second.write_bytes(text_pdf("DEVIS second document avec assez de texte pour une page"))
    read_pages(first, MediaType.PDF)
    before = _worker_pids()
    read_pages(second, MediaType.PDF)
    assert before and _worker_pids() == before


def test_a_worker_over_its_memory_limit_is_stopped_and_the_document_is_too_large(tmp_path):
    # A limit below what the worker holds once its libraries are loaded: the watch stops it at once.
    set_limits(ReadLimits(timeout_seconds=60, memory_mb=20, workers=1))
    try:
        path = tmp_path / "devis.pdf"
        path.write_bytes(text_pdf("DEVIS avec assez de texte pour une page entiere de lecture"))
        with pytest.raises(TooLargeError) as caught:
            read_pages(path, MediaType.PDF)
        assert "20 MB" in caught.value.message
        assert _worker_pids() == set()
    finally:
        set_limits(ReadLimits.from_settings())
