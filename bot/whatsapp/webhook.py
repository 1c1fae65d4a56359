"""Check and parse WhatsApp Cloud API webhooks into neutral events (pure functions)."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple

from bot.whatsapp.errors import GraphError
from core.types import Attachment, Incoming

__all__ = [
    "SIGNATURE_HEADER",
    "NumberChange",
    "StatusError",
    "StatusEvent",
    "Unsupported",
    "WebhookEvents",
    "parse_webhook",
    "verify_handshake",
    "verify_signature",
]

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"

Status = Literal["sent", "delivered", "read", "failed"]
_STATUSES: dict[str, Status] = {s: s for s in ("sent", "delivered", "read", "failed")}
# Things a person sent that the bot cannot read: the core answers them politely.
_UNSUPPORTED_TYPES = frozenset(
    {"sticker", "location", "contacts", "order", "audio", "video", "unsupported", "interactive"}
)


def verify_signature(app_secret: str | bytes, raw_body: bytes, header: str | None) -> bool:
    """Whether `header` (X-Hub-Signature-256: "sha256=<hex>") signs `raw_body` with the secret."""
    secret = app_secret.encode() if isinstance(app_secret, str) else app_secret
    if not secret or not header:
        return False
    prefix, _, given = header.strip().partition("=")
    if prefix.lower() != "sha256" or not given:
        return False
    expected = hmac.new(secret, raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given.lower())


def verify_handshake(params: Mapping[str, str], verify_token: str) -> str | None:
    """Return `hub.challenge` if this GET is Meta's subscription handshake with our token."""
    if not verify_token or params.get("hub.mode") != "subscribe":
        return None
    given = params.get("hub.verify_token", "")
    if not hmac.compare_digest(given.encode(), verify_token.encode()):
        return None
    return params.get("hub.challenge")


@dataclass(frozen=True)
class StatusError:
    """One error Meta attached to a `failed` status."""

    code: int | None
    title: str = ""
    details: str = ""

    def graph_error(self) -> GraphError:
        """This error as a `GraphError`, ready for `bot.whatsapp.errors.map_error`."""
        return GraphError(http_status=0, code=self.code, message=self.title, details=self.details)


@dataclass(frozen=True)
class StatusEvent:
    """What happened to a message the bot sent."""

    wamid: str
    recipient: str
    status: Status
    timestamp: datetime
    errors: tuple[StatusError, ...] = ()


class Unsupported(NamedTuple):
    """A message of a kind the bot does not handle (sticker, location, voice…)."""

    wa_id: str
    wamid: str
    type: str


@dataclass(frozen=True)
class NumberChange:
    """A person moved their WhatsApp account to a new number (system message)."""

    old_wa_id: str
    new_wa_id: str
    wamid: str


@dataclass
class WebhookEvents:
    """Everything one webhook body carried, sorted by what the bot does with it."""

    incoming: list[Incoming] = field(default_factory=list)
    unsupported: list[Unsupported] = field(default_factory=list)
    statuses: list[StatusEvent] = field(default_factory=list)
    number_changes: list[NumberChange] = field(default_factory=list)
    # Why the rest was skipped: "field:account_update", "message:reaction", "status:played"…
    ignored: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        """How many items were classified, skipped ones included."""
        return (
            len(self.incoming)
            + len(self.unsupported)
            + len(self.statuses)
            + len(self.number_changes)
            + sum(self.ignored.values())
        )


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def parse_webhook(body: Mapping[str, Any], *, phone_number_id: str | None = None) -> WebhookEvents:
    """Sort a webhook body into neutral incoming messages, statuses and skipped items.

    Never raises on a well-formed JSON object: anything unexpected is counted in
    `ignored` (as "malformed" when it is broken), so one odd item cannot make Meta
    re-deliver a whole batch. With `phone_number_id`, changes addressed to another
    business number are skipped ("other_number").
    """
    events = WebhookEvents()
    if body.get("object") != "whatsapp_business_account":
        events.ignored[f"object:{body.get('object')}"] += 1
        return events
    for entry in _list(body.get("entry")):
        for change in _list(_map(entry).get("changes")):
            change = _map(change)
            value = _map(change.get("value"))
            if change.get("field") != "messages":
                events.ignored[f"field:{change.get('field')}"] += 1
                continue
            metadata = _map(value.get("metadata"))
            if phone_number_id and str(metadata.get("phone_number_id")) != phone_number_id:
                events.ignored["other_number"] += len(_list(value.get("messages"))) + len(
                    _list(value.get("statuses"))
                )
                continue
            names = {
                str(c.get("wa_id")): str(_map(c.get("profile")).get("name") or "")
                for c in map(_map, _list(value.get("contacts")))
            }
            for message in _list(value.get("messages")):
                try:
                    _message(events, _map(message), names)
                except (KeyError, TypeError, ValueError):
                    log.warning("malformed WhatsApp message in webhook skipped")
                    events.ignored["malformed"] += 1
            for status in _list(value.get("statuses")):
                try:
                    _status(events, _map(status))
                except (KeyError, TypeError, ValueError, OverflowError):
                    log.warning("malformed WhatsApp status in webhook skipped")
                    events.ignored["malformed"] += 1
            if not value.get("messages") and not value.get("statuses"):
                events.ignored["empty"] += 1
    return events


