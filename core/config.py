"""The typed configuration the core reads, built by the runtime from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

__all__ = ["CoreConfig"]


@dataclass(frozen=True)
class CoreConfig:
    """What handlers and schedules need to know of the agency's set-up (no secrets)."""

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Jakarta"))  # the agency's zone
    morning_time: time = time(6, 30)
    reminder_minutes: int = 30
    catchup_hours: float = 2.0
    attendance_close: time = time(23, 59)
    question_max_chars: int = 500
    question_rate_per_hour: int = 5
    announcement_progress_seconds: float = 3.0
    announcement_media_dir: Path = Path("./data/announcements")
    # Where admins open the konsol: KONSOL_URL, else the internal listener on this machine
    # (`konsol_local` True: the link works only on the server itself).
    konsol_url: str = "http://127.0.0.1:8081/konsol"
    konsol_local: bool = True

    @property
    def timezone(self) -> str:
        """The zone's name (Asia/Jakarta)."""
        return self.tz.key
