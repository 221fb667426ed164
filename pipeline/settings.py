"""Decision thresholds, with the insurer's defaults, overridable from a TOML file or the environment.

Precedence: defaults < file (``QUOTE_REVIEW_SETTINGS`` or an explicit path) < environment
variables ``QUOTE_REVIEW_<FIELD NAME IN UPPER CASE>`` (e.g. ``QUOTE_REVIEW_SCOPE_MIN_TTC=700``).
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pipeline.errors import QuoteReviewError

ENV_PREFIX = "QUOTE_REVIEW_"
SETTINGS_FILE_ENV = "QUOTE_REVIEW_SETTINGS"


class SettingsError(QuoteReviewError):
    code = "E_SETTINGS"


@dataclass(frozen=True)
class Settings:
    # Scope: quotes outside [min, max] TTC are not reviewed by this desk (both bounds included).
    scope_min_ttc: Decimal = Decimal("650")
    scope_max_ttc: Decimal = Decimal("6500")
    # A variance up to this amount (included) is accepted; above it a REN offer is made.
    variance_threshold_ttc: Decimal = Decimal("200")
    # A line priced up to this ratio above the grid reference (and inside the grid's band) is not cut.
    # The grid's low-high bands come from public guides (entry level to premium) and are too wide
    # to serve as a tolerance on their own.
    price_tolerance: Decimal = Decimal("0.20")
    # Market prices scatter around the grid reference (relative standard deviations, measured on
    # corpus-dev's 225 priced lines as log(market / reference)): each line on its own by 0.185, and
    # all lines of one quote together by 0.055 (the firm, the site). The robot closes a quote only
    # when, close_confidence deviations of that scatter added, it stays within the variance threshold
    # of the reference; it offers REN only when, ren_confidence deviations taken off, it is still
    # beyond. In between, a reviewer decides.
    market_spread: Decimal = Decimal("0.19")
    quote_spread: Decimal = Decimal("0.055")
    # A line the grid cannot price (no item, units that do not compare) is kept at its quoted amount,
    # give or take this share of it: a small one does not stop the robot, a big one goes to a reviewer.
    unpriced_spread: Decimal = Decimal("0.50")
    close_confidence: Decimal = Decimal("1.0")
    ren_confidence: Decimal = Decimal("1.0")
    # A supplied product is flagged when its price is over the catalogue by more than both.
    supply_gap_ratio: Decimal = Decimal("0.30")
    supply_gap_amount: Decimal = Decimal("100")
    # Lines read with a confidence below this go to a reviewer.
    min_ocr_confidence: Decimal = Decimal("0.60")
    # qty x unit price, sum of lines, HT + TVA: differences up to this are rounding.
    arithmetic_tolerance: Decimal = Decimal("0.01")
    # Payment approval chain: up to auto_max no human; up to team_lead_max a team lead; above, a manager.
    approval_auto_max: Decimal = Decimal("1000")
    approval_team_lead_max: Decimal = Decimal("3000")
    # Page reading runs in worker processes (extractors/isolation.py): a document that takes longer
    # than this, or makes its worker hold more than this much memory, is stopped (E_TIMEOUT,
    # E_TOO_LARGE). A 30-page scan takes about 70 s on a quiet machine.
    read_timeout_seconds: Decimal = Decimal("300")
    read_memory_mb: Decimal = Decimal("700")
    read_workers: Decimal = Decimal("2")

    @classmethod
    def load(cls, path: Path | str | None = None, environ: dict[str, str] | None = None) -> "Settings":
        environ = os.environ if environ is None else environ
        settings = cls()
        file_path = path or environ.get(SETTINGS_FILE_ENV)
        if file_path:
            settings = settings.updated(_read_toml(Path(file_path)), origin=str(file_path))
        from_env = {
            f.name: environ[ENV_PREFIX + f.name.upper()]
            for f in fields(cls)
            if ENV_PREFIX + f.name.upper() in environ
        }
        return settings.updated(from_env, origin="environment")

    def updated(self, values: dict, origin: str = "settings") -> "Settings":
        known = {f.name for f in fields(self)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise SettingsError(f"{origin}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        parsed = {}
        for name, raw in values.items():
            try:
                value = Decimal(str(raw).replace(",", "."))
            except InvalidOperation:
                raise SettingsError(f"{origin}: {name} must be a number, got {raw!r}") from None
            if value < 0:
                raise SettingsError(f"{origin}: {name} must not be negative, got {raw!r}")
            parsed[name] = value
        result = replace(self, **parsed)
        if result.scope_min_ttc > result.scope_max_ttc:
            raise SettingsError(f"{origin}: scope_min_ttc is above scope_max_ttc")
        return result


def _read_toml(path: Path) -> dict:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"settings file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc})") from None
    # Accept both a flat file and a [decide] table.
    return data.get("decide", data)
