"""Settings: defaults, readable one-line errors for unknown names and bad values."""

from pathlib import Path

import pytest

from server.core.settings import SettingsError, load_settings


def test_defaults_serve_on_localhost_8000_with_sqlite_in_the_data_folder() -> None:
    settings = load_settings({})

    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.resolved_database_url == f"sqlite:///{Path('data/machi.db').resolve()}"


def test_postgresql_urls_use_the_psycopg3_driver() -> None:
    settings = load_settings({"MACHI_DATABASE_URL": "postgresql://postgres@db:5432/machi"})

    assert settings.resolved_database_url == "postgresql+psycopg://postgres@db:5432/machi"
    assert not settings.is_sqlite


def test_an_unknown_setting_is_named_with_a_suggestion() -> None:
    with pytest.raises(
        SettingsError, match=r"unknown setting MACHI_PROT \(did you mean MACHI_PORT\?\)"
    ):
        load_settings({"MACHI_PROT": "9000"})


@pytest.mark.parametrize(
    ("name", "value"),
    [("MACHI_PORT", "abc"), ("MACHI_PORT", "70000"), ("MACHI_LOG_FORMAT", "xml")],
)
def test_a_bad_value_names_the_setting_and_the_value(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({name: value})

    message = str(caught.value)
    assert name in message
    assert repr(value) in message
    assert "\n" not in message
