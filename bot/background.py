"""The bot's own-initiative work, composed: the nudge scheduler and the outbox worker.

Both `dahar-ngopi run` and `dahar-ngopi worker` start one of these; several may share a
database (claims and plan keys keep them from doing anything twice).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.delivery import Sender
from bot.flow import ChannelFlow
from bot.outbox_worker import OutboxWorker, WorkerConfig
from bot.pacing import ChannelLimits
from core.clock import Clock
from core.config import CoreConfig
from core.outbox import OutboxBell
from core.types import Reply
from db.engine import Sessions
from schedules.nudges import NudgeConfig
from schedules.scheduler import NudgePlanner, build_scheduler

__all__ = ["Background", "build_background"]

log = logging.getLogger(__name__)


@dataclass
class Background:
    """The scheduler and the outbox worker, started and stopped together."""

    planner: NudgePlanner
    scheduler: AsyncIOScheduler
    worker: OutboxWorker

    async def start(self) -> None:
        """Catch up on nudges missed while down, then schedule and deliver (in this loop)."""
        report = await self.planner.catch_up()
        log.info("scheduler started; catch-up planned %d nudges", len(report.planned))
        self.scheduler.start()
        self.worker.start()

    async def stop(self) -> None:
        """Stop scheduling, finish the sends in flight, give back unsent claims."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.worker.stop()


def build_background(
    config: CoreConfig,
    sessions: Sessions,
    clock: Clock,
    senders: Sequence[Sender],
    *,
    limits: Mapping[str, ChannelLimits] | None = None,
    flows: Mapping[str, ChannelFlow] | None = None,
    worker_config: WorkerConfig | None = None,
    personalise: Callable[[Reply, int | None], Reply] | None = None,
    bell: OutboxBell | None = None,
    name: str | None = None,
) -> Background:
    """Compose the planner, its APScheduler and the outbox worker for these channels.

    `personalise` adjusts a shared payload for its recipient before it is sent (the
    attendance prompt's button is signed for each person: pass `Runtime.personalise`)."""
    nudges = NudgeConfig.from_config(config, [s.channel for s in senders])
    planner = NudgePlanner(sessions, clock, nudges)
    worker = OutboxWorker(sessions, clock, senders, limits=limits, flows=flows,
                          config=worker_config, personalise=personalise, bell=bell, name=name)
    return Background(planner, build_scheduler(planner), worker)
