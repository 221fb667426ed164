"""The versions that key the page cache and the extraction cache, computed from the code itself.

A cached reading is reused only if the code that made it is the code that runs now. Each version is a
hash of the source of the modules that produce the cached thing, and of the pinned libraries that read
for them, so nobody has to remember to bump a number:

- ``pages_version()``: the page readers (text layer, images, clean-up, OCR, attachments) and pdfplumber,
  pdfminer.six, pypdfium2, OpenCV, Pillow and the Tesseract binary.
- ``extraction_version()``: ``pages_version()`` plus the modules that turn pages into the quote contract
  (table, fields, quote, numbers, layout, e-invoice) and lxml.
"""
from __future__ import annotations

import functools
import hashlib
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

EXTRACTORS_DIR = Path(__file__).resolve().parent
PAGE_MODULES = ("pdf_text", "images", "image_prep", "ocr", "attachments", "isolation")
EXTRACTION_MODULES = ("table", "figures", "fields", "quote", "numbers", "layout", "einvoice")
PAGE_LIBRARIES = ("pdfplumber", "pdfminer.six", "pypdfium2", "opencv-python-headless", "pillow")
EXTRACTION_LIBRARIES = ("lxml",)
# Each key is a prefix and this many hex digits: both fit the store's 32-character version column.
DIGEST_CHARS = 12


def code_digest(modules: tuple[str, ...], libraries: tuple[str, ...] = (), extra: tuple[str, ...] = (),
                directory: Path = EXTRACTORS_DIR) -> str:
    """A short hash of these modules' source files, these libraries' installed versions and extra strings."""
    digest = hashlib.sha256()
    for name in modules:
        digest.update(name.encode() + b"\0" + (directory / f"{name}.py").read_bytes() + b"\0")
    for library in libraries:
        digest.update(f"{library}=={_installed(library)}\0".encode())
    for value in extra:
        digest.update(value.encode() + b"\0")
    return digest.hexdigest()[:DIGEST_CHARS]


def _installed(library: str) -> str:
    try:
        return metadata.version(library)
    except metadata.PackageNotFoundError:
        return "absent"


@functools.cache
def tesseract_version() -> str:
    """The first line of ``tesseract --version`` ("absent" without the binary)."""
    binary = shutil.which("tesseract")
    if binary is None:
        return "absent"
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    lines = (out.stdout or out.stderr).splitlines()
    return lines[0].strip() if lines else "unknown"


@functools.cache
def pages_version() -> str:
    return "p" + code_digest(PAGE_MODULES, PAGE_LIBRARIES, (tesseract_version(),))


@functools.cache
def extraction_version() -> str:
    return f"{pages_version()}.x{code_digest(EXTRACTION_MODULES, EXTRACTION_LIBRARIES)}"
