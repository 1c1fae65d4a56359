"""Edits of a pressed message (the confirmation turned into the evaluation, the quiz's next
question) go through the outbox, not the receive path.

A Telegram edit is a Bot API call paced with every send (about 30 a second for the whole bot);
made while handling a press, a webinar's peak of presses would queue behind its own edits and
answer slowly. So the press is answered at once with its toast, and the edit is an outbox row
(`Reply.edit_message_id`, highest priority), delivered paced like everything else; durable, and
once per content (idempotent key). Channels that cannot edit get the whole reply as before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.channels import Channels
from core.outbox import Priority, dialect_insert, mark_enqueued, payload_body
from core.types import Incoming, Reply
from db.models import OutboxMessage, OutboxPayload
from handlers.router import Context

__all__ = ["Edit", "in_place", "pending_edit", "queue_edits", "toast"]


@dataclass(frozen=True)
class Edit:
    """Replace the text and buttons of a message the bot sent (by its platform id); without
    the id (a press whose message the platform did not say), send it as a new message."""

    person_id: int
    channel: str
    chat_id: str
    message_id: str | None
    reply: Reply


def pending_edit(
    channels: Channels, incoming: Incoming, person_id: int, reply: Reply
) -> Edit | None:
    """The edit to queue for a reply to a press (None: the reply goes as it is)."""
    info = channels.get(incoming.channel)
    if (not reply.edit or incoming.callback is None or info is None or not info.can_edit
            or not info.has_toasts or reply.document or reply.photo):
        return None
    return Edit(person_id, incoming.channel, incoming.chat_id, incoming.message_id, reply)


def toast(reply: Reply) -> Reply:
    """What answers the press at once: the reply's notice (its text for other channels)."""
    return Reply(reply.text, notice=reply.notice or "✅", notice_only=True, alert=reply.alert)


async def in_place(ctx: Context, reply: Reply) -> Reply:
    """Answer a press with `reply` (edit=True): the edit queued, the toast returned."""
    edit = pending_edit(ctx.deps.channels, ctx.incoming, ctx.person.id, reply)
    if edit is None:
        return reply
    await queue_edits(ctx.db, [edit], ctx.now)
    return toast(reply)


def _body(edit: Edit) -> dict[str, object]:
    message = Reply(edit.reply.text, buttons=edit.reply.buttons,
                    edit_message_id=edit.message_id)  # None: a new message
    return payload_body(message)


def _digest(body: dict[str, object]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def queue_edits(db: AsyncSession, edits: Sequence[Edit], now: datetime) -> None:
    """Write the edits to the outbox in three statements, whatever their number (the press
    batch calls this for a whole batch). Each statement is executed with many parameter sets,
    so it is compiled once and cached whatever the size of the batch."""
    if not edits:
        return
    digests = []
    bodies: dict[str, dict[str, object]] = {}
    for edit in edits:
        body = _body(edit)
        digest = _digest(body)
        digests.append(digest)
        bodies[digest] = body
    await db.execute(
        dialect_insert(db, OutboxPayload).on_conflict_do_nothing(index_elements=["digest"]),
        [{"digest": d, "body": b, "created_at": now} for d, b in bodies.items()])
    ids = dict((await db.execute(select(OutboxPayload.digest, OutboxPayload.id).where(
        OutboxPayload.digest.in_(list(bodies))))).all())
    rows = [{
        "idem_key": f"edit:{edit.channel}:{edit.chat_id}:{edit.message_id or '-'}:{digest[:16]}",
        "person_id": edit.person_id, "channel": edit.channel, "chat_id": edit.chat_id,
        "kind": "reply", "priority": Priority.REPLY, "payload_id": ids[digest],
        "status": "pending", "attempts": 0, "not_before": now, "created_at": now,
    } for edit, digest in zip(edits, digests, strict=True)]
    await db.execute(
        dialect_insert(db, OutboxMessage).on_conflict_do_nothing(index_elements=["idem_key"]),
        rows)
    mark_enqueued(db)
