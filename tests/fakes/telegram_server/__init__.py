"""A fake Telegram Bot API server on 127.0.0.1 (real HTTP and JSON) for tests and benches."""

from __future__ import annotations

from tests.fakes.telegram_server.constants import FAKE_TOKEN
from tests.fakes.telegram_server.entities import parse_html
from tests.fakes.telegram_server.errors import ApiError
from tests.fakes.telegram_server.fake import FakeTelegram
from tests.fakes.telegram_server.process import main
from tests.fakes.telegram_server.records import SentCall, StoredFile, UploadedFile

__all__ = [
    "FAKE_TOKEN",
    "ApiError",
    "FakeTelegram",
    "SentCall",
    "StoredFile",
    "UploadedFile",
    "main",
    "parse_html",
]
