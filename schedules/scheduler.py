"""The scheduler of nudges: APScheduler jobs that plan the morning menus and the reminders."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.clock import Clock
from core.timezones import ZONES, local_today
from db.engine import Sessions
from schedules.attendance_prompts import plan_due_prompts
from schedules.certificates import CertificateSweep, SweepReport
from schedules.nudges import (
    NudgeConfig,
    PlanOutcome,
    morning_due,
    plan_due_reminders,
    plan_morning_menu,
)
from schedules.quiz_reviews import ReviewPlanner
from schedules.transcripts import TranscriptPlanner

__all__ = ["NudgePlanner", "TickReport", "build_scheduler"]

log = logging.getLogger(__name__)

TICK_SECONDS = 60


@dataclass
class TickReport:
    """The plans one tick looked at."""

    menus: list[PlanOutcome] = field(default_factory=list)
    reminders: list[PlanOutcome] = field(default_factory=list)
    prompts: list[PlanOutcome] = field(default_factory=list)  # attendance, after sessions
    certificates: SweepReport | None = None
    reviews: list[PlanOutcome] = field(default_factory=list)  # quiz questions asked again
    transcripts: list[PlanOutcome] = field(default_factory=list)  # the year's Rekap JP

    @property
    def planned(self) -> list[PlanOutcome]:
        """Plans this tick created."""
        return [p for p in [*self.menus, *self.reminders, *self.prompts]
                if p.status == "planned"]


class NudgePlanner:
    """Decide, for an instant, which nudges must be in the outbox, and put them there.

    Every job takes the instant it runs for (default: the clock's now), so tests move a
    fixed clock and call `tick`. Nothing about the schedule lives in APScheduler's memory
    or a job store: a tick works it out from the calendar and the outbox's own plans,
    which is also how a restart catches up.
    """

    def __init__(
        self, sessions: Sessions, clock: Clock, config: NudgeConfig, *,
        certificates: CertificateSweep | None = None, reviews: ReviewPlanner | None = None,
        transcripts: TranscriptPlanner | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self.config = config
        self.certificates = certificates
        self.reviews = reviews
        self.transcripts = transcripts

    async def morning(self, zone: str, now: datetime | None = None) -> PlanOutcome:
        """The morning menu of the zone's today (the cron job at MORNING_TIME)."""
        now = now or self._clock.now()
        return await plan_morning_menu(
            self._sessions, self.config, day=local_today(now, zone), zone=zone, now=now)

    async def tick(self, now: datetime | None = None) -> TickReport:
        """Plan what is due soon: each zone's morning menu from `lookahead` before its time
        until CATCHUP_HOURS after it (later it is recorded as missed), and the reminders
        of sessions starting soon."""
        now = now or self._clock.now()
        report = TickReport()
        for zone in ZONES:
            days: set[date] = {local_today(now, zone), local_today(now + self.config.lookahead,
                                                                   zone)}
            for day in sorted(days):
                due = morning_due(day, zone, self.config.morning_time)
                if now >= due - self.config.lookahead:
                    report.menus.append(await plan_morning_menu(
                        self._sessions, self.config, day=day, zone=zone, now=now))
        report.reminders = await plan_due_reminders(self._sessions, self.config, now=now)
        report.prompts = await plan_due_prompts(
            self._sessions, self.config, now=now, agency_tz=ZoneInfo(self.config.timezone),
            close=self.config.attendance_close)
        # What comes after sessions: each failure is logged and retried by the next tick,
        # without holding up the other.
        if self.certificates is not None:
            try:
                report.certificates = await self.certificates.run(now)
            except Exception:
                log.exception("the certificate sweep failed; the next tick retries")
        if self.reviews is not None:
            try:
                report.reviews = await self.reviews.run(now)
            except Exception:
                log.exception("planning quiz reviews failed; the next tick retries")
        if self.transcripts is not None:
            try:
                report.transcripts = await self.transcripts.run(now)
            except Exception:
                log.exception("planning the year's Rekap JP failed; the next tick retries")
        return report

    async def catch_up(self, now: datetime | None = None) -> TickReport:
        """At start: plan what was missed while the bot was down, within CATCHUP_HOURS, and
        finish plans a crash interrupted; log what is too late."""
        report = await self.tick(now)
        for p in report.planned:
            log.info("catch-up: planned %s (%d recipients)", p.key, p.recipients)
        return report

    async def run_job(self, what: str, zone: str | None = None) -> None:
        """Run a scheduled job, logging (not raising) a failure: the next tick retries."""
        try:
            if zone is None:
                await self.tick()
            else:
                await self.morning(zone)
        except Exception:
            log.exception("scheduled job %s failed", what)


def build_scheduler(
    planner: NudgePlanner, *, tick_seconds: float = TICK_SECONDS
) -> AsyncIOScheduler:
    """An AsyncIOScheduler with a cron job per zone at MORNING_TIME (Monday–Friday, in the
    zone's own time) and a tick every minute. Start it inside the running loop.

    APScheduler's default misfire grace time is 1 second: a job that starts late is
    silently skipped. Grace is set explicitly (the whole catch-up window for the menus)
    and late runs are coalesced; nothing runs twice at once.
    """
    grace = max(int(planner.config.catchup.total_seconds()), 60)
    rules = {"coalesce": True, "max_instances": 1}
    scheduler = AsyncIOScheduler(job_defaults={**rules, "misfire_grace_time": grace},
                                 timezone="UTC")
    mt = planner.config.morning_time
    for zone, tz in ZONES.items():
        scheduler.add_job(
            planner.run_job, CronTrigger(day_of_week="mon-fri", hour=mt.hour, minute=mt.minute,
                                         second=mt.second, timezone=tz),
            args=("morning", zone), id=f"morning-{zone}", name=f"morning menu {zone}",
            misfire_grace_time=grace, replace_existing=True, **rules,
        )
    scheduler.add_job(
        planner.run_job, IntervalTrigger(seconds=tick_seconds, timezone="UTC"), args=("tick",),
        id="tick", name="plan due nudges", misfire_grace_time=max(int(tick_seconds), 60),
        replace_existing=True, **rules,
    )
    return scheduler
