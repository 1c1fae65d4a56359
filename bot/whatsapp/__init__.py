"""The WhatsApp channel: Cloud API client, reply rendering, webhook parsing."""

from __future__ import annotations

from bot.whatsapp.client import DEFAULT_API_URL, WhatsAppClient
from bot.whatsapp.errors import GraphError, PairRateLimited, map_error
from bot.whatsapp.numbers import normalize_number
from bot.whatsapp.render import render
from bot.whatsapp.sender import TemplateFallback, TemplateMessage, WhatsAppSender
from bot.whatsapp.webhook import (
    NumberChange,
    StatusError,
    StatusEvent,
    Unsupported,
    WebhookEvents,
    parse_webhook,
    verify_handshake,
    verify_signature,
)

__all__ = [
    "DEFAULT_API_URL",
    "GraphError",
    "NumberChange",
    "PairRateLimited",
    "StatusError",
    "StatusEvent",
    "TemplateFallback",
    "TemplateMessage",
    "Unsupported",
    "WebhookEvents",
    "WhatsAppClient",
    "WhatsAppSender",
    "map_error",
    "normalize_number",
    "parse_webhook",
    "render",
    "verify_handshake",
    "verify_signature",
]
