"""What a person types or a spreadsheet saves, checked completely before any work starts.

A dossier from the command line or from one row of a dossiers CSV is parsed and validated here
(``store.validate_dossier``: reference, date, amounts, guarantee, phone, email, postcode), so a
bad value is refused with ``E_INVALID_DOSSIER`` before a document is read, never deep in pricing.
The CSV is read the way Excel writes it: UTF-8 with or without BOM, or Windows-1252/Latin-1,
``,`` or ``;`` separated; a bad row is reported by its line number and skipped.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from core.errors import InvalidDossierError
from core.models import Dossier
from store import validate_dossier

CSV_COLUMNS = ("file", "dossier_ref", "claim_date", "postcode", "guarantee", "deductible", "phone", "email")
MAX_CSV_BYTES = 5 * 1024 * 1024
# ASCII digits only (Python's Decimal and int also read Arabic-Indic or full-width digits).
_AMOUNT = re.compile(r"[0-9]{1,9}([.,][0-9]{1,2})?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_amount(text: str, what: str) -> Decimal:
    cleaned = re.sub(r"[\s\u00a0\u202f€]", "", text or "")
    if not _AMOUNT.fullmatch(cleaned):
        raise InvalidDossierError(f"{what} {text!r}: an amount in euros with ASCII digits, e.g. 150 or 150,00")
    try:
        return Decimal(cleaned.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise InvalidDossierError(f"{what} {text!r} is not an amount") from None


def parse_date(text: str | None) -> dt.date:
    if not text:
        return dt.date.today()
    cleaned = text.strip()
    if not _DATE.fullmatch(cleaned):
        raise InvalidDossierError(f"claim date {text!r}: YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(cleaned)
    except ValueError:
        raise InvalidDossierError(f"claim date {text!r} is not a calendar date") from None


def dossier_from_values(ref: str, claim_date: str | None, postcode: str | None, guarantee: str, deductible: str,
                        phone: str, email: str) -> Dossier:
    """A validated dossier, or ``InvalidDossierError`` naming every field that is wrong."""
    problems = []
    claim = amount = None
    try:
        claim = parse_date(claim_date)
    except InvalidDossierError as error:
        problems.append(error.message)
    try:
        amount = parse_amount(deductible, "deductible")
    except InvalidDossierError as error:
        problems.append(error.message)
    dossier = Dossier(ref=(ref or "").strip(), claim_date=claim, deductible=amount, guarantee=(guarantee or "").strip(),
                      phone=phone, email=email, postcode=(postcode or "").strip() or None)
    try:
        dossier = validate_dossier(dossier)
    except InvalidDossierError as error:
        # The parse problems already say what is wrong with the date and the amount.
        problems.extend(p for p in error.message.split("; ") if not p.startswith(("the claim date is mandatory",
                                                                                  "the deductible is mandatory")))
    if problems:
        raise InvalidDossierError("; ".join(problems))
    return dossier


def auto_reference(file_name: str) -> str:
    return f"AUTO-{hashlib.sha1(file_name.encode()).hexdigest()[:8].upper()}"


@dataclass
class CsvRow:
    line: int          # the line number a spreadsheet shows (the header is line 1)
    values: dict[str, str]


@dataclass
class RowError:
    line: int
    file: str
    error: InvalidDossierError


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")  # Excel's "CSV" on a French Windows


def read_dossiers_csv(path: Path) -> list[CsvRow]:
    """The rows of a dossiers CSV, keyed by lower-case column name; ``InvalidDossierError`` if the file
    itself is unusable (missing, too big, no ``file`` column)."""
    try:
        if path.stat().st_size > MAX_CSV_BYTES:
            raise InvalidDossierError(f"{path}: the dossiers CSV is over {MAX_CSV_BYTES // (1024 * 1024)} MB")
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidDossierError(f"{path}: the dossiers CSV cannot be read ({exc.strerror})") from None
    text = _decode(raw)
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise InvalidDossierError(f"{path}: the dossiers CSV is empty") from None
    if "file" not in header:
        raise InvalidDossierError(f"{path}: no 'file' column (expected {','.join(CSV_COLUMNS)})")
    rows = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            values = {name: cell.strip() for name, cell in zip(header, cells) if name}
            rows.append(CsvRow(reader.line_num, values))
    except csv.Error as exc:
        raise InvalidDossierError(f"{path}: line {reader.line_num}: {exc}") from None
    return rows


def batch_dossiers(files: list[Path], dossiers_csv: Path | None, defaults: dict) -> tuple[list[tuple[str, Dossier]], list[RowError]]:
    """A validated dossier for each file, and the files whose dossier row is wrong (reported, skipped)."""
    rows: dict[str, CsvRow] = {}
    errors: list[RowError] = []
    if dossiers_csv:
        for row in read_dossiers_csv(dossiers_csv):
            rows[row.values.get("file", "")] = row
    items = []
    for path in files:
        row = rows.get(path.name)
        values = {**defaults, **{k: v for k, v in (row.values if row else {}).items() if v}}
        ref = values.get("dossier_ref") or auto_reference(path.name)
        try:
            dossier = dossier_from_values(ref, values.get("claim_date"), values.get("postcode"), values.get("guarantee"),
                                          values.get("deductible") or "0", values.get("phone") or "000000000",
                                          values.get("email") or "inconnu")
        except InvalidDossierError as error:
            where = f"{dossiers_csv} line {row.line}" if row else "the command-line defaults"
            error.message = f"{where}: {error.message}"
            error.path = str(path)
            errors.append(RowError(row.line if row else 0, str(path), error))
            continue
        items.append((str(path), dossier))
    return items, errors
