"""Process exit codes, stable for scripts that call quote-review."""
from __future__ import annotations

from enum import IntEnum

from pipeline.errors import BadInputError, QuoteReviewError


class ExitCode(IntEnum):
    OK = 0
    BAD_INPUT = 2          # at least one document was refused (code printed on its line)
    INVALID_ARGUMENTS = 3  # dossier fields, settings or grid files are wrong
    ORCHESTRATION = 4      # the local Prefect API could not be reached or started
    INTERNAL = 10

    @classmethod
    def for_error(cls, error: QuoteReviewError) -> "ExitCode":
        if isinstance(error, BadInputError):
            return cls.BAD_INPUT
        if error.code == "E_ORCHESTRATION":
            return cls.ORCHESTRATION
        if error.code in {"E_INVALID_DOSSIER", "E_GRID", "E_SETTINGS", "E_STATE"}:
            return cls.INVALID_ARGUMENTS
        return cls.INTERNAL
