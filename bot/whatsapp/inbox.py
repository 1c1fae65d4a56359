"""Split webhook bodies into one stored message each (worked through by `bot.inbox`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bot.whatsapp.webhook import parse_webhook
from db.inbox import InboxItem

__all__ = ["KEEP_FOR", "split_messages"]

# Meta re-delivers a webhook for up to 7 days: keep the wamids a little longer.
KEEP_FOR = timedelta(days=8)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def split_messages(body: Mapping[str, Any], *, phone_number_id: str | None) -> list[InboxItem]:
    """One inbox item per message a person sent: a webhook body holding only that message
    (and its sender's contact), keyed by its wamid.

    Statuses, reactions, edits and account events are not stored: they need no answer.
    """
    if body.get("object") != "whatsapp_business_account":
        return []
    items: list[InboxItem] = []
    for entry in map(_map, _list(body.get("entry"))):
        for change in map(_map, _list(entry.get("changes"))):
            value = _map(change.get("value"))
            if change.get("field") != "messages":
                continue
            metadata = _map(value.get("metadata"))
            if phone_number_id and str(metadata.get("phone_number_id")) != phone_number_id:
                continue
            for msg in map(_map, _list(value.get("messages"))):
                wamid, sender = msg.get("id"), msg.get("from")
                if not isinstance(wamid, str) or not wamid or sender is None:
                    continue
                contacts = [c for c in map(_map, _list(value.get("contacts")))
                            if str(c.get("wa_id")) == str(sender)]
                single: dict[str, Any] = {
                    "object": "whatsapp_business_account",
                    "entry": [{"id": entry.get("id"), "changes": [{
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": dict(metadata),
                            "contacts": [dict(c) for c in contacts],
                            "messages": [dict(msg)],
                        },
                    }]}],
                }
                events = parse_webhook(single)
                if events.incoming or events.unsupported or events.number_changes:
                    items.append(InboxItem(wamid[:128], str(sender)[:32], single))
    return items
