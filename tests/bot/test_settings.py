"""Settings from flat environment names; a bad one is named in one line."""

from __future__ import annotations

from datetime import time
from pathlib import Path

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


def test_certificate_settings(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    s = load_settings({"PUBLIC_URL": "https://dn.example.go.id/", "CERT_LOGO": str(logo),
                       "CERT_DELAY": "30", "CERT_SIGNATURE": ""})
    assert (s.public_url, s.cert_logo, s.cert_signature, s.cert_delay) == (
        "https://dn.example.go.id", logo, None, 30)
    assert load_settings({}).public_url is None  # no certificates until it is set
    for env, message in (
        ({"PUBLIC_URL": "http://dn.example.go.id"}, "setting PUBLIC_URL is invalid: must be "
         "an https:// URL (people open it from a QR code)"),
        ({"CERT_LOGO": str(tmp_path / "none.png")}, "setting CERT_LOGO is invalid: cannot "
         f"read the image '{tmp_path / 'none.png'}'"),
        ({"CERT_BACKGROUND": str(tmp_path)}, "setting CERT_BACKGROUND is invalid: cannot "
         f"read the image '{tmp_path}'"),
        ({"CERT_DELAY": "-1"}, "setting CERT_DELAY is invalid"),
    ):
        with pytest.raises(SettingsError) as refused:
            load_settings(env)
        assert str(refused.value).startswith(message), str(refused.value)
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(SettingsError, match="is not a PNG or JPEG image"):
        load_settings({"CERT_SIGNATURE": str(tmp_path / "text.png")})
