"""The APScheduler wiring: a cron job per zone at its own 06:30, a tick, explicit misfire rules."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

from core.clock import FixedClock
from db.engine import Sessions
from schedules.nudges import NudgeConfig
from schedules.scheduler import NudgePlanner, build_scheduler
from tests.auxil.outbox import add_people, rows

SUNDAY = date(2026, 11, 22)


def test_jobs_fire_at_half_past_six_in_each_zone(sessions: Sessions) -> None:
    planner = NudgePlanner(sessions, FixedClock(datetime(2026, 11, 22, tzinfo=UTC)),
                           NudgeConfig(catchup=timedelta(hours=2), channels=("telegram",)))
    scheduler = build_scheduler(planner)
    after = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # Sunday noon UTC
    fires = {
        job.id: job.trigger.get_next_fire_time(None, after).astimezone(UTC)
        for job in scheduler.get_jobs() if job.id.startswith("morning")
    }
    assert fires == {
        "morning-WIT": datetime(2026, 11, 22, 21, 30, tzinfo=UTC),
        "morning-WITA": datetime(2026, 11, 22, 22, 30, tzinfo=UTC),
        "morning-WIB": datetime(2026, 11, 22, 23, 30, tzinfo=UTC),
    }
    friday_evening = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    wib = scheduler.get_job("morning-WIB")
    assert wib is not None
    # Not on Saturday or Sunday: the next WIB menu after Friday is Monday's.
    assert wib.trigger.get_next_fire_time(None, friday_evening).astimezone(UTC) == datetime(
        2026, 11, 29, 23, 30, tzinfo=UTC)
    for job in scheduler.get_jobs():
        # APScheduler's default grace of 1 s would drop a job that starts a little late.
        assert job.misfire_grace_time >= 60 and job.coalesce and job.max_instances == 1
    assert wib.misfire_grace_time == 2 * 3600


async def test_the_running_scheduler_ticks(sessions: Sessions) -> None:
    await add_people(sessions, 2)
    at = datetime.combine(SUNDAY, time(23, 25), UTC)  # 06:25 WIB on Monday
    planner = NudgePlanner(sessions, FixedClock(at), NudgeConfig(channels=("telegram",)))
    scheduler = build_scheduler(planner, tick_seconds=0.2)
    scheduler.start()
    try:
        for _ in range(50):
            await asyncio.sleep(0.1)
            if len(await rows(sessions)) == 2:
                break
    finally:
        scheduler.shutdown(wait=False)
    assert {r.not_before for r in await rows(sessions)} == {
        datetime.combine(SUNDAY, time(23, 30), UTC)}
