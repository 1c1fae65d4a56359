"""The nightly housekeeping: a daily backup (the last BACKUP_KEEP kept), then the purge."""

from __future__ import annotations

import asyncio
import json
import logging
import time as time_module
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.settings import Settings
from core.clock import Clock
from db.backup import backend, backup_database, sqlite_path, suffix
from db.engine import Sessions
from db.models import AppMeta
from db.purge import PurgeReport, purge_old_rows

__all__ = [
    "DAILY_PREFIX",
    "Maintenance",
    "MaintenanceConfig",
    "backup_dir",
    "rotate_backups",
    "schedule_maintenance",
]

log = logging.getLogger(__name__)

DAILY_PREFIX = "dahar-ngopi-daily-"


def backup_dir(settings: Settings) -> Path:
    """BACKUP_DIR, or by default `backups/` beside the SQLite file (./data/backups on
    PostgreSQL)."""
    if settings.backup_dir:
        return Path(settings.backup_dir)
    if backend(settings.database_url) == "sqlite":
        return sqlite_path(settings.database_url).parent / "backups"
    return Path("data/backups")


@dataclass(frozen=True)
class MaintenanceConfig:
    """What the nightly job needs of the settings."""

    database_url: str
    backup_dir: Path
    backup_time: time
    backup_keep: int  # 0: no daily backup
    tz: ZoneInfo
    retention: timedelta | None  # None: keep everything

    @classmethod
    def from_settings(cls, settings: Settings) -> MaintenanceConfig:
        """Read the settings."""
        days = settings.retention_days
        return cls(settings.database_url, backup_dir(settings), settings.backup_time,
                   settings.backup_keep, settings.tz, timedelta(days=days) if days else None)


def rotate_backups(directory: Path, keep: int, extension: str) -> list[Path]:
    """Delete the oldest daily backups beyond `keep`; return what was deleted.

    Only the daily ones (`dahar-ngopi-daily-YYYY-MM-DD`): backups made by hand stay."""
    daily = sorted(directory.glob(f"{DAILY_PREFIX}*{extension}"))
    gone = daily[:-keep] if keep > 0 else []
    # Copies a crash interrupted (a live one is younger than a day).
    gone += [p for p in directory.glob(f".{DAILY_PREFIX}*.partial")
             if time_module.time() - p.stat().st_mtime > 86400]
    for path in gone:
        path.unlink(missing_ok=True)
    return gone


class Maintenance:
    """The nightly job. Every step is idempotent: a second process doing it finds it done."""

    def __init__(self, config: MaintenanceConfig, sessions: Sessions, clock: Clock) -> None:
        self.config = config
        self._sessions = sessions
        self._clock = clock

    def daily_path(self, now: datetime) -> Path:
        """Where the backup of `now`'s day (in TIMEZONE) goes."""
        day = now.astimezone(self.config.tz).date()
        return self.config.backup_dir / f"{DAILY_PREFIX}{day.isoformat()}" \
            f"{suffix(self.config.database_url)}"

    async def daily_backup(self, now: datetime | None = None) -> Path | None:
        """Back up once per day and rotate; None when off or already done today."""
        now = now or self._clock.now()
        if self.config.backup_keep <= 0:
            return None
        path = self.daily_path(now)
        if await asyncio.to_thread(path.exists):
            return None
        result = await backup_database(self.config.database_url, path)
        gone = await asyncio.to_thread(rotate_backups, self.config.backup_dir,
                                       self.config.backup_keep, path.suffix)
        log.info("daily backup written: %s (%d bytes); %d old backups removed", path,
                 result.size, len(gone))
        await self._remember("backup:last", {"file": path.name, "bytes": result.size,
                                             "at": now.isoformat()})
        return path

    async def purge(self, now: datetime | None = None) -> PurgeReport | None:
        """Delete rows past their retention; None when RETENTION_DAYS is 0."""
        if self.config.retention is None:
            return None
        now = now or self._clock.now()
        report = await purge_old_rows(self._sessions, now=now, retention=self.config.retention)
        log.info("purged %d old rows: %s", report.total, report.as_dict())
        await self._remember("purge:last", {**report.as_dict(), "at": now.isoformat()})
        return report

    async def nightly(self) -> None:
        """The scheduled job: the backup, then the purge (a failure of one is logged, and
        the other still runs; tomorrow's run tries again)."""
        try:
            await self.daily_backup()
        except Exception:
            log.exception("the daily backup failed")
        try:
            await self.purge()
        except Exception:
            log.exception("purging old rows failed")

    async def _remember(self, key: str, value: dict[str, object]) -> None:
        """Keep the last outcome in app_meta (what an operator or a probe can read)."""
        try:
            async with self._sessions() as db, db.begin():
                await db.merge(AppMeta(key=key, value=json.dumps(value)))
        except Exception:
            log.warning("could not record %s", key, exc_info=True)


def schedule_maintenance(
    scheduler: BaseScheduler, settings: Settings, sessions: Sessions, clock: Clock
) -> Maintenance:
    """Add the nightly job at BACKUP_TIME (TIMEZONE) to `scheduler`."""
    job = Maintenance(MaintenanceConfig.from_settings(settings), sessions, clock)
    at = settings.backup_time
    scheduler.add_job(
        job.nightly, CronTrigger(hour=at.hour, minute=at.minute, timezone=settings.tz),
        id="maintenance", name="daily backup and purge", replace_existing=True,
        coalesce=True, max_instances=1, misfire_grace_time=3600,
    )
    return job
