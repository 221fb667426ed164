"""A corpus of hostile and broken inputs, built by the tests, each with the code it must get.

``build(folder)`` writes the files and returns ``{file name: expected}``, where ``expected`` is an
error code or ``"ok"`` (a document that must be read and reviewed). Every kind the hardening issue
names is here: empty, wrong type, truncated, encrypted, too many pages, bombs, reference loops,
links and non-files, shell-looking names, and the odd but valid documents next to them.
"""
from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from tests.hardening.pdfs import raw_pdf, reference_loop_pdf

QUOTE_LINES = [
    "DEVIS N° D-2025-014 du 12/03/2025",
    "Plomberie Martin SARL - SIRET 123 456 789 00012 - 12 rue des Lilas 69003 Lyon",
    "Chantier : 4 avenue Foch 69006 Lyon",
]


def quote_pdf(pages: int = 1, size=A4, encrypt: str | None = None, title: str = "DEVIS", number: int = 14) -> bytes:
    """A small digital quote (text layer), read in a fraction of a second."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=size, encrypt=encrypt)
    width, height = size
    for page in range(pages):
        y = height - 80
        for line in [title, QUOTE_LINES[0].replace("014", f"{number:03d}"), *QUOTE_LINES[1:]]:
            pdf.drawString(50, y, line)
            y -= 18
        y -= 20
        pdf.drawString(50, y, "Désignation")
        pdf.drawString(300, y, "Qté")
        pdf.drawString(360, y, "P.U. HT")
        pdf.drawString(450, y, "Total HT")
        y -= 18
        pdf.drawString(50, y, "Remplacement chauffe-eau 200 L")
        pdf.drawString(300, y, "1")
        pdf.drawString(360, y, "1 200,00")
        pdf.drawString(450, y, "1 200,00")
        y -= 40
        pdf.drawString(360, y, "Total HT 1 200,00")
        pdf.drawString(360, y - 18, "TVA 10 % 120,00")
        pdf.drawString(360, y - 36, "Total TTC 1 320,00")
        pdf.drawString(50, 40, f"Page {page + 1}/{pages}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _zip(members: dict[str, bytes], stored: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    data = bytearray(_png(Image.new("L", (8, 8), 255)))
    ihdr = data.index(b"IHDR")
    data[ihdr + 4:ihdr + 12] = struct.pack(">II", width, height)
    data[ihdr + 17:ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(data[ihdr:ihdr + 17])))
    return bytes(data)


def _jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(_jpeg(Image.new("L", (8, 8), 255)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _png_bomb() -> bytes:
    """A 10 000 x 10 000 white PNG (100 megapixels) of a few hundred kilobytes."""
    raw = zlib.compress(b"".join(b"\x00" + b"\xff" * 10_000 for _ in range(10_000)), 9)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 10_000, 10_000, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


def _zero_page_pdf() -> bytes:
    return raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])


def _parent_loop_pdf() -> bytes:
    stream = b"BT /F1 12 Tf 72 720 Td (DEVIS total TTC 1200,00 euros pour travaux de plomberie) Tj ET"
    return raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 /Parent 5 0 R >>",
        b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>",
    ])


def build(folder: Path, *, with_timeout: bool = True) -> dict[str, str]:
    """Write the corpus into ``folder``; returns each entry's expected code (or "ok")."""
    folder.mkdir(parents=True, exist_ok=True)
    good = quote_pdf()
    files: dict[str, tuple[bytes, str]] = {
        # empty
        "vide.pdf": (b"", "E_EMPTY"),
        "vide.jpg": (b"", "E_EMPTY"),
        "vide.png": (b"", "E_EMPTY"),
        # text and markup under a document's name
        "lettre.pdf": ("Bonjour, voici mon devis.\n".encode(), "E_UNSUPPORTED_TYPE"),
        "lettre-latin1.pdf": ("Devis réalisé à Noël\n".encode("latin-1"), "E_UNSUPPORTED_TYPE"),
        "tableur.pdf": (b"designation;qte;prix\nPeinture;10;25,00\n", "E_UNSUPPORTED_TYPE"),
        "longue-lettre.pdf": (("Madame, Monsieur, veuillez trouver ci-joint le devis détaillé. " * 60).encode(), "E_UNSUPPORTED_TYPE"),
        "page-web.pdf": (b"<!DOCTYPE html><html><head><title>Devis</title></head><body>%PDF-1.4</body></html>", "E_UNSUPPORTED_TYPE"),
        "page-web-bom.pdf": (b"\xef\xbb\xbf\n<html><body>Devis</body></html>", "E_UNSUPPORTED_TYPE"),
        "facture.xml.pdf": (b"<?xml version='1.0'?><Invoice><ID>F-1</ID></Invoice>", "E_UNSUPPORTED_TYPE"),
        "dessin.svg.png": (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "E_UNSUPPORTED_TYPE"),
        "script.pdf": (b"#!/bin/sh\nrm -rf /\n", "E_UNSUPPORTED_TYPE"),
        # containers and other formats
        "devis.docx.pdf": (_zip({"word/document.xml": b"<w:document/>"}), "E_UNSUPPORTED_TYPE"),
        "devis.xlsx.pdf": (_zip({"xl/workbook.xml": b"<workbook/>"}), "E_UNSUPPORTED_TYPE"),
        "archive-pdf.pdf": (_zip({"devis.pdf": good}, stored=True), "E_UNSUPPORTED_TYPE"),
        "archive-jpg.jpg": (_zip({"devis.jpg": _jpeg(Image.new("L", (50, 50), 255))}, stored=True), "E_UNSUPPORTED_TYPE"),
        "ancien.doc.pdf": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "E_UNSUPPORTED_TYPE"),
        "texte.rtf.pdf": (b"{\\rtf1\\ansi Devis}", "E_UNSUPPORTED_TYPE"),
        "anime.gif.jpg": (b"GIF89a" + b"\x00" * 100, "E_UNSUPPORTED_TYPE"),
        "scan.tiff.pdf": (b"II*\x00" + b"\x00" * 100, "E_UNSUPPORTED_TYPE"),
        "scan-mm.tif.png": (b"MM\x00*" + b"\x00" * 100, "E_UNSUPPORTED_TYPE"),
        "image.webp.jpg": (b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 100, "E_UNSUPPORTED_TYPE"),
        "IMG_0001.heic.jpg": (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64, "E_UNSUPPORTED_TYPE"),
        "video.mp4.pdf": (b"\x00\x00\x00\x18ftypisom" + b"\x00" * 64, "E_UNSUPPORTED_TYPE"),
        "image.bmp.png": (b"BM" + b"\x00\x01\x02\x03" * 50, "E_UNSUPPORTED_TYPE"),
        "binaire.pdf": (bytes(range(256)) * 4, "E_UNSUPPORTED_TYPE"),
        "elf.pdf": (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "E_UNSUPPORTED_TYPE"),
        # truncated and damaged
        "entete-seul.pdf": (b"%PDF-1.7\n", "E_CORRUPT"),
        "casse.pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<", "E_CORRUPT"),
        "tronque-10.pdf": (good[:len(good) // 10], "E_CORRUPT"),
        "sans-pages.pdf": (_zero_page_pdf(), "E_CORRUPT"),
        "parents-en-boucle.pdf": (_parent_loop_pdf(), "E_CORRUPT"),
        "jpeg-tronque.jpg": (_jpeg(Image.new("L", (200, 200), 128))[:200], "E_CORRUPT"),
        "jpeg-entete.jpg": (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "E_CORRUPT"),
        "png-tronque.png": (_png(Image.new("L", (200, 200), 128))[:60], "E_CORRUPT"),
        "png-entete.png": (b"\x89PNG\r\n\x1a\n", "E_CORRUPT"),
        "png-crc.png": (_png(Image.new("L", (50, 50), 0))[:30] + b"\x00\x00\x00\x00" + _png(Image.new("L", (50, 50), 0))[34:], "E_CORRUPT"),
        "tronque-moitie.jpg": (_jpeg(Image.effect_noise((400, 400), 60))[:4000], "E_CORRUPT"),
        "png-idat-brouille.png": (_png(Image.new("L", (64, 64), 0))[:41] + os.urandom(0) + b"\x00\x00\x00\x10IDAT" + b"\x13" * 16 + b"\x00\x00\x00\x00", "E_CORRUPT"),
        "un-octet.pdf": (b"%", "E_UNSUPPORTED_TYPE"),
        "zeros.pdf": (b"\x00" * 1000, "E_UNSUPPORTED_TYPE"),
        "pdf-en-tete-faux.pdf": (b"%PDF-1.4\n" + b"\x00\xff" * 500, "E_CORRUPT"),
        # encrypted
        "protege.pdf": (quote_pdf(encrypt="secret"), "E_ENCRYPTED"),
        # too large
        "trente-et-une-pages.pdf": (quote_pdf(pages=31), "E_TOO_LARGE"),
        "bombe-png.png": (_png_bomb(), "E_TOO_LARGE"),
        "geant-20000.png": (_png_claiming(20_000, 20_000), "E_TOO_LARGE"),
        "geant-7000.png": (_png_claiming(7000, 6000), "E_TOO_LARGE"),
        "geant-100000.png": (_png_claiming(100_000, 100_000), "E_TOO_LARGE"),
        "geant.jpg": (_jpeg_claiming(30_000, 30_000), "E_TOO_LARGE"),
        # shell-looking names (bad contents) - the name is only ever a name
        "$(touch pwned).pdf": (b"", "E_EMPTY"),
        "; rm -rf ~ ;.pdf": (b"plain text", "E_UNSUPPORTED_TYPE"),
        "`id`.jpg": (b"", "E_EMPTY"),
        "-rf.pdf": (b"", "E_EMPTY"),
        "--help.pdf": (b"not a pdf", "E_UNSUPPORTED_TYPE"),
        "a'b\"c & d | e.pdf": (b"", "E_EMPTY"),
        # valid documents, some odd: each must be read
        "devis-bon.pdf": (good, "ok"),
        "devis-accentué é.pdf": (quote_pdf(title="DEVIS n° 2"), "ok"),
        "$(reboot) devis.pdf": (quote_pdf(title="DEVIS n° 3"), "ok"),
        "devis-deux-pages.pdf": (quote_pdf(pages=2), "ok"),
        "devis-200-pouces.pdf": (quote_pdf(size=(14400, 14400)), "ok"),
        "junk-avant-entete.pdf": (b"\r\n\r\n" + quote_pdf(title="DEVIS n° 4"), "ok"),
        "page-blanche.png": (_png(Image.new("L", (300, 420), 255)), "ok"),
        "palette.png": (_png(Image.new("RGB", (300, 420), (250, 250, 250)).convert("P")), "ok"),
        "seize-bits.png": (_png(Image.fromarray(np.full((420, 300), 60000, np.uint16))), "ok"),
    }
    if with_timeout:
        files["references-en-boucle.pdf"] = (reference_loop_pdf(), "E_TIMEOUT")
    expected = {}
    for name, (content, code) in files.items():
        (folder / name).write_bytes(content)
        expected[name] = code
    # Not regular files: refused without being opened.
    secret = folder.parent / f"{folder.name}-secret.pdf"
    secret.write_bytes(good)
    os.symlink(secret, folder / "lien-vers-secret.pdf")
    expected["lien-vers-secret.pdf"] = "E_UNSUPPORTED_TYPE"
    os.symlink("/etc/shadow", folder / "lien-shadow.pdf")
    expected["lien-shadow.pdf"] = "E_UNSUPPORTED_TYPE"
    os.symlink(folder / "nulle-part", folder / "lien-casse.pdf")
    expected["lien-casse.pdf"] = "E_UNSUPPORTED_TYPE"
    os.mkfifo(folder / "tube.pdf")
    expected["tube.pdf"] = "E_UNSUPPORTED_TYPE"
    (folder / "dossier.pdf").mkdir()
    expected["dossier.pdf"] = "E_UNSUPPORTED_TYPE"
    return expected
