"""One exception hierarchy for bad input and processing failures.

Every error carries a stable ``code`` that scripts and the database can rely on,
and a message a person can act on, and the process exit code a command ends with
(``exit_code``). Bad input never crashes a batch: the batch catches ``QuoteReviewError``,
records the code and goes on with the next file.
"""
from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, stable for scripts that call quote-review."""

    OK = 0
    BAD_INPUT = 2          # at least one document was refused (code printed on its line)
    INVALID_ARGUMENTS = 3  # dossier fields, settings or grid files are wrong
    ORCHESTRATION = 4      # the local Prefect API could not be reached or started
    INTERNAL = 10

    @classmethod
    def for_error(cls, error: "QuoteReviewError") -> "ExitCode":
        return error.exit_code


class QuoteReviewError(Exception):
    """Base class. ``code`` is stable across releases; never reuse a code."""

    code = "E_INTERNAL"
    exit_code = ExitCode.INTERNAL

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def one_line(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}{self.code}: {self.message}"


class BadInputError(QuoteReviewError):
    """The document itself cannot be processed; the original is still kept."""

    code = "E_BAD_INPUT"
    exit_code = ExitCode.BAD_INPUT


class EmptyFileError(BadInputError):
    code = "E_EMPTY"


class UnsupportedTypeError(BadInputError):
    code = "E_UNSUPPORTED_TYPE"


class CorruptFileError(BadInputError):
    code = "E_CORRUPT"


class EncryptedPdfError(BadInputError):
    code = "E_ENCRYPTED"


class TooLargeError(BadInputError):
    code = "E_TOO_LARGE"


class InvalidDossierError(QuoteReviewError):
    """Dossier fields are missing or invalid (reference, claim date, deductible, guarantee...)."""

    code = "E_INVALID_DOSSIER"
    exit_code = ExitCode.INVALID_ARGUMENTS


class GridError(QuoteReviewError):
    """The price grid files do not validate; the message names file, row, column and reason."""

    code = "E_GRID"
    exit_code = ExitCode.INVALID_ARGUMENTS


class StateError(QuoteReviewError):
    """An action is not allowed in the dossier's current state (e.g. changing a closed dossier)."""

    code = "E_STATE"
    exit_code = ExitCode.INVALID_ARGUMENTS


class OrchestrationError(QuoteReviewError):
    """The local Prefect API could not be reached or started."""

    code = "E_ORCHESTRATION"
    exit_code = ExitCode.ORCHESTRATION


class SettingsError(QuoteReviewError):
    """A setting (environment variable or TOML file) is unknown or out of range."""

    code = "E_SETTINGS"
    exit_code = ExitCode.INVALID_ARGUMENTS


class OcrError(QuoteReviewError):
    """Tesseract is missing, failed or timed out on a page (a processing failure, not bad input)."""

    code = "E_OCR"


class ReadTimeoutError(BadInputError):
    """Reading the pages took longer than the per-document limit; the reader was stopped."""

    code = "E_TIMEOUT"


class UnreadableError(BadInputError):
    """The pages were read but the quote reader failed on them; a person must read this one."""

    code = "E_UNREADABLE"

