from decimal import Decimal
from pathlib import Path

import pytest

from core.errors import ExitCode, SettingsError
from core.settings import Settings


def test_home_moves_the_default_database_the_originals_and_prefect():
    settings = Settings.load(environ={"QUOTE_REVIEW_HOME": "/srv/qr"})
    assert settings.db_url == "sqlite:////srv/qr/quote-review.db"
    assert settings.originals_dir == Path("/srv/qr/originals")
    assert settings.prefect_home == Path("/srv/qr/prefect")
    assert settings.outbox_dir == Path("/srv/qr/outbox")


def test_without_home_the_state_is_under_var():
    settings = Settings.load(environ={})
    assert settings.db_url == "sqlite:///var/quote-review.db"
    assert settings.originals_dir == Path("var/originals")


def test_an_explicit_database_wins_over_home():
    settings = Settings.load(environ={"QUOTE_REVIEW_HOME": "/srv/qr", "QUOTE_REVIEW_DB": "postgresql+psycopg://u@h/db"})
    assert settings.db_url == "postgresql+psycopg://u@h/db"


def test_every_variable_the_code_reads_is_a_setting():
    settings = Settings.load(environ={
        "QUOTE_REVIEW_PREFECT_PORT": "4299", "QUOTE_REVIEW_WEBHOOK_URL": "http://127.0.0.1:9/hook",
        "QUOTE_REVIEW_CACHE_DIR": "/tmp/c", "QUOTE_REVIEW_GRID_DIR": "/tmp/g", "QUOTE_REVIEW_SCOPE_MAX_TTC": "7000,5",
    })
    assert settings.prefect_port == 4299 and settings.webhook_url == "http://127.0.0.1:9/hook"
    assert settings.lemma_cache_dir == Path("/tmp/c") and settings.grid_dir == Path("/tmp/g")
    assert settings.scope_max_ttc == Decimal("7000.5")


def test_a_file_of_thresholds_is_read_and_the_environment_wins(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("scope_min_ttc = 500\nvariance_threshold_ttc = 150\n")
    settings = Settings.load(environ={"QUOTE_REVIEW_SETTINGS": str(path), "QUOTE_REVIEW_SCOPE_MIN_TTC": "600"})
    assert settings.scope_min_ttc == Decimal("600") and settings.variance_threshold_ttc == Decimal("150")


def test_a_file_may_not_move_home(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('home = "/elsewhere"\n')
    with pytest.raises(SettingsError, match="unknown setting"):
        Settings.load(path, environ={})


@pytest.mark.parametrize("environ, message", [
    ({"QUOTE_REVIEW_SCOPE_MIN_TTC": "-1"}, "must not be negative"),
    ({"QUOTE_REVIEW_SCOPE_MIN_TTC": "lots"}, "scope_min_ttc"),
    ({"QUOTE_REVIEW_SCOPE_MIN_TTC": "9000"}, "scope_min_ttc is above scope_max_ttc"),
    ({"QUOTE_REVIEW_PREFECT_PORT": "port"}, "prefect_port"),
])
def test_a_bad_value_is_a_settings_error_with_its_exit_code(environ, message):
    with pytest.raises(SettingsError, match=message) as caught:
        Settings.load(environ=environ)
    assert caught.value.code == "E_SETTINGS" and caught.value.exit_code == ExitCode.INVALID_ARGUMENTS


def test_the_process_environment_is_read_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv("QUOTE_REVIEW_HOME", str(tmp_path))
    assert Settings.load().db_url == f"sqlite:///{tmp_path}/quote-review.db"
    from store import default_db_url
    assert default_db_url() == f"sqlite:///{tmp_path}/quote-review.db"
