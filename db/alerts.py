"""The alerts' queries: delivery outcomes, overdue rows, a live leader, and the last send per
kind (in `app_meta`, claimed atomically so that two processes never both send)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import rows_touched
from db.leader import holder_of_lock
from db.models import AppMeta, Identity, OutboxMessage, ProcessHeartbeat

__all__ = [
    "HORIZON",
    "Outcomes",
    "Overdue",
    "claim_alert",
    "delivery_outcomes",
    "leader_alive",
    "open_alert",
    "overdue",
    "owner_chats",
    "resolve_alert",
]

# Rows are claimed only once due, and skipped 24 hours after they were written: a row sent
# within the window fell due within this long before it. Bounding `not_before` lets the
# query use the claim index instead of reading every row the outbox keeps.
HORIZON = timedelta(days=2)
_PREFIX = "alert:"
_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width, UTC: stamps compare as strings


@dataclass(frozen=True)
class Outcomes:
    """A channel's delivery outcomes in a window."""

    sent: int = 0
    failed: int = 0
    reasons: Counter[str] = field(default_factory=Counter)  # failed rows by kind of error

    @property
    def total(self) -> int:
        """Rows that reached an outcome (sent or failed)."""
        return self.sent + self.failed

    @property
    def rate(self) -> float:
        """The share that failed (0 to 1)."""
        return self.failed / self.total if self.total else 0.0


def _reason(error: str | None) -> str:
    """The kind of an error ("blocked", "permanent"...): its words before the first colon,
    never the details (which may quote a recipient)."""
    head = (error or "tanpa keterangan").split(":", 1)[0].strip()
    return head[:40] or "tanpa keterangan"


async def delivery_outcomes(
    db: AsyncSession, *, channels: Collection[str], priorities: Collection[int],
    since: datetime, now: datetime,
) -> dict[str, Outcomes]:
    """Sent and failed rows per channel whose outcome came after `since` (a failed row's
    `sent_at` is when its delivery ended); `priorities`: all of them (the claim index's
    order)."""
    m = OutboxMessage
    window = (m.status.in_(("sent", "failed")), m.channel.in_(list(channels)),
              m.priority.in_(list(priorities)), m.not_before >= since - HORIZON,
              m.not_before <= now, m.sent_at >= since)
    sent = dict((await db.execute(
        select(m.channel, func.count()).where(*window, m.status == "sent")
        .group_by(m.channel))).all())
    failed: dict[str, Counter[str]] = {}
    rows = await db.execute(
        select(m.channel, m.last_error, func.count()).where(*window, m.status == "failed")
        .group_by(m.channel, m.last_error))
    for channel, error, count in rows:
        failed.setdefault(channel, Counter())[_reason(error)] += count
    return {c: Outcomes(sent.get(c, 0), sum(failed.get(c, Counter()).values()),
                        failed.get(c, Counter())) for c in channels}


@dataclass(frozen=True)
class Overdue:
    """Pending rows that should have gone out a while ago."""

    count: int
    oldest: datetime | None  # the earliest `not_before` among them
    by_channel: dict[str, int]


async def overdue(
    db: AsyncSession, *, channels: Collection[str], priorities: Sequence[int], before: datetime,
    now: datetime,
) -> Overdue:
    """Pending rows of these priorities due before `before` and not yet expired."""
    m = OutboxMessage
    rows = (await db.execute(
        select(m.channel, func.count(), func.min(m.not_before))
        .where(m.status == "pending", m.channel.in_(list(channels)),
               m.priority.in_(list(priorities)), m.not_before < before,
               (m.expires_at.is_(None)) | (m.expires_at > now))
        .group_by(m.channel))).all()
    by_channel = {c: n for c, n, _ in rows}
    oldest = min((o for _, _, o in rows if o is not None), default=None)
    return Overdue(sum(by_channel.values()), oldest, by_channel)


async def leader_alive(db: AsyncSession, *, now: datetime, stale_after: timedelta) -> bool:
    """Whether a live process leads the scheduler: it holds the lock (PostgreSQL) or a lease
    that has not run out (SQLite), and its heartbeat is fresh."""
    fresh = now - stale_after
    if db.get_bind().dialect.name == "postgresql":
        holder = await holder_of_lock(db)
        return holder is not None and holder[2] is not None and holder[2] > fresh
    hb = ProcessHeartbeat
    found = await db.scalar(select(hb.name).where(hb.leader_until > now, hb.last_seen_at > fresh)
                            .limit(1))
    return found is not None


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime(_STAMP)


async def claim_alert(db: AsyncSession, kind: str, *, now: datetime, every: timedelta) -> bool:
    """Take the right to send alert `kind` now: True when none was sent within `every`
    (and record this one, open). One statement each way, so of two processes claiming at
    once exactly one wins (PostgreSQL re-checks the condition on the row it waited for;
    SQLite writes one at a time)."""
    key, value = _PREFIX + kind, f"{_stamp(now)} open"
    insert = sqlite.insert if db.get_bind().dialect.name == "sqlite" else postgresql.insert
    inserted = await db.execute(
        insert(AppMeta).values(key=key, value=value)
        .on_conflict_do_nothing(index_elements=["key"]))
    if rows_touched(inserted) == 1:
        return True
    renewed = await db.execute(
        update(AppMeta).where(AppMeta.key == key, AppMeta.value < _stamp(now - every))
        .values(value=value).execution_options(synchronize_session=False))
    return rows_touched(renewed) == 1


async def open_alert(db: AsyncSession, kind: str) -> datetime | None:
    """When alert `kind` was last sent, if it has not been resolved since."""
    value = await db.scalar(select(AppMeta.value).where(AppMeta.key == _PREFIX + kind))
    if value is None or not value.endswith(" open"):
        return None
    return datetime.strptime(value.split(" ", 1)[0], _STAMP).replace(tzinfo=UTC)


async def resolve_alert(db: AsyncSession, kind: str) -> bool:
    """Mark an open alert resolved; True for the one process that did (it says so)."""
    key = _PREFIX + kind
    value = await db.scalar(select(AppMeta.value).where(AppMeta.key == key))
    if value is None or not value.endswith(" open"):
        return False
    done = await db.execute(
        update(AppMeta).where(AppMeta.key == key, AppMeta.value == value)
        .values(value=value.removesuffix(" open") + " resolved")
        .execution_options(synchronize_session=False))
    return rows_touched(done) == 1


async def owner_chats(
    db: AsyncSession, owners: Sequence[tuple[str, str]], *, delivering: Collection[str],
    user_is_chat: Collection[str],
) -> list[tuple[str, str, int | None]]:
    """Where to tell the owners: (channel, chat id, person id), each chat once. An owner's
    own account, and every other delivering channel their person is linked to; an owner who
    never wrote is reachable on a channel whose chat id is the user id."""
    found: dict[tuple[str, str], int | None] = {}
    for channel, external in owners:
        ident = await db.scalar(select(Identity).where(Identity.channel == channel,
                                                       Identity.external_id == external))
        if ident is None:
            if channel in delivering and channel in user_is_chat:
                found.setdefault((channel, external), None)
            continue
        linked = await db.scalars(select(Identity).where(Identity.person_id == ident.person_id))
        for other in [ident, *linked]:
            if other.channel in delivering:
                found.setdefault((other.channel, other.chat_id), other.person_id)
    return [(c, chat, pid) for (c, chat), pid in found.items()]
