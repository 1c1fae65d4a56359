"""The bot's own-initiative work, composed: the nudge scheduler and the outbox worker.

Both `dahar-ngopi run` and `dahar-ngopi worker` start one of these; several may share a
database (claims and plan keys keep them from doing anything twice). The outbox worker runs
in every process; the scheduler's jobs run on the leader only (`bot.leader`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.counters import watch_scheduler
from bot.delivery import Sender
from bot.flow import ChannelFlow
from bot.leader import LEADER_TIMEOUT, Leadership
from bot.outbox_worker import OutboxWorker, Prepare, WorkerConfig
from bot.pacing import ChannelLimits
from core.clock import Clock
from core.config import CoreConfig
from core.outbox import OutboxBell
from core.types import Reply
from db.engine import Sessions
from schedules.certificates import CertificateSweep
from schedules.nudges import NudgeConfig
from schedules.quiz_reviews import ReviewPlanner
from schedules.scheduler import NudgePlanner, build_scheduler
from schedules.transcripts import TranscriptPlanner

__all__ = ["Background", "build_background"]

log = logging.getLogger(__name__)


@dataclass
class Background:
    """The scheduler and the outbox worker, started and stopped together.

    With a `leadership`, the scheduler's jobs run only while this process leads; without
    one, this process is taken to be alone and always plans."""

    planner: NudgePlanner
    scheduler: AsyncIOScheduler
    worker: OutboxWorker
    leadership: Leadership | None = None

    @property
    def leading(self) -> bool:
        """Whether this process runs the scheduler's jobs now."""
        if self.leadership is not None:
            return self.leadership.leading
        return bool(self.scheduler.running)

    async def start(self) -> None:
        """Deliver; plan when leading (catching up on nudges missed while down first)."""
        self.scheduler.start(paused=True)
        self.worker.start()
        if self.leadership is None:
            await self.lead()
        else:
            await self.leadership.start()

    async def lead(self) -> None:
        """This process plans from now on: catch up, then run the jobs."""
        report = await self.planner.catch_up()
        log.info("scheduler started; catch-up planned %d nudges", len(report.planned))
        self.scheduler.resume()

    async def follow(self) -> None:
        """Another process plans: hold the jobs."""
        if self.scheduler.running:
            self.scheduler.pause()

    async def stop(self, grace: float = 2.0) -> None:
        """Stop scheduling, finish the sends in flight (within `grace` seconds), give back
        unsent claims."""
        if self.leadership is not None:
            await self.leadership.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.worker.stop(grace=grace)


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
    prepare: Prepare | None = None,
    windowed: Collection[str] = (),
    name: str | None = None,
    leader_timeout: float = LEADER_TIMEOUT,
) -> Background:
    """Compose the planner, its APScheduler and the outbox worker for these channels.

    `personalise` adjusts a shared payload for its recipient before it is sent (the
    attendance prompt's button is signed for each person: pass `Runtime.personalise`);
    `prepare` makes the documents payloads only name (certificates: `Runtime.prepare`);
    `windowed` names the channels that take free-form messages only within a window
    (WhatsApp: quiz reviews, which have no template, wait for the person to write).
    `name` is this process's (its heartbeat's): its outbox claims carry it, and it competes
    for the scheduler's leadership; without one, this process plans alone."""
    channels = [s.channel for s in senders]
    nudges = NudgeConfig.from_config(config, channels)
    planner = NudgePlanner(sessions, clock, nudges,
                           certificates=CertificateSweep(sessions, config, channels),
                           reviews=ReviewPlanner(sessions, config, channels, windowed=windowed),
                           transcripts=TranscriptPlanner(sessions, config, channels))
    worker = OutboxWorker(sessions, clock, senders, limits=limits, flows=flows,
                          config=worker_config, personalise=personalise, bell=bell,
                          prepare=prepare, name=name)
    scheduler = build_scheduler(planner)
    watch_scheduler(scheduler)
    background = Background(planner, scheduler, worker)
    if name is not None:
        background.leadership = Leadership(sessions, clock, name=name,
                                           on_elected=background.lead,
                                           on_deposed=background.follow,
                                           timeout=leader_timeout)
    return background
