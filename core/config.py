"""The typed configuration the core reads, built by the runtime from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

__all__ = ["CertificateConfig", "CoreConfig"]


@dataclass(frozen=True)
class CertificateConfig:
    """What goes on an e-certificate and when it is issued (PUBLIC_URL, CERT_*)."""

    # The https base of verification links ({public_url}/verifikasi/{code}); without it no
    # certificate is issued (a QR code must lead somewhere).
    public_url: str | None = None
    delay: timedelta = timedelta(minutes=15)  # after a session with JP ends
    organiser: str = "BPSDM Provinsi Jawa Timur"
    signer_name: str = ""
    signer_position: str = "Kepala BPSDM Provinsi Jawa Timur"
    signature: Path | None = None  # a PNG/JPEG of the signature (and stamp)
    background: Path | None = None  # a full-page A4 landscape image under everything
    logo: Path | None = None
    prefix: str = "DN"  # numbers read DN/2026/000123

    @property
    def enabled(self) -> bool:
        """Whether certificates are issued (PUBLIC_URL is set)."""
        return bool(self.public_url)

    def verify_url(self, code: str) -> str:
        """The verification page of a certificate."""
        return f"{(self.public_url or '').rstrip('/')}/verifikasi/{code}"


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
    certificates: CertificateConfig = field(default_factory=CertificateConfig)

    @property
    def timezone(self) -> str:
        """The zone's name (Asia/Jakarta)."""
        return self.tz.key
