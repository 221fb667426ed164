"""Reading the numbers, units and VAT rates printed on quotes.

Quotes come from many programs: ``1 234,56 €``, ``1234,56``, ``1.234,56``,
``1,234.56``, ``EUR``; units ``m²``, ``M2``, ``ml``, ``U``, ``pce``, ``ens``,
``Fft``, ``h``. Everything is normalised here so the table reader never guesses.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from rapidfuzz.distance import Levenshtein

from core.models import cents

_CURRENCY = re.compile(r"(€|eur(?:os?)?\b|e$)", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
# A run that can be one printed number: digits, group separators, sign, currency.
AMOUNT_PATTERN = r"[-−–]?\s?\d+(?:[ \u00a0\u202f.,']\d{3})*(?:[.,]\d{1,3})?\s?(?:€|EUR)?"
AMOUNT_RE = re.compile(AMOUNT_PATTERN, re.IGNORECASE)


def parse_number(text: str) -> Decimal | None:
    """Parse a printed number in French or English notation; None when it is not one number."""
    if text is None:
        return None
    raw, negative = _unsigned(text)
    if not raw or not re.fullmatch(r"[\d .,]+", raw) or not re.search(r"\d", raw):
        return None
    if " " in raw:
        raw = _joined_thousands(raw)
        if raw is None:
            return None
    try:
        value = Decimal(_with_decimal_point(raw))
    except InvalidOperation:
        return None
    return -value if negative else value


def _unsigned(text: str) -> tuple[str, bool]:
    """The number's characters without currency, sign or brackets, and whether it was negative."""
    raw = _CURRENCY.sub("", text.strip()).strip()
    raw = raw.replace("−", "-").replace("–", "-")
    negative = raw.startswith("-") or (raw.startswith("(") and raw.endswith(")"))
    raw = raw.strip("-() +")
    return _SPACES.sub(" ", raw).strip(), negative


def _joined_thousands(raw: str) -> str | None:
    """Spaces only group thousands: every group after the first has 3 digits (the last may carry decimals)."""
    groups = raw.split(" ")
    if not all(re.fullmatch(r"\d{3}(?:[.,]\d{1,3})?", g) for g in groups[1:]) or not re.fullmatch(r"\d{1,3}", groups[0]):
        return None
    return "".join(groups)


def _with_decimal_point(raw: str) -> str:
    """Digits with ``.`` as the only separator, the decimal one: group separators dropped."""
    last_comma, last_dot = raw.rfind(","), raw.rfind(".")
    if last_comma >= 0 and last_dot >= 0:
        decimal_sep = "," if last_comma > last_dot else "."
        group_sep = "." if decimal_sep == "," else ","
        return raw.replace(group_sep, "").replace(decimal_sep, ".")
    if last_comma >= 0:
        return raw.replace(",", "") if raw.count(",") > 1 else raw.replace(",", ".")
    if raw.count(".") > 1:
        return raw.replace(".", "")
    if last_dot >= 0 and re.fullmatch(r"\d{1,3}\.\d{3}", raw) and not raw.startswith("0"):
        # "1.234" on a French quote is one thousand two hundred and thirty-four.
        return raw.replace(".", "")
    return raw


_UNIT_ALIASES = {
    "m2": "m2", "m²": "m2", "me": "m2", "m?": "m2", "m°": "m2", "mè": "m2", "m*": "m2", "m>": "m2", "mq": "m2", "m 2": "m2", "metre carre": "m2", "m.2": "m2",
    "ml": "ml", "mi": "ml", "m1": "ml", "m.l": "ml", "m.l.": "ml", "mli": "ml", "m lin": "ml", "metre lineaire": "ml",
    "m": "ml", "lm": "ml",
    "m3": "m3", "m³": "m3", "ms": "m3", "m 3": "m3",
    "u": "u", "un": "u", "un.": "u", "unite": "u", "unité": "u", "pce": "u", "pc": "u", "pcs": "u",
    "piece": "u", "pièce": "u", "pieces": "u", "pièces": "u", "nb": "u", "qte": "u", "p": "u", "ut": "u",
    "h": "h", "hr": "h", "hrs": "h", "heure": "h", "heures": "h", "hre": "h",
    "forfait": "forfait", "fft": "forfait", "ft": "forfait", "ff": "forfait", "f": "forfait",
    "forf": "forfait", "forf.": "forfait", "ens": "forfait", "ens.": "forfait", "ensemble": "forfait",
    "kg": "kg", "kgs": "kg", "kilo": "kg",
}


def normalise_unit(text: str | None) -> str | None:
    """The contract's unit (m2 ml m3 u h forfait kg) for a printed unit, or None."""
    if not text:
        return None
    key = re.sub(r"\s+", " ", text.strip().lower()).rstrip(":")
    key = key.replace("é", "e").replace("è", "e") if key not in _UNIT_ALIASES else key
    return _UNIT_ALIASES.get(key) or _UNIT_ALIASES.get(key.rstrip("."))


# What OCR makes of the printed units: a lost or misread exponent ("m2?", "nm", "ma"), "l" read "il"
# ("mil."), "Fft" read "Fit", "FE", "EE", "Fortait", "pce" read "pe", accents on "U".
_OCR_UNITS = (
    (re.compile(r"^[mn][mn]?[2²?*>ae“”]?\??$"), "m2"),
    (re.compile(r"^m[3³]\??$"), "m3"),
    (re.compile(r"^m[il1|][il1]?\.?$"), "ml"),
    (re.compile(r"^fo[rt]{1,2}[fa]"), "forfait"),
    (re.compile(r"^[fe][fiet1lc]{1,2}\.?$"), "forfait"),
    (re.compile(r"^p[ce][ec]?s?\.?$"), "u"),
    (re.compile(r"^[uùúû]\.?$"), "u"),
    (re.compile(r"^k[gq]s?\.?$"), "kg"),
)


