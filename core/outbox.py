"""Write messages to the outbox: idempotent by key, one row per recipient, bulk in batches."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Select, event, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import Integer, SmallInteger, String

from core.types import Reply, TemplateRef
from db.base import UTCDateTime
from db.engine import Sessions, rows_touched, session_class
from db.models.outbox import OutboxMessage, OutboxPayload
from db.models.people import Person

__all__ = [
    "BULK_PRIORITY",
    "KIND_PRIORITY",
    "PRIORITIES",
    "OutboxBell",
    "Priority",
    "Ref",
    "dialect_insert",
    "enqueue",
    "enqueue_audience",
    "mark_enqueued",
    "payload_body",
    "store_payload",
]

log = logging.getLogger(__name__)


class Priority:
    """Priority levels, most urgent first; the dispatcher claims level by level."""

    REPLY: Final = 0  # answers to people (an admin's answer to a question, ...)
    URGENT: Final = 10  # reminders, attendance prompts, notices of a changed session
    MENU: Final = 20  # the morning menu
    ANNOUNCEMENT: Final = 30  # admin broadcasts: keep a reserved share of the rate


PRIORITIES: Final = (Priority.REPLY, Priority.URGENT, Priority.MENU, Priority.ANNOUNCEMENT)
# Rows at this priority or above are "bulk": they get a reserved share of each channel's
# rate while urgent rows wait, and never more than their share while urgent rows wait.
BULK_PRIORITY: Final = Priority.ANNOUNCEMENT

KIND_PRIORITY: Final[Mapping[str, int]] = {
    "reply": Priority.REPLY,
    "reminder": Priority.URGENT,
    "attendance": Priority.URGENT,
    "notice": Priority.URGENT,
    "menu": Priority.MENU,
    # A webinar's certificates (thousands at once) go after prompts and notices.
    "certificate": Priority.MENU,
    "announcement": Priority.ANNOUNCEMENT,
    # Review questions of the micro-quiz: low priority, after the morning menu.
    "review": Priority.ANNOUNCEMENT,
}


@dataclass(frozen=True)
class Ref:
    """What a row belongs to (an announcement, a session), to count progress and find
    who was told what."""

    type: str
    id: int


# --- in-process wake-up -------------------------------------------------------------


class OutboxBell:
    """Rings in this process after a commit that enqueued rows, so a worker looks at once
    (other processes find the rows by polling). It listens on one session factory; the
    flag rides on the session, so a worker never looks before the rows are visible."""

    def __init__(self, sessions: Sessions) -> None:
        self._listeners: list[Callable[[], None]] = []
        self._session_class = session_class(sessions)
        event.listen(self._session_class, "after_commit", self._after_commit)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(_FLAG, False):
            for listener in list(self._listeners):
                listener()

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every commit that enqueued rows."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[], None]) -> None:
        """Stop calling `listener`."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def close(self) -> None:
        """Stop listening on the session factory."""
        event.remove(self._session_class, "after_commit", self._after_commit)


_FLAG = "outbox.enqueued"


def _mark(session: AsyncSession) -> None:
    session.info[_FLAG] = True


def mark_enqueued(session: AsyncSession) -> None:
    """Ring the bell after this session commits: for rows written without `enqueue` (a bulk
    insert of rows that each have their own payload)."""
    _mark(session)


# --- payloads ------------------------------------------------------------------------


def payload_body(reply: Reply, template: TemplateRef | None = None) -> dict[str, Any]:
    """The stored form of a reply, with the template that carries it where free-form text
    is not allowed (if not already in `reply.template`)."""
    if template is not None:
        reply = replace(reply, template=template)
    return reply.to_dict()


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """The dialect's INSERT (for ON CONFLICT DO NOTHING)."""
    bind = session.get_bind()
    name = bind.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"the outbox needs SQLite or PostgreSQL, not {name}")


