"""Splitting webhook bodies into inbox items, and the settings the HTTP server needs."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings
from bot.whatsapp.inbox import split_messages
from bot.whatsapp.webhook import parse_webhook
from tests.fakes.whatsapp_webhook import envelope, status_body, text_body

PHONE = "1122334455667"


def test_each_message_becomes_one_item_with_its_own_contact() -> None:
    body = envelope({
        "contacts": [{"profile": {"name": "Siti"}, "wa_id": "6281111111111"},
                     {"profile": {"name": "Budi"}, "wa_id": "6282222222222"}],
        "messages": [
            {"from": "6281111111111", "id": "wamid.A", "timestamp": "1", "type": "text",
             "text": {"body": "menu"}},
            {"from": "6282222222222", "id": "wamid.B", "timestamp": "1", "type": "text",
             "text": {"body": "jadwal"}},
            {"from": "6282222222222", "id": "wamid.C", "timestamp": "1", "type": "reaction",
             "reaction": {"message_id": "wamid.X", "emoji": "👍"}},
        ],
    })
    items = split_messages(body, phone_number_id=PHONE)
    assert [(i.wamid, i.wa_id) for i in items] == [("wamid.A", "6281111111111"),
                                                   ("wamid.B", "6282222222222")]
    [incoming] = parse_webhook(items[1].body).incoming
    assert (incoming.text, incoming.display_name) == ("jadwal", "Budi")


def test_statuses_other_numbers_and_other_objects_are_not_stored() -> None:
    assert split_messages(status_body("wamid.OUT", "628111", "read"), phone_number_id=PHONE) == []
    other = text_body("6281111111111", "menu", phone_number_id="999")
    assert split_messages(other, phone_number_id=PHONE) == []
    assert split_messages({"object": "page", "entry": []}, phone_number_id=PHONE) == []


def test_a_telegram_webhook_url_needs_its_secret_and_https() -> None:
    with pytest.raises(SettingsError, match="TELEGRAM_WEBHOOK_SECRET is invalid: required"):
        load_settings({"TELEGRAM_WEBHOOK_URL": "https://bot.example.go.id/telegram/webhook"})
    with pytest.raises(SettingsError, match=r"TELEGRAM_WEBHOOK_URL is invalid: .*https://"):
        load_settings({"TELEGRAM_WEBHOOK_URL": "http://bot.example.go.id/telegram/webhook",
                       "TELEGRAM_WEBHOOK_SECRET": "abc"})
    with pytest.raises(SettingsError, match="TELEGRAM_WEBHOOK_SECRET is invalid: use"):
        load_settings({"TELEGRAM_WEBHOOK_URL": "https://bot.example.go.id/telegram/webhook",
                       "TELEGRAM_WEBHOOK_SECRET": "has spaces!"})
    ok = load_settings({"TELEGRAM_WEBHOOK_URL": "https://bot.example.go.id/telegram/webhook",
                        "TELEGRAM_WEBHOOK_SECRET": "s3cret_-X"})
    assert ok.telegram_webhook_secret is not None


def test_partly_configured_whatsapp_is_reported_by_name() -> None:
    settings = load_settings({"WHATSAPP_ACCESS_TOKEN": "t", "WHATSAPP_PHONE_NUMBER_ID": "123"})
    assert settings.whatsapp_partly_configured
    assert settings.whatsapp_missing() == ["WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"]
    assert not load_settings({}).whatsapp_partly_configured
