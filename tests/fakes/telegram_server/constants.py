"""Names and shared texts of the Bot API the fake emulates: the token format and method names."""

from __future__ import annotations

import re

FAKE_TOKEN = "123456789:AAFakeTokenForTestsAndBenchmarks0000"
"""Token of the standalone server unless --token says otherwise (the bot id is 123456789)."""

TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]{20,}")

# Bot API method names are case-insensitive; calls are recorded under the canonical spelling.
METHODS = (
    "getMe",
    "getUpdates",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "editMessageCaption",
    "deleteMessage",
    "answerCallbackQuery",
    "sendDocument",
    "sendPhoto",
    "sendChatAction",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "deleteWebhook",
    "setWebhook",
    "getWebhookInfo",
    "getFile",
    "close",
    "logOut",
)
CANONICAL = {name.lower(): name for name in METHODS}
SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
"""Methods that create a new message in a chat (what `messages_to` and `next_message` return)."""
LIMITED_METHODS = SEND_METHODS | {
    "editMessageText",
    "editMessageReplyMarkup",
    "editMessageCaption",
}
"""Methods the optional rate limiter counts: the ones that put a message in front of a person."""

CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
