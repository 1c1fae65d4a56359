"""How a running announcement is doing, for a page that refreshes: figures, rate, end."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models.announcements import Announcement
from db.models.outbox import OutboxMessage
from schedules.announcements import REF_TYPE, Figures, estimate_seconds, failure_reasons, figures

__all__ = ["RATE_WINDOW", "Progress", "progress_of"]

RATE_WINDOW = timedelta(seconds=30)


@dataclass(frozen=True)
class Progress:
    """An announcement's figures now, the rate of the last half minute, and when it ends."""

    figures: Figures
    rate: float | None  # messages per second sent recently (None: nothing sent lately)
    eta_seconds: float | None
    finish_at: datetime | None
    reasons: list[tuple[str, int]]

    @property
    def share_done(self) -> float:
        """Done (sent, blocked, failed) as a share of every row, 0 to 1."""
        total = self.figures.total
        return (self.figures.done + self.figures.cancelled) / total if total else 0.0


async def progress_of(
    db: AsyncSession, ann: Announcement, *, now: datetime, rates: Mapping[str, float]
) -> Progress:
    """Count the announcement's rows (one grouped query), its rate over the last 30 s, and an
    estimate of the end (at the recent rate, else at the channels' full rates)."""
    fig = await figures(db, ann.id)
    recent = await db.scalar(
        select(func.count()).where(
            OutboxMessage.ref_type == REF_TYPE, OutboxMessage.ref_id == ann.id,
            OutboxMessage.status == "sent", OutboxMessage.sent_at >= now - RATE_WINDOW,
        )
    ) or 0
    rate = recent / RATE_WINDOW.total_seconds() if recent else None
    eta: float | None = None
    if fig.pending and ann.status == "running" and ann.stop_requested_at is None:
        eta = fig.pending / rate if rate else estimate_seconds(fig.remaining_by_channel, rates)
    finish = now + timedelta(seconds=eta) if eta is not None else None
    reasons = await failure_reasons(db, ann.id) if fig.failed else []
    return Progress(fig, rate, eta, finish, reasons)
