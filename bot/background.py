"""The bot's own-initiative work, composed: the nudge scheduler and the outbox dispatcher.

Both `dahar-ngopi run` and `dahar-ngopi worker` start one of these; several may share a
database (claims and plan keys keep them from doing anything twice).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock
from bot.delivery import Sender
from bot.dispatcher import ChannelLimits, DispatcherConfig, OutboxDispatcher
from bot.settings import Settings
from db.engine import Sessions
from handlers.types import Reply
from schedules.nudges import NudgeConfig
from schedules.scheduler import NudgePlanner, build_scheduler

__all__ = ["Background", "build_background", "channel_limits"]

log = logging.getLogger(__name__)


def channel_limits(settings: Settings) -> dict[str, ChannelLimits]:
    """Pacing per channel from the settings (TELEGRAM_RATE, TELEGRAM_CHAT_RATE)."""
    # Paid broadcast lifts Telegram's overall limit to 1,000 messages/s (paid in Stars).
    rate = max(settings.telegram_rate, 1000.0) if settings.telegram_paid_broadcast else (
        settings.telegram_rate)
    return {"telegram": ChannelLimits(rate, settings.telegram_chat_rate)}


@dataclass
class Background:
    """The scheduler and the dispatcher, started and stopped together."""

    planner: NudgePlanner
    scheduler: AsyncIOScheduler
    dispatcher: OutboxDispatcher

    async def start(self) -> None:
        """Catch up on nudges missed while down, then schedule and deliver (in this loop)."""
        report = await self.planner.catch_up()
        log.info("scheduler started; catch-up planned %d nudges", len(report.planned))
        self.scheduler.start()
        self.dispatcher.start()

    async def stop(self) -> None:
        """Stop scheduling, finish the sends in flight, give back unsent claims."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.dispatcher.stop()


def build_background(
    settings: Settings,
    sessions: Sessions,
    clock: Clock,
    senders: Sequence[Sender],
    *,
    limits: Mapping[str, ChannelLimits] | None = None,
    config: DispatcherConfig | None = None,
    personalise: Callable[[Reply, int | None], Reply] | None = None,
) -> Background:
    """Compose the planner, its APScheduler and the dispatcher for these channels.

    `personalise` adjusts a shared payload for its recipient before it is sent (the
    attendance prompt's button is signed for each person: pass `Runtime.personalise`)."""
    channels = [s.channel for s in senders]
    planner = NudgePlanner(sessions, clock, NudgeConfig.from_settings(settings, channels))
    dispatcher = OutboxDispatcher(
        sessions, clock, senders, limits={**channel_limits(settings), **(limits or {})},
        config=config, personalise=personalise,
    )
    return Background(planner, build_scheduler(planner), dispatcher)
