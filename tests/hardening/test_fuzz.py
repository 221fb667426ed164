"""Fuzzing for a bounded time: mutated PDFs and images give an error code or a result, never a
traceback or a hang. Mutations that once crashed a reader are kept in tests/data/fuzz/.

``QUOTE_REVIEW_FUZZ_EXAMPLES`` sets the number of mutations per document kind (default 20; CI
keeps the default, a longer local hunt can raise it). A mutation that fails is written to
tests/data/fuzz/found/ so it can be committed as a regression file.
"""
from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from core.errors import QuoteReviewError
from core.models import Extraction
from extractors import extract_document
from extractors.isolation import ReadLimits, set_limits
from tests.hardening.bad_inputs import quote_pdf

FUZZ_DIR = Path(__file__).resolve().parents[1] / "data" / "fuzz"
EXAMPLES = int(os.environ.get("QUOTE_REVIEW_FUZZ_EXAMPLES", "20"))
TOKENS = [b" 0 R", b"<<", b">>", b"[", b"]", b"/Kids", b"/Parent 2 0 R", b"99999999999", b"-1", b"endobj", b"stream",
          b"/Length 0", b"/Count 9999", b"IDAT", b"\xff\xc0"]


def _small_scan() -> bytes:
    image = Image.new("L", (360, 240), 250)
    draw = ImageDraw.Draw(image)
    draw.text((10, 10), "DEVIS 12  Total TTC 1 320,00", fill=10)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


SAMPLES = {"pdf": quote_pdf(), "png": _small_scan()}


@st.composite
def mutated(draw, sample: bytes) -> bytes:
    data = bytearray(sample)
    for _ in range(draw(st.integers(1, 12))):
        position = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "delete", "insert", "token", "truncate"]))
        if kind == "flip":
            data[position] = draw(st.integers(0, 255))
        elif kind == "delete":
            del data[position:position + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "token":
            data[position:position] = draw(st.sampled_from(TOKENS))
        elif position > 8:
            del data[position:]
        if not data:
            data = bytearray(b"%")
    return bytes(data)


@pytest.fixture(scope="module", autouse=True)
def fuzz_limits():
    # A damaged text layer sends a page to OCR (seconds); past 30 s a mutation is a hang.
    set_limits(ReadLimits(timeout_seconds=30, memory_mb=700, workers=2))
    yield
    set_limits(ReadLimits.from_settings())


def _check(data: bytes, suffix: str, folder: Path) -> None:
    path = folder / f"mutation{suffix}"
    path.write_bytes(data)
    try:
        outcome = extract_document(path)
    except QuoteReviewError as error:
        assert error.code.startswith("E_") and error.code != "E_INTERNAL", error.one_line()
        return
    except BaseException:
        found = FUZZ_DIR / "found"
        found.mkdir(parents=True, exist_ok=True)
        (found / f"{hashlib.sha1(data).hexdigest()[:12]}{suffix}").write_bytes(data)
        raise
    assert isinstance(outcome, Extraction)


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_mutated_documents_give_a_code_or_a_result(kind, tmp_path):
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(mutated(SAMPLES[kind]))
    def run(data: bytes) -> None:
        _check(data, f".{kind}", tmp_path)

    run()


@pytest.mark.parametrize("path", sorted(FUZZ_DIR.glob("*.*")), ids=lambda p: p.name)
def test_mutations_that_once_crashed_a_reader_give_a_code_or_a_result(path, tmp_path):
    _check(path.read_bytes(), path.suffix, tmp_path)
