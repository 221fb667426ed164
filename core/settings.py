"""Every setting of quote-review in one object: where its state lives and the decision thresholds.

Read once from the environment with pydantic-settings (``QUOTE_REVIEW_<FIELD NAME IN UPPER CASE>``,
e.g. ``QUOTE_REVIEW_SCOPE_MIN_TTC=700`` or ``QUOTE_REVIEW_HOME=/srv/qr``). Precedence:
defaults < TOML file (``QUOTE_REVIEW_SETTINGS`` or an explicit path) < environment < keyword arguments.

Paths follow ``QUOTE_REVIEW_HOME`` (default ``./var``): the SQLite database, the originals, the
outbox and Prefect's files live under it unless ``QUOTE_REVIEW_DB`` names another database.
"""
from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from core.errors import SettingsError

ENV_PREFIX = "QUOTE_REVIEW_"
SETTINGS_FILE_ENV = "QUOTE_REVIEW_SETTINGS"
DEFAULT_HOME = Path("var")
DEFAULT_PREFECT_PORT = 4200
DB_FILE_NAME = "quote-review.db"

# Fields that are places and addresses, not decision thresholds: a TOML settings file holds thresholds only.
ENVIRONMENT_FIELDS = frozenset({"home", "db", "grid_dir", "cache_dir", "prefect_port", "webhook_url", "settings_file"})

# ``Settings.load(environ=...)`` reads this mapping instead of the process environment.
_environ: ContextVar[Mapping[str, str] | None] = ContextVar("quote_review_environ", default=None)
_settings_file: ContextVar[Path | None] = ContextVar("quote_review_settings_file", default=None)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid", case_sensitive=False)

    # Where quote-review keeps its state: database, originals, outbox, Prefect's files.
    home: Path = DEFAULT_HOME
    # Database URL; default: SQLite file under ``home``.
    db: str | None = None
    # Price grid folder; default: the repository's ``reference_prices/``.
    grid_dir: Path | None = None
    # The matcher's cache of grid lemmas; default ``$XDG_CACHE_HOME/quote-review`` (shared by every home:
    # a fresh home would otherwise load spaCy's model again).
    cache_dir: Path | None = None
    prefect_port: int = DEFAULT_PREFECT_PORT
    # Events are also delivered to this HTTP endpoint when set.
    webhook_url: str | None = None
    # The TOML file of thresholds this object was read with (``QUOTE_REVIEW_SETTINGS``).
    settings_file: Path | None = None

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

    @field_validator("*", mode="before")
    @classmethod
    def _french_decimal(cls, value: Any, info) -> Any:
        if info.field_name not in ENVIRONMENT_FIELDS and isinstance(value, str):
            return value.strip().replace(",", ".")
        return value

    @field_validator("*")
    @classmethod
    def _not_negative(cls, value: Any, info) -> Any:
        if isinstance(value, Decimal) and value < 0:
            raise ValueError("must not be negative")
        return value

    @model_validator(mode="after")
    def _scope_in_order(self) -> "Settings":
        if self.scope_min_ttc > self.scope_max_ttc:
            raise ValueError("scope_min_ttc is above scope_max_ttc")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _EnvironSource(settings_cls), _TomlFileSource(settings_cls)

    # --- places derived from home -----------------------------------------------------------------
    @property
    def db_url(self) -> str:
        return self.db or f"sqlite:///{self.home / DB_FILE_NAME}"

    @property
    def originals_dir(self) -> Path:
        return self.home / "originals"

    @property
    def outbox_dir(self) -> Path:
        return self.home / "outbox"

    @property
    def prefect_home(self) -> Path:
        return self.home / "prefect"

    @property
    def lemma_cache_dir(self) -> Path:
        if self.cache_dir:
            return self.cache_dir
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "quote-review"

    # --- loading ------------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path | str | None = None, environ: Mapping[str, str] | None = None) -> "Settings":
        """Defaults, then the TOML file (``path`` or ``$QUOTE_REVIEW_SETTINGS``), then ``environ``
        (the process environment by default); a bad value is a ``SettingsError`` naming where it came from."""
        env_token = _environ.set(environ)
        file_token = _settings_file.set(Path(path) if path else None)
        try:
            return cls()
        except ValidationError as error:
            raise SettingsError(_describe(error, "settings")) from None
        finally:
            _environ.reset(env_token)
            _settings_file.reset(file_token)

    def updated(self, values: Mapping[str, Any], origin: str = "settings") -> "Settings":
        """These settings with ``values`` instead (decision thresholds by name)."""
        known = set(type(self).model_fields)
        unknown = sorted(set(values) - known)
        if unknown:
            raise SettingsError(f"{origin}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        try:
            return type(self).model_validate({**self.model_dump(), **values})
        except ValidationError as error:
            raise SettingsError(_describe(error, origin)) from None


def _describe(error: ValidationError, origin: str) -> str:
    problems = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        problems.append(f"{where} {message}, got {problem.get('input')!r}" if where else message)
    return f"{origin}: " + "; ".join(problems)


class _EnvironSource(EnvSettingsSource):
    """The process environment, or the mapping ``Settings.load(environ=...)`` was given."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        environ = _environ.get()
        if environ is None:
            return super()._load_env_vars()
        return {key.lower(): value for key, value in environ.items()}


class _TomlFileSource(PydanticBaseSettingsSource):
    """Decision thresholds from a TOML file, flat or under a ``[decide]`` table."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = _settings_file.get()
        if path is None:
            environ = _environ.get()
            environ = os.environ if environ is None else environ
            named = environ.get(SETTINGS_FILE_ENV)
            path = Path(named) if named else None
        if path is None:
            return {}
        values = _read_toml(path)
        known = set(self.settings_cls.model_fields) - ENVIRONMENT_FIELDS
        unknown = sorted(set(values) - known)
        if unknown:
            raise SettingsError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return {**values, "settings_file": path}


def _read_toml(path: Path) -> dict:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"settings file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc})") from None
    # Accept both a flat file and a [decide] table.
    return data.get("decide", data)
