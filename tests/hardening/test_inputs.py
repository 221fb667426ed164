"""Input rules, checked once before any work: dossier values, the dossiers CSV, the files themselves."""
from __future__ import annotations

import io
import os
import stat
import zipfile

import pytest

from cli.inputs import batch_dossiers, dossier_from_values, parse_amount, read_dossiers_csv
from cli.main import batch_files
from ingestion import ingest as ingest_module
from core.errors import InvalidDossierError, TooLargeError, UnsupportedTypeError
from ingestion.ingest import ingest, sniff_media_type
from core.models import MediaType
from tests.hardening.pdfs import text_pdf

GOOD = dict(ref="SIN-2025-000001", claim_date="2025-03-01", postcode="69003", guarantee="degats_des_eaux",
            deductible="150", phone="0601020304", email="a@b.fr")


def _dossier(**changes):
    values = {**GOOD, **changes}
    return dossier_from_values(values["ref"], values["claim_date"], values["postcode"], values["guarantee"],
                               values["deductible"], values["phone"], values["email"])


def test_a_good_dossier_passes():
    dossier = _dossier()
    assert dossier.postcode == "69003" and str(dossier.deductible) == "150.00"


@pytest.mark.parametrize("field, value, words", [
    ("postcode", "00000", "département"),
    ("postcode", "99999", "département"),
    ("postcode", "٧٥٠١١", "département"),          # Arabic-Indic digits
    ("postcode", "７５０１１", "département"),       # full-width digits
    ("deductible", "1e30", "amount"),
    ("deductible", "1000000", "above"),
    ("deductible", "١٥٠", "ASCII"),
    ("deductible", "-5", "amount"),
    ("deductible", "NaN", "amount"),
    ("ref", ".", "reference"),
    ("ref", "..", "reference"),
    ("ref", "/", "reference"),
    ("ref", "a/../../etc", "reference"),
    ("ref", "SIN..1", "reference"),
    ("ref", "$(rm -rf ~)", "reference"),
    ("claim_date", "2025-02-30", "calendar"),
    ("claim_date", "01/03/2025", "YYYY-MM-DD"),
    ("phone", "٠٦٠١٠٢٠٣٠٤", "phone"),
])
def test_bad_dossier_values_are_refused_before_any_work(field, value, words):
    with pytest.raises(InvalidDossierError) as caught:
        _dossier(**{field: value})
    assert words in caught.value.message


def test_every_bad_field_is_named_at_once():
    with pytest.raises(InvalidDossierError) as caught:
        _dossier(postcode="00000", deductible="1e30", ref="..")
    message = caught.value.message
    assert "postcode" in message and "deductible" in message and "reference" in message


def test_amounts_take_a_french_comma_and_spaces():
    assert str(parse_amount("1 234,50 €", "x")) == "1234.50"


def _write_csv(path, text: str, encoding: str, bom: bool = False) -> None:
    data = text.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


@pytest.mark.parametrize("encoding, bom, separator", [
    ("utf-8", True, ";"), ("utf-8", False, ","), ("cp1252", False, ";"), ("latin-1", False, ","),
])
def test_the_dossiers_csv_is_read_as_excel_writes_it(tmp_path, encoding, bom, separator):
    rows = [["file", "dossier_ref", "claim_date", "postcode", "guarantee", "deductible", "phone", "email"],
            ["devis-é.pdf", "SIN-1", "2025-03-01", "69003", "degats_des_eaux", "150,00", "0601020304", "élodie@exemple.fr"]]
    text = "\r\n".join(separator.join(f'"{cell}"' if separator in cell else cell for cell in row) for row in rows) + "\r\n"
    path = tmp_path / "dossiers.csv"
    _write_csv(path, text, encoding, bom)
    (row,) = read_dossiers_csv(path)
    assert row.values["file"] == "devis-é.pdf" and row.values["email"] == "élodie@exemple.fr"
    assert row.line == 2


def test_a_bad_csv_row_is_reported_by_its_line_and_skipped(tmp_path):
    path = tmp_path / "dossiers.csv"
    path.write_text("\ufefffile;dossier_ref;claim_date;postcode;guarantee;deductible;phone;email\n"
                    "a.pdf;SIN-1;2025-03-01;69003;degats_des_eaux;150;000000000;inconnu\n"
                    "b.pdf;SIN-2;2025-13-45;69003;degats_des_eaux;150;000000000;inconnu\n"
                    "c.pdf;SIN-3;2025-03-01;99999;degats_des_eaux;1e30;000000000;inconnu\n", encoding="utf-8")
    files = [tmp_path / name for name in ("a.pdf", "b.pdf", "c.pdf", "d.pdf")]
    defaults = {"guarantee": "degats_des_eaux", "deductible": "0", "postcode": None, "phone": "000000000",
                "email": "inconnu", "claim_date": None}
    items, errors = batch_dossiers(files, path, defaults)
    assert [os.path.basename(p) for p, _ in items] == ["a.pdf", "d.pdf"]
    assert [(e.line, os.path.basename(e.file)) for e in errors] == [(3, "b.pdf"), (4, "c.pdf")]
    assert "line 3" in errors[0].error.message and "calendar" in errors[0].error.message
    assert "line 4" in errors[1].error.one_line() and errors[1].error.one_line().startswith(str(files[2]))


