"""The nightly job: one backup a day, the last BACKUP_KEEP kept, then the purge."""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.maintenance import Maintenance, MaintenanceConfig, backup_dir, schedule_maintenance
from bot.settings import Settings, SettingsError
from core.clock import FixedClock
from db.engine import create_engine, create_sessions
from db.models import AppMeta
from tests.auxil.databases import need_pg_tools

NIGHT = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # 02:00 WIB on Tuesday 24 November


@asynccontextmanager
async def _maintenance(settings: Settings, clock: FixedClock) -> AsyncIterator[Maintenance]:
    engine = create_engine(settings.database_url)
    try:
        yield Maintenance(MaintenanceConfig.from_settings(settings), create_sessions(engine),
                          clock)
    finally:
        await engine.dispose()


async def test_one_backup_a_day_and_only_the_last_ones_kept(
    make_settings: Callable[..., Settings], tmp_path: Path, db_url: str
) -> None:
    settings = make_settings({"BACKUP_DIR": str(tmp_path / "nightly"), "BACKUP_KEEP": "3"})
    if not db_url.startswith("sqlite"):  # pg_dump's custom format, when the tools are here
        await need_pg_tools(db_url)
    ext = ".sqlite3" if db_url.startswith("sqlite") else ".dump"
    clock = FixedClock(NIGHT)
    folder = tmp_path / "nightly"
    folder.mkdir()
    for day in ("2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"):
        (folder / f"dahar-ngopi-daily-{day}{ext}").write_bytes(b"old")
    by_hand = folder / f"dahar-ngopi-20261101-101500{ext}"
    by_hand.write_bytes(b"made by hand")
    crashed = folder / f".dahar-ngopi-daily-2026-11-20{ext}.77-ab.partial"
    crashed.write_bytes(b"half")
    os.utime(crashed, (1e9, 1e9))
    in_progress = folder / f".dahar-ngopi-daily-2026-11-24{ext}.88-cd.partial"
    in_progress.write_bytes(b"being written by another process")
    async with _maintenance(settings, clock) as job:
        path = await job.daily_backup()
        assert path == folder / f"dahar-ngopi-daily-2026-11-24{ext}"  # the day in WIB
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert sorted(p.name for p in folder.iterdir()) == [
            in_progress.name, by_hand.name, f"dahar-ngopi-daily-2026-11-21{ext}",
            f"dahar-ngopi-daily-2026-11-22{ext}", f"dahar-ngopi-daily-2026-11-24{ext}",
        ]
        # A second process (or a restart) the same day finds it done.
        clock.advance(timedelta(hours=3))
        assert await job.daily_backup() is None
        async with job._sessions() as db:
            row = await db.get(AppMeta, "backup:last")
        assert row is not None
        assert json.loads(row.value)["file"] == f"dahar-ngopi-daily-2026-11-24{ext}"


async def test_the_purge_runs_even_when_the_backup_fails(
    make_settings: Callable[..., Settings], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backups should go")
    settings = make_settings({"BACKUP_DIR": str(blocker)})
    async with _maintenance(settings, FixedClock(NIGHT)) as job:
        with caplog.at_level(logging.INFO, logger="bot.maintenance"):
            await job.nightly()
    messages = [r.getMessage() for r in caplog.records]
    assert any(r.levelno == logging.ERROR and "daily backup failed" in r.getMessage()
               for r in caplog.records)
    assert any(m.startswith("purged 0 old rows") for m in messages)


async def test_off_switches(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    settings = make_settings({"BACKUP_KEEP": "0", "RETENTION_DAYS": "0",
                              "BACKUP_DIR": str(tmp_path / "b")})
    async with _maintenance(settings, FixedClock(NIGHT)) as job:
        assert await job.daily_backup() is None and await job.purge() is None
    assert not (tmp_path / "b").exists()


async def test_the_job_runs_nightly_at_backup_time_in_the_agencys_zone(
    make_settings: Callable[..., Settings], db_url: str
) -> None:
    settings = make_settings({"BACKUP_TIME": "03:15", "TIMEZONE": "Asia/Makassar"})
    scheduler = AsyncIOScheduler(timezone="UTC")
    engine = create_engine(db_url)
    schedule_maintenance(scheduler, settings, create_sessions(engine), FixedClock(NIGHT))
    await engine.dispose()
    job = scheduler.get_job("maintenance")
    fire = job.trigger.get_next_fire_time(None, NIGHT)
    assert fire == datetime(2026, 11, 23, 19, 15, tzinfo=UTC)  # 03:15 WITA
    # By default the backups sit beside the SQLite file (on PostgreSQL: ./data/backups).
    beside = (Path(db_url.removeprefix("sqlite+aiosqlite:///")).parent
              if db_url.startswith("sqlite") else Path("data"))
    assert backup_dir(settings) == beside / "backups"


def test_settings(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    assert (settings.backup_keep, settings.retention_days) == (14, 90)
    assert settings.backup_time.strftime("%H:%M") == "02:00"
    with pytest.raises(SettingsError, match="RETENTION_DAYS is invalid: use 0"):
        make_settings({"RETENTION_DAYS": "3"})
    with pytest.raises(SettingsError, match="BACKUP_KEEP"):
        make_settings({"BACKUP_KEEP": "-1"})
    pg = make_settings({"DATABASE_URL": "postgresql+asyncpg://bot@db/bot"})
    assert backup_dir(pg) == Path("data/backups")
