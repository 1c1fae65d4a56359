"""Claims on a stored inbox (Telegram updates, WhatsApp messages): per chat, in order.

Every process may store what it receives; any process may then work through the store.
A chat's open rows are claimed together by one process and a chat is claimed only through
its oldest open row, so while one process holds a chat no other takes any of its rows, and
a chat's messages are handled in the order they arrived. On PostgreSQL the claim skips rows
another process is claiming at the same moment (`FOR UPDATE SKIP LOCKED`); on SQLite one
writer at a time makes the single UPDATE statement atomic.

A row is `pending` (stored), `handled` (the core's effects are committed and the replies
to send are kept), then `done` or `failed`. The claim of a process that died returns as
soon as its heartbeat is stale, or when its lease runs out.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    delete,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import rows_touched
from db.heartbeats import STALE_AFTER
from db.models import InboxMessage, ProcessHeartbeat, TelegramUpdate

__all__ = [
    "OPEN",
    "TELEGRAM",
    "WHATSAPP",
    "ClaimedMessage",
    "InboxTable",
    "claim_chats",
    "counts",
    "finish",
    "mark_handled",
    "purge",
    "reclaim_dead",
    "release",
    "renew",
]

OPEN = ("pending", "handled")


@dataclass(frozen=True)
class InboxTable:
    """A stored-inbox table: its arrival-order key and the column naming the chat."""

    table: Table
    key: str
    chat: str

    def key_col(self, table: Any = None) -> Any:
        """The key column (of `table`, an alias, if given)."""
        return (table if table is not None else self.table).c[self.key]

    def chat_col(self, table: Any = None) -> Any:
        """The chat column (of `table`, an alias, if given)."""
        return (table if table is not None else self.table).c[self.chat]


TELEGRAM = InboxTable(TelegramUpdate.__table__, "update_id", "chat_key")  # type: ignore[arg-type]
WHATSAPP = InboxTable(InboxMessage.__table__, "id", "wa_id")  # type: ignore[arg-type]


@dataclass(frozen=True)
class ClaimedMessage:
    """A stored message a process now holds."""

    key: int
    chat: str
    status: str  # pending, or handled (its replies are to be sent again)
    body: dict[str, Any]
    replies: list[dict[str, Any]] | None
    attempts: int
    received_at: datetime | None = None  # when it was stored


def _heads(spec: InboxTable, limit: int, postgres: bool) -> Any:
    """The chats whose oldest open row is free: up to `limit`, oldest first."""
    c = spec.table.alias("c")
    o = spec.table.alias("o")
    older_open = select(literal(1)).where(
        spec.chat_col(o) == spec.chat_col(c), o.c.status.in_(OPEN),
        spec.key_col(o) < spec.key_col(c),
    ).exists()
    heads = (
        select(spec.chat_col(c).label("chat"))
        .where(c.c.status.in_(OPEN), c.c.claimed_by.is_(None), ~older_open)
        .order_by(spec.key_col(c))
        .limit(limit)
    )
    if postgres:
        # Materialised, so that SKIP LOCKED picks each head once (as a plain subquery
        # PostgreSQL may run it again and find other rows).
        return heads.with_for_update(skip_locked=True, of=c).cte("heads").prefix_with(
            "MATERIALIZED")
    return heads.subquery("heads")


async def claim_chats(
    db: AsyncSession, spec: InboxTable, *, worker: str, now: datetime, lease: timedelta,
    chats: int, max_attempts: int,
) -> list[ClaimedMessage]:
    """Claim every open row of up to `chats` free chats for `worker`, in arrival order.

    A row claimed `max_attempts` times without being finished (it may be what kills the
    process, or what keeps failing) is given up as failed first.
    """
    t = spec.table
    await db.execute(
        update(t)
        .where(t.c.status.in_(OPEN), t.c.claimed_by.is_(None), t.c.attempts >= max_attempts)
        .values(status="failed", error=f"gave up after {max_attempts} attempts",
                processed_at=now, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    heads = _heads(spec, chats, db.get_bind().dialect.name == "postgresql")
    stmt = (
        update(t)
        .where(t.c.status.in_(OPEN), t.c.claimed_by.is_(None),
               spec.chat_col().in_(select(heads.c.chat)))
        .values(claimed_by=worker, lease_until=now + lease, attempts=t.c.attempts + 1)
        .returning(spec.key_col(), spec.chat_col(), t.c.status, t.c.body, t.c.replies,
                   t.c.attempts, t.c.received_at)
        .execution_options(synchronize_session=False)
    )
    rows = [ClaimedMessage(int(r[0]), str(r[1]), r[2], r[3] or {}, r[4], r[5], r[6])
            for r in (await db.execute(stmt)).all()]
    rows.sort(key=lambda r: r.key)  # RETURNING gives rows in no promised order
    return rows


def _mine(spec: InboxTable, worker: str) -> ColumnElement[bool]:
    t = spec.table
    return and_(t.c.claimed_by == worker, t.c.status.in_(OPEN))


async def mark_handled(
    db: AsyncSession, spec: InboxTable, key: int, *, worker: str,
    replies: list[dict[str, Any]], now: datetime,
) -> bool:
    """In the unit of work that handled the row: record it handled, with the replies to send.

    False when `worker` no longer holds the row pending (it was taken over, or handled):
    the caller must then roll its unit of work back, so effects happen once per message.
    """
    t = spec.table
    result = await db.execute(
        update(t)
        .where(spec.key_col() == key, t.c.claimed_by == worker, t.c.status == "pending")
        .values(status="handled", replies=replies, processed_at=now)
        .execution_options(synchronize_session=False)
    )
    return rows_touched(result) == 1


async def finish(
    db: AsyncSession, spec: InboxTable, *, worker: str, now: datetime,
    done: Collection[int] = (), failed: Sequence[tuple[int, str]] = (),
) -> None:
    """Rows whose replies went out are done; others failed with their error.

    What the person wrote, and who wrote it, is not kept once answered (UU PDP: only for
    its purpose); the key stays a while, so that a late re-delivery is still recognised.
    """
    t = spec.table
    # (No IN on the status here: executemany cannot expand it; holding it suffices.)
    mine = and_(spec.key_col() == bindparam("k"), t.c.claimed_by == worker)
    cleared: dict[str, Any] = {"lease_until": None, "processed_at": now, "body": {},
                               "replies": None, spec.chat: ""}
    conn = await db.connection()
    if done:
        await conn.execute(update(t).where(mine).values(status="done", error=None, **cleared),
                           [{"k": k} for k in done])
    if failed:
        await conn.execute(
            update(t).where(mine).values(status="failed", error=bindparam("err"), **cleared),
            [{"k": k, "err": err[:300]} for k, err in failed])


async def release(
    db: AsyncSession, spec: InboxTable, *, worker: str, keys: Collection[int] | None = None,
    give_back_attempt: bool = False,
) -> int:
    """Give back rows `worker` holds (all, or `keys`); `give_back_attempt` when they were
    never started (a clean stop), so the claim does not count against them."""
    t = spec.table
    cond = _mine(spec, worker)
    if keys is not None:
        if not keys:
            return 0
        cond = and_(cond, spec.key_col().in_(list(keys)))
    values: dict[str, Any] = {"claimed_by": None, "lease_until": None}
    if give_back_attempt:
        values["attempts"] = func.max(t.c.attempts - 1, 0) if db.get_bind().dialect.name == \
            "sqlite" else func.greatest(t.c.attempts - 1, 0)
    result = await db.execute(
        update(t).where(cond).values(**values).execution_options(synchronize_session=False))
    return rows_touched(result)


async def renew(db: AsyncSession, spec: InboxTable, *, worker: str, until: datetime) -> int:
    """Extend the lease of every row `worker` holds."""
    t = spec.table
    result = await db.execute(
        update(t).where(_mine(spec, worker)).values(lease_until=until)
        .execution_options(synchronize_session=False))
    return rows_touched(result)


async def reclaim_dead(
    db: AsyncSession, spec: InboxTable, *, worker: str, now: datetime,
    stale_after: timedelta = STALE_AFTER,
) -> int:
    """Free the rows held by processes that are gone: their heartbeat is stale, or (a holder
    that keeps no heartbeat) their lease ran out. `worker`, the one asking, is alive."""
    t = spec.table
    hb = ProcessHeartbeat
    stale = select(hb.name).where(hb.last_seen_at < now - stale_after)
    result = await db.execute(
        update(t)
        .where(t.c.status.in_(OPEN), t.c.claimed_by.is_not(None), t.c.claimed_by != worker,
               or_(t.c.lease_until < now, t.c.claimed_by.in_(stale)))
        .values(claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False))
    return rows_touched(result)


async def purge(db: AsyncSession, spec: InboxTable, *, before: datetime) -> int:
    """Delete finished rows received before `before`."""
    t = spec.table
    result = await db.execute(
        delete(t).where(t.c.status.in_(("done", "failed")), t.c.received_at < before))
    return rows_touched(result)


async def counts(db: AsyncSession, spec: InboxTable) -> dict[str, int]:
    """How many rows are in each status."""
    t = spec.table
    rows = await db.execute(select(t.c.status, func.count()).group_by(t.c.status))
    return {status: int(n) for status, n in rows.all()}
