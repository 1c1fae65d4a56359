"""The life of an announcement: draft, confirm, start (rows into the outbox), stop, finish."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.channels import ChannelInfo
from core.html_check import to_basic_html, visible_text
from core.outbox import Priority, Ref, enqueue, enqueue_audience, payload_body, store_payload
from core.types import Attachment, Reply, TemplateRef
from db.engine import Sessions, rows_touched
from db.models.announcements import Announcement
from db.models.outbox import OutboxMessage
from db.models.people import Identity
from schedules.segments import Segment

__all__ = [
    "REF_TYPE",
    "Figures",
    "Media",
    "announcement_reply",
    "announcement_template",
    "channel_rates",
    "claim_due",
    "confirm",
    "create_announcement",
    "enqueue_announcement",
    "estimate_seconds",
    "failure_reasons",
    "figures",
    "finish_if_drained",
    "recent",
    "request_stop",
    "start_due",
    "store_figures",
]

log = logging.getLogger(__name__)

REF_TYPE = "announcement"
# WhatsApp template parameters must stay well under the 1,024-character body limit.
_TEMPLATE_PARAM_LIMIT = 900
# An announcement left `running` without every row written this long ago lost its process.
_STALE_ENQUEUE = timedelta(minutes=10)


@dataclass(frozen=True)
class Media:
    """The photo or document of an announcement."""

    kind: str  # photo, document
    channel: str | None  # whose file id `file_id` is
    file_id: str | None
    filename: str
    mime_type: str | None = None
    path: str | None = None  # a local copy other channels upload from


def _media(ann: Announcement, channel: str) -> Attachment | None:
    if ann.media_kind is None:
        return None
    name = ann.media_filename or ("foto.jpg" if ann.media_kind == "photo" else "berkas")
    if ann.media_file_id and ann.media_channel == channel:
        return Attachment(name, ann.media_mime, file_id=ann.media_file_id)
    # Senders read a file named by path when there is no file id, and upload it once.
    return Attachment(ann.media_path or name, ann.media_mime)


def announcement_reply(ann: Announcement, channel: ChannelInfo) -> Reply:
    """The message exactly as recipients on `channel` get it (the admin's preview too)."""
    text = to_basic_html(ann.text) if channel.basic_html else ann.text
    att = _media(ann, channel.name)
    if ann.media_kind == "photo":
        return Reply(text, photo=att)
    if ann.media_kind == "document":
        return Reply(text, document=att)
    return Reply(text)


def announcement_template(ann: Announcement) -> TemplateRef:
    """The template that carries it where free-form text is not allowed."""
    plain = " ".join(visible_text(ann.text).split())
    if len(plain) > _TEMPLATE_PARAM_LIMIT:
        plain = plain[: _TEMPLATE_PARAM_LIMIT - 1].rstrip() + "…"
    return TemplateRef("announcement", (plain or "-",))


def channel_rates(channels: Iterable[ChannelInfo]) -> dict[str, float]:
    """Messages per second each delivering channel can send (its whole rate)."""
    return {c.name: c.rate for c in channels if c.delivers}


def estimate_seconds(remaining: Mapping[str, int], rates: Mapping[str, float]) -> float:
    """Seconds to send `remaining` messages per channel at each channel's full rate
    (channels run side by side, so the slowest decides)."""
    return max((n / rates[c] for c, n in remaining.items() if n and rates.get(c)), default=0.0)


async def create_announcement(
    s: AsyncSession,
    *,
    created_by: str,
    person_id: int | None,
    text: str,
    media: Media | None,
    now: datetime,
    segment: Segment | None = None,
) -> Announcement:
    """A new draft (the text must have passed `check_html`)."""
    ann = Announcement(
        created_by=created_by, created_by_person_id=person_id, text=text,
        segment=(segment or Segment()).to_json(), status="draft", created_at=now, updated_at=now,
        audience=0, total=0, sent=0, blocked=0, failed=0, cancelled=0,
    )
    if media is not None:
        ann.media_kind, ann.media_channel, ann.media_file_id = media.kind, media.channel, \
            media.file_id
        ann.media_filename, ann.media_mime, ann.media_path = media.filename, media.mime_type, \
            media.path
    s.add(ann)
    await s.flush()
    return ann


async def confirm(
    s: AsyncSession,
    ann_id: int,
    *,
    at: datetime,
    now: datetime,
    audience: int,
    progress: tuple[str, str, str | None] | None = None,
) -> bool:
    """Draft → scheduled for `at` (now for "send now"). False if it was not a draft any more,
    so a confirm pressed twice (or in two places) schedules it once."""
    values: dict[str, Any] = {"status": "scheduled", "scheduled_at": at, "audience": audience,
                              "updated_at": now}
    if progress is not None:
        values["progress_channel"], values["progress_chat_id"], values["progress_message_id"] = \
            progress
    result = await s.execute(
        update(Announcement).where(Announcement.id == ann_id, Announcement.status == "draft")
        .values(**values).execution_options(synchronize_session="fetch")
    )
    return rows_touched(result) == 1


def _mine(ann_id: int) -> Any:
    return (OutboxMessage.ref_type == REF_TYPE) & (OutboxMessage.ref_id == ann_id)


async def _cancel_pending(s: AsyncSession, ann_id: int) -> int:
    result = await s.execute(
        update(OutboxMessage).where(_mine(ann_id), OutboxMessage.status == "pending")
        .values(status="cancelled", last_error="stopped by an admin")
        .execution_options(synchronize_session=False)
    )
    return rows_touched(result)


@dataclass(frozen=True)
class StopOutcome:
    """What a stop did: 'cancelled' (it had not started), 'stopping' (rows cancelled, the
    ones in flight finish), 'finished' (nothing to stop), 'missing'."""

    what: str
    cancelled: int = 0


async def request_stop(s: AsyncSession, ann_id: int, *, by: str, now: datetime) -> StopOutcome:
    """Stop an announcement: cancel it if it has not started, else cancel what is unsent."""
    ann = await s.get(Announcement, ann_id, with_for_update=True)
    if ann is None:
        return StopOutcome("missing")
    if ann.status in ("draft", "scheduled"):
        ann.status, ann.finished_at = "stopped", now
        ann.stop_requested_at, ann.stopped_by, ann.updated_at = now, by, now
        return StopOutcome("cancelled")
    if ann.status != "running":
        return StopOutcome("finished")
    if ann.stop_requested_at is None:
        ann.stop_requested_at, ann.stopped_by = now, by
    ann.updated_at = now
    return StopOutcome("stopping", await _cancel_pending(s, ann_id))


async def claim_due(sessions: Sessions, *, now: datetime, only: int | None = None) -> list[int]:
    """Scheduled announcements whose time has come → running (each claimed by one caller),
    and running ones whose rows were never all written (their process died).
    `only` limits it to one announcement."""
    claimed: list[int] = []
    async with sessions() as s, s.begin():
        query = (
            select(Announcement.id).where(Announcement.status == "scheduled",
                                          Announcement.scheduled_at <= now)
            .order_by(Announcement.scheduled_at, Announcement.id)
        )
        if only is not None:
            query = query.where(Announcement.id == only)
        due = list(await s.scalars(query))
        for ann_id in due:
            result = await s.execute(
                update(Announcement)
                .where(Announcement.id == ann_id, Announcement.status == "scheduled")
                .values(status="running", started_at=now, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if rows_touched(result):
                claimed.append(ann_id)
        stale_query = select(Announcement.id).where(
            Announcement.status == "running", Announcement.queued_at.is_(None),
            Announcement.updated_at < now - _STALE_ENQUEUE,
        )
        if only is not None:
            stale_query = stale_query.where(Announcement.id == only)
        stale = list(await s.scalars(stale_query))
        for ann_id in stale:
            result = await s.execute(
                update(Announcement)
                .where(Announcement.id == ann_id, Announcement.queued_at.is_(None),
                       Announcement.updated_at < now - _STALE_ENQUEUE)
                .values(updated_at=now).execution_options(synchronize_session=False)
            )
            if rows_touched(result):
                log.warning("announcement %d: writing its rows was interrupted; resuming", ann_id)
                claimed.append(ann_id)
    return claimed


async def enqueue_announcement(
    sessions: Sessions,
    ann_id: int,
    *,
    channels: Collection[ChannelInfo],
    now: datetime,
    batch_size: int = 5000,
) -> int:
    """Write one outbox row per recipient (idempotent: a resumed run adds only the missing),
    then record that every row is written. Returns the rows this call added."""
    async with sessions() as s, s.begin():
        ann = await s.get(Announcement, ann_id)
        assert ann is not None
        segment = Segment.from_json(ann.segment)
        payloads = {c.name: await store_payload(s, payload_body(
            announcement_reply(ann, c), announcement_template(ann) if c.templates else None,
        ), now=now) for c in channels}
    audience = segment.audience(list(payloads))
    added = 0
    for channel, payload_id in payloads.items():
        # One pass per channel, each with its own body; the person's chosen chat decides.
        added += await enqueue_audience(
            sessions, audience=audience.where(Identity.channel == channel),
            key_prefix=f"ann:{ann_id}:", kind="announcement", payload_id=payload_id, now=now,
            priority=Priority.ANNOUNCEMENT, ref=Ref(REF_TYPE, ann_id), batch_size=batch_size,
        )
    async with sessions() as s, s.begin():
        total = await s.scalar(select(func.count()).where(_mine(ann_id))) or 0
        ann = await s.get(Announcement, ann_id)
        assert ann is not None
        ann.total, ann.queued_at, ann.updated_at = int(total), now, now
        if ann.stop_requested_at is not None:
            # Stopped while rows were still being written: cancel the late ones too.
            await _cancel_pending(s, ann_id)
    log.info("announcement %d: %d recipients queued", ann_id, total)
    return added


async def start_due(
    sessions: Sessions, *, now: datetime, channels: Collection[ChannelInfo],
    batch_size: int = 5000,
    only: int | None = None,
) -> list[int]:
    """Claim and start every due announcement (or only `only`); return their ids."""
    started = await claim_due(sessions, now=now, only=only)
    for ann_id in started:
        await enqueue_announcement(sessions, ann_id, channels=channels, now=now,
                                   batch_size=batch_size)
    return started


_BLOCKED = or_(OutboxMessage.last_error.like("blocked%"),
               OutboxMessage.last_error == "recipient unreachable")


@dataclass
class Figures:
    """How an announcement's rows stand, counted from the outbox."""

    sent: int = 0
    blocked: int = 0  # the person blocked the bot (now marked unreachable)
    failed: int = 0  # other failures, and rows skipped as expired
    cancelled: int = 0  # stopped before they were sent
    pending: int = 0  # pending or being sent
    remaining_by_channel: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Every row."""
        return self.sent + self.blocked + self.failed + self.cancelled + self.pending

    @property
    def done(self) -> int:
        """Rows with an outcome (sent, blocked or failed)."""
        return self.sent + self.blocked + self.failed


def _is_blocked(error: str | None) -> bool:
    return bool(error) and (str(error).startswith("blocked") or error == "recipient unreachable")


async def figures(s: AsyncSession, ann_id: int) -> Figures:
    """Count the announcement's rows by outcome (one grouped query on the ref index).

    Grouped by the error text too (few distinct values) and classified here: grouping by
    a CASE with bound parameters is refused by PostgreSQL.
    """
    rows = await s.execute(
        select(OutboxMessage.channel, OutboxMessage.status, OutboxMessage.last_error,
               func.count())
        .where(_mine(ann_id))
        .group_by(OutboxMessage.channel, OutboxMessage.status, OutboxMessage.last_error)
    )
    fig = Figures()
    for channel, status, error, n in rows.all():
        if status in ("pending", "sending"):
            fig.pending += n
            fig.remaining_by_channel[channel] = fig.remaining_by_channel.get(channel, 0) + n
        elif status == "sent":
            fig.sent += n
        elif status == "cancelled":
            fig.cancelled += n
        elif _is_blocked(error):
            fig.blocked += n
        else:
            fig.failed += n
    return fig


async def failure_reasons(s: AsyncSession, ann_id: int, limit: int = 5) -> list[tuple[str, int]]:
    """The most frequent reasons of failure (blocked people are counted apart)."""
    n = func.count().label("n")
    rows = await s.execute(
        select(OutboxMessage.last_error, n)
        .where(_mine(ann_id), OutboxMessage.status.in_(("failed", "skipped")), ~_BLOCKED)
        .group_by(OutboxMessage.last_error).order_by(n.desc()).limit(limit)
    )
    return [(str(reason or "tidak diketahui"), int(count)) for reason, count in rows.all()]


ReportMaker = Callable[[Announcement, Figures, list[tuple[str, int]], datetime], Reply]


async def finish_if_drained(
    sessions: Sessions, ann_id: int, *, now: datetime, report: ReportMaker | None = None,
) -> bool:
    """Running with every row written and none left in flight → done (or stopped): store
    the totals and queue `report` to the admin's chat, once. True if this call finished it."""
    async with sessions() as s, s.begin():
        ann = await s.get(Announcement, ann_id)
        if ann is None or ann.status != "running" or ann.queued_at is None:
            return False
        fig = await figures(s, ann_id)
        if fig.pending:
            return False
        result = await s.execute(
            update(Announcement).where(Announcement.id == ann_id,
                                       Announcement.status == "running")
            .values(status="stopped" if ann.stop_requested_at else "done", finished_at=now,
                    updated_at=now, total=fig.total, sent=fig.sent, blocked=fig.blocked,
                    failed=fig.failed, cancelled=fig.cancelled)
            .execution_options(synchronize_session=False)
        )
        if not rows_touched(result):
            return False
        if report is not None and ann.progress_chat_id and ann.progress_channel:
            await s.refresh(ann)
            reply = report(ann, fig, await failure_reasons(s, ann_id), now)
            await enqueue(
                s, key=f"ann-report:{ann_id}", person_id=ann.created_by_person_id,
                channel=ann.progress_channel, chat_id=ann.progress_chat_id, kind="reply",
                reply=reply, now=now, priority=Priority.REPLY,
            )
    log.info("announcement %d finished: %d sent, %d blocked, %d failed, %d cancelled",
             ann_id, fig.sent, fig.blocked, fig.failed, fig.cancelled)
    return True


async def store_figures(s: AsyncSession, ann: Announcement, fig: Figures, now: datetime) -> None:
    """Keep the latest counts on the announcement (for /pengumuman and `umumkan status`)."""
    # updated_at is left alone: it tells whether an interrupted start should be resumed.
    ann.sent, ann.blocked, ann.failed, ann.cancelled = fig.sent, fig.blocked, fig.failed, \
        fig.cancelled


async def recent(s: AsyncSession, limit: int = 10) -> Sequence[Announcement]:
    """Scheduled ones first (soonest first), then the latest others; drafts left out."""
    scheduled = list(await s.scalars(
        select(Announcement).where(Announcement.status == "scheduled")
        .order_by(Announcement.scheduled_at).limit(limit)
    ))
    others = list(await s.scalars(
        select(Announcement).where(Announcement.status.in_(("running", "done", "stopped")))
        .order_by(Announcement.id.desc()).limit(limit)
    ))
    return scheduled + others
