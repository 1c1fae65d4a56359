"""Callback data and shared helpers of the announcement conversation (flow "admin-announce")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.callbacks import CallbackData
from db.models.announcements import Announcement
from handlers.router import Context
from schedules.announcements import channel_rates
from schedules.announcer import AnnStop

__all__ = [
    "FLOW",
    "AnnAudience",
    "AnnCancel",
    "AnnConfirm",
    "AnnPick",
    "AnnStop",
    "current_draft",
    "delivery_channels",
]

# The dispatcher lets texts over 1,000 characters through only in flows named "admin…".
FLOW = "admin-announce"


@dataclass(frozen=True)
class AnnAudience(CallbackData):
    """Choose how to pick the audience: all, region, instansi, channel, programme, or back
    to the choice ('menu')."""

    prefix: ClassVar[str] = "ana"
    ann: int
    kind: str


@dataclass(frozen=True)
class AnnPick(CallbackData):
    """A picked value of a segment key (region code, channel, programme key)."""

    prefix: ClassVar[str] = "anp"
    ann: int
    key: str
    value: str


@dataclass(frozen=True)
class AnnConfirm(CallbackData):
    """Send it: 'now' or 'later' (then a date and time is asked)."""

    prefix: ClassVar[str] = "anc"
    ann: int
    when: str


@dataclass(frozen=True)
class AnnCancel(CallbackData):
    """Throw the draft away."""

    prefix: ClassVar[str] = "anx"
    ann: int


def delivery_channels(ctx: Context) -> dict[str, float]:
    """The channels the bot delivers on, with their rates (messages per second)."""
    return channel_rates(ctx.deps.channels.values())


async def current_draft(ctx: Context, ann_id: int | None = None) -> Announcement | None:
    """The draft this person is composing (and, if given, it must be `ann_id`)."""
    state = ctx.state
    if state is None or state.flow != FLOW:
        return None
    wanted = state.data.get("ann")
    if not isinstance(wanted, int) or (ann_id is not None and wanted != ann_id):
        return None
    ann = await ctx.db.get(Announcement, wanted)
    if ann is None or ann.status != "draft":
        return None
    return ann