def test_a_csv_without_a_file_column_is_refused(tmp_path):
    path = tmp_path / "dossiers.csv"
    path.write_text("nom;ref\nx;y\n", encoding="utf-8")
    with pytest.raises(InvalidDossierError):
        read_dossiers_csv(path)


# --- the files -------------------------------------------------------------------------------

def test_a_symlink_is_refused_without_reading_its_target(tmp_path):
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(text_pdf("secret"))
    link = tmp_path / "devis.pdf"
    link.symlink_to(secret)
    with pytest.raises(UnsupportedTypeError) as caught:
        ingest(link, tmp_path / "originals")
    assert "symbolic link" in caught.value.message and caught.value.path == str(link)
    assert not any((tmp_path / "originals").rglob("*.pdf"))


def test_a_fifo_and_a_folder_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    folder = tmp_path / "dossier.pdf"
    folder.mkdir()
    for path in (fifo, folder):
        with pytest.raises(UnsupportedTypeError):
            ingest(path, tmp_path / "originals")


def test_the_size_is_checked_before_copying(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest_module, "MAX_BYTES", 1000)
    big = tmp_path / "gros.pdf"
    big.write_bytes(text_pdf("x" * 10, pages=5))
    assert big.stat().st_size > 1000
    with pytest.raises(TooLargeError) as caught:
        ingest(big, tmp_path / "originals")
    assert caught.value.path == str(big)
    assert not [p for p in (tmp_path / "originals").rglob("*") if p.is_file()]


def test_originals_are_private(tmp_path):
    source = tmp_path / "devis.pdf"
    source.write_bytes(text_pdf())
    document = ingest(source, tmp_path / "originals")
    assert stat.S_IMODE(document.original_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(document.original_path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "originals").stat().st_mode) == 0o700


def _zip_holding(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("head, words", [
    (_zip_holding("devis.pdf", text_pdf()), "ZIP"),
    (b"<!DOCTYPE html><html><body>%PDF-1.4 devis</body></html>", "web page"),
    (b"\xef\xbb\xbf  <html lang='fr'><p>Devis \xc3\xa9t\xc3\xa9</p></html>", "web page"),
    (b"<?xml version='1.0'?><Invoice/>", "XML"),
])
def test_zip_html_and_xml_are_told_apart_from_pdf(head, words):
    with pytest.raises(UnsupportedTypeError) as caught:
        sniff_media_type(head, "x.pdf")
    assert words in caught.value.message


def test_a_pdf_after_a_few_bytes_of_junk_is_still_a_pdf():
    assert sniff_media_type(b"\r\n\r\n%PDF-1.4\n...", "x.pdf") is MediaType.PDF


def test_text_cut_inside_a_character_and_latin1_text_are_text():
    for head in ("Devis réalisé ".encode() * 200, "Devis réalisé".encode("latin-1")):
        with pytest.raises(UnsupportedTypeError) as caught:
            sniff_media_type(head[:2048] if len(head) > 2048 else head[:-1] + head[-1:], "x.pdf")
        assert "text" in caught.value.message


def test_a_batch_reports_a_folder_named_like_a_document_and_links(tmp_path):
    (tmp_path / "x.pdf").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "devis.pdf").write_bytes(b"%PDF-")
    (tmp_path / "lien.pdf").symlink_to("/etc/hostname")
    (tmp_path / "dossiers.csv").write_text("file\n")
    assert [p.name for p in batch_files(tmp_path)] == ["devis.pdf", "lien.pdf", "x.pdf"]


def test_review_refuses_a_bad_dossier_before_starting_anything(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cli.main import app

    monkeypatch.setenv("QUOTE_REVIEW_HOME", str(tmp_path / "var"))
    quote = tmp_path / "devis.pdf"
    quote.write_bytes(text_pdf())
    result = CliRunner().invoke(app, ["review", str(quote), "--dossier", "..", "--guarantee", "degats_des_eaux",
                                      "--deductible", "1e30", "--postcode", "00000",
                                      "--db", f"sqlite:///{tmp_path / 'qr.db'}"])
    assert result.exit_code == 3, result.output
    assert "E_INVALID_DOSSIER" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "var").exists()  # neither Prefect nor the store was started
