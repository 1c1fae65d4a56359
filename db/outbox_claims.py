"""The outbox worker's SQL: claim due rows with a lease, record outcomes, renew and reclaim."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import rows_touched
from db.heartbeats import STALE_AFTER
from db.models.outbox import OutboxMessage, OutboxPayload
from db.models.people import Identity
from db.models.processes import ProcessHeartbeat

__all__ = [
    "ClaimedRow",
    "Outcome",
    "claim_level",
    "expire_pending",
    "follow_migration",
    "nothing_due",
    "payload_bodies",
    "reclaim_expired",
    "release_claims",
    "renew_leases",
    "write_outcomes",
]

_T: Table = OutboxMessage.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class ClaimedRow:
    """An outbox row a worker holds the lease of."""

    id: int
    person_id: int | None
    chat_id: str
    kind: str
    priority: int
    payload_id: int
    attempts: int
    expires_at: datetime | None


@dataclass(frozen=True)
class Outcome:
    """What became of a claimed row, to be written back."""

    row_id: int
    status: str  # sent, failed, skipped, pending
    error: str | None = None
    message_id: str | None = None
    not_before: datetime | None = None
    attempts_delta: int = 0  # -1 gives back the claim's attempt (429, stop)


async def claim_level(
    db: AsyncSession, *, worker: str, channel: str, priority: int, limit: int,
    now: datetime, lease_until: datetime,
) -> list[ClaimedRow]:
    """Claim up to `limit` due pending rows of one channel and priority for `worker`."""
    m = OutboxMessage
    due = (
        select(m.id)
        .where(m.status == "pending", m.channel == channel, m.priority == priority,
               m.not_before <= now)
        .order_by(m.not_before, m.id)
        .limit(limit)
    )
    if db.get_bind().dialect.name == "postgresql":
        # Other workers skip what this one locked. The CTE is materialised: as a plain
        # IN (subquery) PostgreSQL may re-run it, and with SKIP LOCKED each run finds
        # other rows, so LIMIT would not hold.
        chosen = due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
        ids = select(chosen.c.id).scalar_subquery()
    else:
        ids = due.scalar_subquery()  # SQLite: one writer at a time, the recheck suffices
    stmt = (
        update(m)
        .where(m.id.in_(ids), m.status == "pending")
        .values(status="sending", claimed_by=worker, lease_until=lease_until,
                attempts=m.attempts + 1)
        .returning(m.id, m.person_id, m.chat_id, m.kind, m.priority, m.payload_id,
                   m.attempts, m.expires_at)
        .execution_options(synchronize_session=False)
    )
    result = await db.execute(stmt)
    rows = [ClaimedRow(id=r[0], person_id=r[1], chat_id=r[2], kind=r[3], priority=r[4],
                       payload_id=r[5], attempts=r[6], expires_at=r[7]) for r in result.all()]
    rows.sort(key=lambda r: r.id)  # RETURNING gives rows in no promised order
    return rows


async def payload_bodies(db: AsyncSession, ids: Collection[int]) -> dict[int, dict[str, Any]]:
    """The stored bodies of these payloads."""
    result = await db.execute(
        select(OutboxPayload.id, OutboxPayload.body).where(OutboxPayload.id.in_(list(ids)))
    )
    return {pid: body for pid, body in result.all()}


async def nothing_due(db: AsyncSession, channels: Collection[str], now: datetime) -> bool:
    """Whether no row of these channels is pending and due, or being sent."""
    found = await db.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.status.in_(("pending", "sending")),
            OutboxMessage.channel.in_(list(channels)),
            OutboxMessage.not_before <= now,
        ).limit(1)
    )
    return found is None


async def write_outcomes(
    db: AsyncSession, *, worker: str, outcomes: Sequence[Outcome], now: datetime
) -> None:
    """Write outcomes of rows `worker` still holds (a reclaimed row is left alone)."""
    mine = and_(_T.c.id == bindparam("rid"), _T.c.claimed_by == worker, _T.c.status == "sending")
    sent = [{"rid": o.row_id, "mid": o.message_id} for o in outcomes if o.status == "sent"]
    final = [{"rid": o.row_id, "st": o.status, "err": (o.error or "")[:300]}
             for o in outcomes if o.status in ("failed", "skipped")]
    again = [{"rid": o.row_id, "nb": o.not_before or now, "err": (o.error or "")[:300],
              "delta": o.attempts_delta}
             for o in outcomes if o.status == "pending"]
    conn = await db.connection()
    if sent:
        await conn.execute(
            _T.update().where(mine).values(
                status="sent", sent_at=now, platform_message_id=bindparam("mid"),
                lease_until=None, last_error=None),
            sent,
        )
    if final:
        await conn.execute(
            _T.update().where(mine).values(
                # sent_at: when its delivery ended, failed too (the alerts' failure rate).
                status=bindparam("st"), last_error=bindparam("err"), lease_until=None,
                sent_at=now),
            final,
        )
    if again:
        await conn.execute(
            _T.update().where(mine).values(
                status="pending", not_before=bindparam("nb"), last_error=bindparam("err"),
                attempts=_T.c.attempts + bindparam("delta"), claimed_by=None,
                lease_until=None),
            again,
        )


async def release_claims(db: AsyncSession, *, worker: str) -> int:
    """Give back the rows `worker` claimed but never attempted; return how many."""
    result = await db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.claimed_by == worker, OutboxMessage.status == "sending")
        .values(status="pending", claimed_by=None, lease_until=None,
                attempts=OutboxMessage.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    return rows_touched(result)


async def renew_leases(db: AsyncSession, *, worker: str, until: datetime) -> int:
    """Extend the lease of every row `worker` holds."""
    m = OutboxMessage
    result = await db.execute(
        update(m).where(m.status == "sending", m.claimed_by == worker)
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )
    return rows_touched(result)


async def reclaim_expired(
    db: AsyncSession, *, now: datetime, max_attempts: int, stale_after: timedelta = STALE_AFTER,
) -> tuple[int, int]:
    """Return rows whose claimer is gone to pending — its heartbeat is stale, or (a claimer
    that keeps no heartbeat) the lease expired —, failing those out of attempts; return
    (returned, failed)."""
    m = OutboxMessage
    hb = ProcessHeartbeat
    stale = select(hb.name).where(hb.last_seen_at < now - stale_after)
    expired = and_(m.status == "sending", or_(m.lease_until < now, m.claimed_by.in_(stale)))
    failed = await db.execute(
        update(m).where(expired, m.attempts >= max_attempts)
        .values(status="failed", last_error="lease expired too often", lease_until=None,
                sent_at=now)
        .execution_options(synchronize_session=False)
    )
    back = await db.execute(
        update(m).where(expired)
        .values(status="pending", claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return rows_touched(back), rows_touched(failed)


async def expire_pending(db: AsyncSession, *, now: datetime, stale_after: timedelta) -> int:
    """End as skipped the pending rows past their `expires_at`, and rows pending longer
    than `stale_after` (no worker serves their channel)."""
    m = OutboxMessage
    a = await db.execute(
        update(m).where(m.status == "pending", m.expires_at < now)
        .values(status="skipped", last_error="expired")
        .execution_options(synchronize_session=False)
    )
    b = await db.execute(
        update(m).where(m.status == "pending", m.created_at < now - stale_after)
        .values(status="skipped", last_error="stale: no dispatcher delivered it")
        .execution_options(synchronize_session=False)
    )
    return rows_touched(a) + rows_touched(b)


async def follow_migration(db: AsyncSession, *, channel: str, old: str, new: str) -> None:
    """A chat moved (a Telegram group became a supergroup): the identity and pending rows
    follow it."""
    await db.execute(
        update(Identity).where(Identity.channel == channel, Identity.chat_id == old)
        .values(chat_id=new).execution_options(synchronize_session=False)
    )
    await db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.channel == channel, OutboxMessage.chat_id == old,
               OutboxMessage.status.in_(("pending", "sending")))
        .values(chat_id=new).execution_options(synchronize_session=False)
    )
