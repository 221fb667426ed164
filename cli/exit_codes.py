"""Process exit codes, stable for scripts that call quote-review: each error carries its own (``core.errors``)."""
from __future__ import annotations

from core.errors import ExitCode

__all__ = ["ExitCode"]
