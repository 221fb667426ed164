"""French postcodes and the départements they name (pricing by zone, dossier validation)."""
from __future__ import annotations

import re


# Every département a postcode can name: 01-95 (Corsica's 20 split into 2A and 2B) and overseas 971-976.
KNOWN_DEPARTEMENTS = frozenset(
    [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"] + [str(n) for n in range(971, 977)]
)


def is_known_postcode(postcode: str | None) -> bool:
    """Five ASCII digits naming a known département (00000 and 99999 do not)."""
    return departement_of(postcode) in KNOWN_DEPARTEMENTS


def departement_of(postcode: str | None) -> str | None:
    """Département code of a French postcode: 2 digits, 2A/2B for Corsica, 3 digits overseas."""
    if not postcode:
        return None
    code = re.sub(r"\s", "", str(postcode))
    if not re.fullmatch(r"[0-9]{5}", code):
        return None
    if code.startswith("97"):
        return code[:3]
    if code.startswith("20"):
        return "2A" if int(code) < 20200 else "2B"
    return code[:2]