def _message(events: WebhookEvents, msg: Mapping[str, Any], names: Mapping[str, str]) -> None:
    wa_id = str(msg["from"])
    wamid = str(msg["id"])
    kind = str(msg.get("type", ""))
    context = _map(msg.get("context"))
    base: dict[str, Any] = {
        "channel": "whatsapp",
        "user_id": wa_id,
        "chat_id": wa_id,
        "display_name": names.get(wa_id, ""),
        "message_id": wamid,
        "reply_to_message_id": str(context["id"]) if context.get("id") else None,
    }
    if kind == "text":
        events.incoming.append(Incoming(**base, text=str(msg["text"]["body"])))
        return
    if kind == "button":  # a quick-reply button of a template
        button = msg["button"]
        events.incoming.append(
            Incoming(
                **base,
                text=str(button.get("text") or "") or None,
                callback=str(button["payload"]),
                callback_id=wamid,
            )
        )
        return
    if kind == "interactive" and isinstance(msg.get("interactive"), Mapping):
        interactive = msg["interactive"]
        sub = str(interactive.get("type", ""))
        if sub in ("button_reply", "list_reply"):
            choice = interactive[sub]
            events.incoming.append(
                Incoming(**base, callback=str(choice["id"]), callback_id=wamid)
            )
        else:  # flow replies and call permissions: the bot never asks for them
            events.ignored[f"message:interactive.{sub}"] += 1
        return
    if kind in ("document", "image"):
        media = msg[kind]
        attachment = Attachment(
            filename=str(media.get("filename") or ""),
            mime_type=media.get("mime_type"),
            file_id=str(media["id"]),
        )
        caption = str(media.get("caption") or "") or None
        if kind == "document":
            events.incoming.append(Incoming(**base, text=caption, document=attachment))
        else:
            events.incoming.append(Incoming(**base, text=caption, photo=attachment))
        return
    if kind == "system":
        system = _map(msg.get("system"))
        if system.get("type") == "user_changed_number" and system.get("wa_id"):
            events.number_changes.append(NumberChange(wa_id, str(system["wa_id"]), wamid))
        else:
            events.ignored[f"message:system.{system.get('type')}"] += 1
        return
    if kind in _UNSUPPORTED_TYPES:
        events.unsupported.append(Unsupported(wa_id, wamid, kind))
        return
    # reaction, revoke (deleted), edit and any new type: nothing to answer.
    events.ignored[f"message:{kind}"] += 1


def _status(events: WebhookEvents, status: Mapping[str, Any]) -> None:
    name = str(status["status"])
    if name not in _STATUSES:  # "played" (voice notes), call states…
        events.ignored[f"status:{name}"] += 1
        return
    errors = tuple(
        StatusError(
            code=int(e["code"]) if e.get("code") is not None else None,
            title=str(e.get("title") or e.get("message") or ""),
            details=str(_map(e.get("error_data")).get("details") or ""),
        )
        for e in map(_map, _list(status.get("errors")))
    )
    events.statuses.append(
        StatusEvent(
            wamid=str(status["id"]),
            recipient=str(status["recipient_id"]),
            status=_STATUSES[name],
            timestamp=datetime.fromtimestamp(int(status["timestamp"]), UTC),
            errors=errors,
        )
    )
