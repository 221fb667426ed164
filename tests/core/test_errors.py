import pytest

from core import errors
from core.errors import ExitCode


@pytest.mark.parametrize("error_class, exit_code", [
    (errors.EmptyFileError, ExitCode.BAD_INPUT),
    (errors.UnsupportedTypeError, ExitCode.BAD_INPUT),
    (errors.CorruptFileError, ExitCode.BAD_INPUT),
    (errors.EncryptedPdfError, ExitCode.BAD_INPUT),
    (errors.TooLargeError, ExitCode.BAD_INPUT),
    (errors.InvalidDossierError, ExitCode.INVALID_ARGUMENTS),
    (errors.GridError, ExitCode.INVALID_ARGUMENTS),
    (errors.StateError, ExitCode.INVALID_ARGUMENTS),
    (errors.SettingsError, ExitCode.INVALID_ARGUMENTS),
    (errors.OrchestrationError, ExitCode.ORCHESTRATION),
    (errors.OcrError, ExitCode.INTERNAL),
    (errors.QuoteReviewError, ExitCode.INTERNAL),
])
def test_each_error_carries_its_exit_code(error_class, exit_code):
    error = error_class("boom")
    assert error.exit_code == exit_code == ExitCode.for_error(error)


def test_every_error_code_is_unique():
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.QuoteReviewError)]
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes))