def read_unit(text: str | None) -> str | None:
    """``normalise_unit``, then the usual OCR misreadings of a unit cell (border or dot debris around
    it stripped); None when the cell still names no unit."""
    unit = normalise_unit(text)
    if unit is not None or not text:
        return unit
    key = re.sub(r"^[\s:;|\-_°#'\".,!]+|[\s:;|\-_°#'\",!]+$", "", text.strip().lower())
    unit = normalise_unit(key)
    if unit is not None:
        return unit
    return next((unit for pattern, unit in _OCR_UNITS if pattern.match(key)), None)


# A quantity and its unit in one cell: "15,91 m2", "47,33 M2", "11,00 unité", "2,74 m.l.", "12,5m²"; OCR may
# leave a speck before the unit ("23,06 \mè") or a mark for an exponent it could not read ("14,87 M?", "58,8 m“").
_QUANTITY_WITH_UNIT = re.compile(r"^\s*(\d[\d\s\u00a0.,]*?)\s*[^\w\s.,]?([^\W\d_][\w.]*[?*°>“”\"']?)\s*$")


def split_quantity_unit(text: str | None) -> tuple[Decimal, str] | None:
    """The quantity and the unit as printed, when a cell holds a number followed by a word, else None."""
    match = _QUANTITY_WITH_UNIT.match(text or "")
    if not match:
        return None
    quantity = parse_number(match.group(1))
    return (quantity, match.group(2)) if quantity is not None else None


# A metre unit whose exponent OCR could not read for sure: a lone "m" (exponent dropped, or the "l" of
# "ml"), or a mark where the exponent was ("m?", "m°"); "m²"/"m³" read with little confidence count too.
_MARKED_METRE = re.compile(r"^m[?*°>è“”]$")
_UNSURE_EXPONENT = 0.5


def metre_units_in_doubt(text: str, unit: str | None, confidence: float) -> tuple[str, ...]:
    """The units an OCR'd unit cell may stand for when it is a metre unit of uncertain exponent, else ()."""
    key = re.sub(r"^[\s:;|\-_#'\".,!]+|[\s:;|\-_#'\",!.]+$", "", text.strip().lower())
    if key == "m":
        return ("ml", "m2", "m3")
    if _MARKED_METRE.match(key) or (unit in {"m2", "m3"} and confidence < _UNSURE_EXPONENT):
        return ("m2", "m3")
    return ()


_STANDARD_RATES = (Decimal("0.2"), Decimal("0.1"), Decimal("0.055"), Decimal("0.021"), Decimal("0.085"), Decimal("0"))


def parse_vat_rate(text: str, codes: dict[str, Decimal] | None = None) -> Decimal | None:
    """``20 %``, ``20,00``, ``5,5%``, ``0.2`` or a legend code (``1``, ``2``...) to a fraction like 0.2."""
    if not text:
        return None
    cleaned = text.strip().replace("%", "").replace("TVA", "").strip()
    if codes and cleaned in codes:
        return codes[cleaned]
    value = parse_number(cleaned)
    if value is None:
        return None
    if value >= 1:
        value = value / 100
    value = value.normalize()
    return value if value in _STANDARD_RATES else None


_VAT_CODE_LEGEND = re.compile(r"(?:code\s*)?(\w)\s*[=:]\s*(\d{1,2}(?:[.,]\d{1,2})?)\s*%", re.IGNORECASE)


def parse_vat_legend(text: str) -> dict[str, Decimal]:
    """``Codes TVA : 1 = 20 % ; 2 = 10 % ; 3 = 5,5 %`` to {"1": 0.2, "2": 0.1, "3": 0.055}."""
    codes: dict[str, Decimal] = {}
    for code, rate in _VAT_CODE_LEGEND.findall(text):
        value = parse_number(rate)
        if value is not None:
            codes[code] = (value / 100).normalize()
    return codes


# OCR misreadings: the arithmetic of a line or of the totals recomputes a figure, and these tell
# whether what OCR read could be that figure misprinted.
def _digits(value: Decimal) -> str:
    """The printed digits of a figure: "10276.00" and "102.76" both give "10276" (a lost separator); below 1
    the zero before the comma is printed too, so "0,06" read "6" is two lost digits, not a lost comma."""
    whole, _, fraction = f"{abs(value):f}".partition(".")
    whole = whole.lstrip("0") or ("0" if fraction else "")
    return whole + fraction


def digit_edits(read: Decimal, derived: Decimal) -> int:
    """How many digit edits turn what OCR read into the derived figure (separators aside), the derived
    figure taken as printed with or without its two decimals ("1,00" read "100" is no edit from 1)."""
    printed = {_digits(derived.normalize()), _digits(cents(derived))}
    return min(Levenshtein.distance(_digits(read.normalize()), digits) for digits in printed)


def is_partial_reading(read: Decimal, derived: Decimal) -> bool:
    """Whether OCR could have made ``read`` of the printed ``derived``: at most two digit edits, or digits
    lost with the rest in order ("5 051,51" cut in two by the layout, read "5")."""
    if digit_edits(read, derived) <= 2:
        return True
    remaining = iter(f"{cents(derived):f}".replace(".", "").replace("-", ""))
    return all(digit in remaining for digit in _digits(read.normalize()))
