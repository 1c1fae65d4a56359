"""Phone number normalisation and the WhatsApp settings."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings
from bot.whatsapp.numbers import normalize_number


@pytest.mark.parametrize(
    "raw",
    ["6281234567890", "+6281234567890", "+62 812-3456-7890", "0812 3456 7890", "0812.3456.7890",
     "006281234567890", "(0812) 3456-7890"],
)
def test_indonesian_forms_normalise_to_international_digits(raw: str) -> None:
    assert normalize_number(raw) == "6281234567890"


def test_other_countries_keep_their_code() -> None:
    assert normalize_number("+81 90-1234-5678") == "819012345678"
    assert normalize_number("972987654321") == "972987654321"


@pytest.mark.parametrize(
    "raw", ["", "abc", "+62 812 34x", "81234567890", "0", "+1234", "62" + "1" * 20, "+0812345678"]
)
def test_malformed_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_number(raw)


def test_whatsapp_settings_defaults() -> None:
    s = load_settings({})
    assert s.whatsapp_api_url == "https://graph.facebook.com/v23.0"
    assert s.whatsapp_template_language == "id"
    assert (s.whatsapp_rate, s.whatsapp_pair_interval) == (80.0, 6.0)
    assert (s.http_host, s.http_port) == ("0.0.0.0", 8080)
    assert s.admin_whatsapp_numbers == []
    assert not s.whatsapp_enabled
    assert s.whatsapp_missing() == [
        "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_APP_SECRET",
        "WHATSAPP_VERIFY_TOKEN",
    ]


def test_whatsapp_settings_from_environment() -> None:
    s = load_settings(
        {
            "WHATSAPP_ACCESS_TOKEN": "EAAG-secret",
            "WHATSAPP_PHONE_NUMBER_ID": "1122334455667",
            "WHATSAPP_APP_SECRET": "app-secret",
            "WHATSAPP_VERIFY_TOKEN": "kopi",
            "WHATSAPP_API_URL": "http://127.0.0.1:8999/v23.0/",
            "ADMIN_WHATSAPP_NUMBERS": "+62 812-3456-7890, 081298765432",
            "WHATSAPP_TEMPLATE_MENU": "menu_pagi",
            "WHATSAPP_RATE": "20",
            "HTTP_PORT": "9000",
        }
    )
    assert s.whatsapp_enabled and s.whatsapp_missing() == []
    assert s.whatsapp_api_url == "http://127.0.0.1:8999/v23.0"
    assert s.admin_whatsapp_numbers == ["6281234567890", "6281298765432"]
    assert s.whatsapp_template_menu == "menu_pagi"
    assert (s.whatsapp_rate, s.http_port) == (20.0, 9000)
    assert "EAAG-secret" not in repr(s) and "app-secret" not in repr(s)


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"ADMIN_WHATSAPP_NUMBERS": "0812345678901,abc"}, "ADMIN_WHATSAPP_NUMBERS"),
        ({"WHATSAPP_API_URL": "graph.facebook.com"}, "WHATSAPP_API_URL"),
        ({"WHATSAPP_TEMPLATE_REMINDER": "Pengingat Sesi"}, "WHATSAPP_TEMPLATE_REMINDER"),
        ({"WHATSAPP_TEMPLATE_LANGUAGE": "indonesian"}, "WHATSAPP_TEMPLATE_LANGUAGE"),
        ({"WHATSAPP_PHONE_NUMBER_ID": "+62812"}, "WHATSAPP_PHONE_NUMBER_ID"),
        ({"WHATSAPP_RATE": "0"}, "WHATSAPP_RATE"),
        ({"HTTP_PORT": "70000"}, "HTTP_PORT"),
    ],
)
def test_bad_whatsapp_settings_name_the_setting(env: dict[str, str], name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings(env)