async def store_payload(session: AsyncSession, body: Mapping[str, Any], *, now: datetime) -> int:
    """Store a message body once (content-addressed) and return its id."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    found = await session.scalar(select(OutboxPayload.id).where(OutboxPayload.digest == digest))
    if found is not None:
        return found
    stmt = (
        dialect_insert(session, OutboxPayload)
        .values(digest=digest, body=dict(body), created_at=now)
        .on_conflict_do_nothing(index_elements=["digest"])
    )
    await session.execute(stmt)
    pid = await session.scalar(select(OutboxPayload.id).where(OutboxPayload.digest == digest))
    assert pid is not None
    return pid


# --- one message ---------------------------------------------------------------------


def _priority(kind: str, priority: int | None) -> int:
    value = KIND_PRIORITY.get(kind, Priority.URGENT) if priority is None else priority
    if value not in PRIORITIES:
        raise ValueError(f"priority must be one of {PRIORITIES}, not {value}")
    return value


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    person_id: int | None,
    channel: str,
    chat_id: str,
    kind: str,
    reply: Reply,
    now: datetime,
    priority: int | None = None,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
    ref: Ref | None = None,
    template: TemplateRef | None = None,
) -> int | None:
    """Write one message to the outbox in the caller's transaction.

    Idempotent: a second call with the same `key` does nothing and returns None;
    otherwise returns the new row's id. `priority` defaults from `kind`
    (see KIND_PRIORITY); `not_before` defaults to `now`; a row still pending at
    `expires_at` is skipped instead of sent.
    """
    payload_id = await store_payload(session, payload_body(reply, template), now=now)
    stmt = (
        dialect_insert(session, OutboxMessage)
        .values(
            idem_key=key,
            person_id=person_id,
            channel=channel,
            chat_id=chat_id,
            kind=kind,
            priority=_priority(kind, priority),
            payload_id=payload_id,
            status="pending",
            attempts=0,
            not_before=not_before or now,
            expires_at=expires_at,
            ref_type=ref.type if ref else None,
            ref_id=ref.id if ref else None,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["idem_key"])
        .returning(OutboxMessage.id)
    )
    new_id = (await session.execute(stmt)).scalar_one_or_none()
    if new_id is not None:
        _mark(session)
    return new_id


# --- many messages -------------------------------------------------------------------


async def enqueue_audience(
    sessions: Sessions,
    *,
    audience: Select[int, str, str],
    key_prefix: str,
    kind: str,
    payload_id: int,
    now: datetime,
    priority: int | None = None,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
    ref: Ref | None = None,
    batch_size: int = 5000,
) -> int:
    """Write one row per recipient of `audience`, streaming it in batches of people.

    `audience` selects exactly three columns: person id, channel, chat id (see
    `schedules.audience.recipients`), and must select FROM people. Each batch is one
    INSERT ... SELECT over a range of person ids, committed on its own (so a
    million recipients never sit in memory, and the database lock is held briefly).
    The key of a row is `key_prefix` + person id; rows whose key exists are left alone.
    Returns how many rows were added.
    """
    prio = _priority(kind, priority)
    cols = list(audience.selected_columns)
    if len(cols) != 3:
        raise ValueError("audience must select (person_id, channel, chat_id)")
    person_col, channel_col, chat_col = cols
    added = 0
    last = 0
    while True:
        async with sessions() as s, s.begin():
            upper = await s.scalar(
                select(Person.id).where(Person.id > last).order_by(Person.id)
                .offset(batch_size - 1).limit(1)
            )
            window: ColumnElement[bool] = Person.id > last
            if upper is not None:
                window = window & (Person.id <= upper)
            src = audience.where(window).with_only_columns(
                literal(key_prefix, String()) + func.cast(person_col, String()),
                person_col,
                channel_col,
                chat_col,
                literal(kind, String()),
                literal(prio, SmallInteger()),
                literal(payload_id, Integer()),
                literal("pending", String()),
                literal(0, Integer()),
                literal(not_before or now, UTCDateTime()),
                literal(expires_at, UTCDateTime()),
                literal(ref.type if ref else None, String()),
                literal(ref.id if ref else None, Integer()),
                literal(now, UTCDateTime()),
                maintain_column_froms=True,
            )
            stmt = (
                dialect_insert(s, OutboxMessage)
                .from_select(
                    [
                        "idem_key", "person_id", "channel", "chat_id", "kind", "priority",
                        "payload_id", "status", "attempts", "not_before", "expires_at",
                        "ref_type", "ref_id", "created_at",
                    ],
                    src,
                )
                .on_conflict_do_nothing(index_elements=["idem_key"])
            )
            result = await s.execute(stmt)
            count = rows_touched(result)
            added += count
            if count:
                _mark(s)
        if upper is None:
            break
        last = upper
    log.info("enqueued %d %s rows (%s...)", added, kind, key_prefix)
    return added

