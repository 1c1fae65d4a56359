"""Settings from flat environment names; a bad one is named in one line."""

from __future__ import annotations

from datetime import time

import pytest

from bot.settings import SettingsError, load_settings


def test_defaults_and_lists() -> None:
    s = load_settings({"ADMIN_TELEGRAM_IDS": "11, 22", "MORNING_TIME": "07:15"})
    assert s.admin_telegram_ids == ["11", "22"]
    assert s.morning_time == time(7, 15)
    assert s.telegram_api_url == "https://api.telegram.org"
    assert s.database_url.startswith("sqlite+aiosqlite:///")
    assert not s.telegram_enabled


def test_environment_is_not_read_when_environ_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMEZONE", "Asia/Makassar")
    assert load_settings({}).timezone == "Asia/Jakarta"


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"TIMEZONE": "Mars/Base"}, "TIMEZONE"),
        ({"ADMIN_TELEGRAM_IDS": "12,abc"}, "ADMIN_TELEGRAM_IDS"),
        ({"TELEGRAM_API_URL": "ftp://x"}, "TELEGRAM_API_URL"),
        ({"REMINDER_MINUTES": "soon"}, "REMINDER_MINUTES"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ],
)
def test_bad_setting_is_named(env: dict[str, str], name: str) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(env)
    assert str(err.value).startswith(f"setting {name} is invalid")
    assert "\n" not in str(err.value)


def test_token_is_secret() -> None:
    s = load_settings({"TELEGRAM_BOT_TOKEN": "123:SECRET"})
    assert "SECRET" not in repr(s)
    assert s.telegram_enabled


def test_database_urls_of_sqlite_and_postgresql_only() -> None:
    assert load_settings({"DATABASE_URL": "sqlite:///x.db"}).database_url == \
        "sqlite+aiosqlite:///x.db"
    assert load_settings({"DATABASE_URL": "postgresql://u:p@h/db"}).database_url == \
        "postgresql+asyncpg://u:p@h/db"
    for url in ("mysql://root:hunter2secret@db/bot", "root:hunter2secret@db/bot",
                "postgresql://root:hunter2secret@db:port/bot"):
        with pytest.raises(SettingsError) as err:
            load_settings({"DATABASE_URL": url})
        message = str(err.value)
        assert message.startswith("setting DATABASE_URL is invalid: ")
        assert "hunter2secret" not in message and "sqlite+aiosqlite:///PATH" in message
    with pytest.raises(SettingsError, match="unsupported database 'mysql'"):
        load_settings({"DATABASE_URL": "mysql://x@y/z"})
