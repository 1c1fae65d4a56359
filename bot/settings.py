"""Settings from the environment and an optional `.env` file (flat names, see .env.example)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.whatsapp.numbers import normalize_number

__all__ = ["Settings", "SettingsError", "load_settings"]


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it in one line."""


# The databases the bot runs on, by URL scheme, with the async driver each needs.
_DATABASE_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}
_DATABASE_FORMS = "sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER:PASSWORD@HOST:PORT/NAME"


def _split_ids(value: Any) -> Any:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, int):
        return [str(value)]
    return value


class Settings(BaseSettings):
    """Every setting of the bot; built once in `main` and passed down."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_url: str | None = None  # set to receive updates by webhook instead of polling
    telegram_webhook_secret: SecretStr | None = Field(default=None, validate_default=True)
    database_url: str = "sqlite+aiosqlite:///./data/dahar_ngopi.db"
    timezone: str = "Asia/Jakarta"
    admin_telegram_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: str = "INFO"
    # "json": one JSON object per line on stdout (for a log collector); "text" on stderr.
    log_format: Literal["text", "json"] = "text"
    # While the terminal chat runs, log lines go here instead of between its lines.
    log_file: str = "./data/dahar-ngopi.log"
    callback_secret: SecretStr | None = None

    morning_time: time = time(6, 30)
    reminder_minutes: int = Field(default=30, ge=0, le=24 * 60)
    catchup_hours: float = Field(default=2.0, ge=0)
    telegram_rate: float = Field(default=30.0, gt=0)
    telegram_chat_rate: float = Field(default=1.0, gt=0)
    telegram_paid_broadcast: bool = False
    sample_calendar: bool = True

    # --- whatsapp ---
    whatsapp_access_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_app_secret: SecretStr | None = None  # verifies X-Hub-Signature-256 on webhooks
    whatsapp_verify_token: str | None = None  # echoed back in the webhook handshake
    whatsapp_api_url: str = "https://graph.facebook.com/v23.0"
    admin_whatsapp_numbers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    whatsapp_template_menu: str = "dahar_ngopi_menu"
    whatsapp_template_reminder: str = "dahar_ngopi_pengingat"
    whatsapp_template_attendance: str = "dahar_ngopi_presensi"
    whatsapp_template_announcement: str = "dahar_ngopi_pengumuman"
    whatsapp_template_answer: str = "dahar_ngopi_jawaban"
    whatsapp_template_certificate: str = "dahar_ngopi_sertifikat"
    whatsapp_template_language: str = "id"
    whatsapp_rate: float = Field(default=80.0, gt=0)  # messages per second per business number
    whatsapp_pair_interval: float = Field(default=6.0, ge=0)  # seconds between two to one person
    http_host: str = "0.0.0.0"
    http_port: int = Field(default=8080, ge=0, le=65535)  # 0: any free port (tests)
    # Another process takes over the scheduler within this many seconds of its leader dying.
    leader_timeout: float = Field(default=15.0, ge=3.0, le=600.0)

    # --- the two listeners and the konsol ---
    # The internal listener: the konsol (and health routes); never exposed by default.
    admin_http_host: str = "127.0.0.1"
    admin_http_port: int = Field(default=8081, ge=0, le=65535)  # 0: any free port (tests)
    # The https address of the public listener: the base of webhook and verification links
    # (certificates' QR codes).
    public_url: str | None = None
    # Where admins reach the konsol (through the agency's reverse proxy or VPN): the base of
    # login links. Without it, links point at the internal listener on this machine.
    konsol_url: str | None = None
    # Proxy headers (X-Forwarded-For/-Proto) are trusted only from these addresses.
    forwarded_allow_ips: str = "127.0.0.1"

    # --- questions ---
    question_max_chars: int = Field(default=500, ge=50, le=1000)  # longer /tanya texts refused
    question_rate_per_hour: int = Field(default=5, ge=1)  # questions one person may file per hour
    # --- attendance ---
    # Attendance closes at this time of the session's day, in TIMEZONE (a session's
    # tutup_presensi in the calendar overrides it).
    attendance_close: time = time(23, 59)

    # --- announcements ---
    # The admin's progress message is edited at most this often while a broadcast runs.
    announcement_progress_seconds: float = Field(default=3.0, ge=2.0, le=300.0)
    # Local copies of announcement files, uploaded once by channels that cannot reuse the
    # file id the admin's channel gave (and files given to `dahar-ngopi umumkan --file`).
    announcement_media_dir: str = "./data/announcements"

    # --- certificates (their QR codes lead to {PUBLIC_URL}/verifikasi/{code}; without
    # PUBLIC_URL no certificate is issued) ---
    cert_delay: int = Field(default=15, ge=0, le=24 * 60)  # minutes after a session ends
    cert_organiser: str = Field(default="BPSDM Provinsi Jawa Timur", min_length=3,
                                max_length=200)
    cert_signer_name: str = Field(default="", max_length=120)
    cert_signer_position: str = Field(default="Kepala BPSDM Provinsi Jawa Timur",
                                      max_length=200)
    cert_signature: Path | None = None  # PNG/JPEG of the signature (with the stamp)
    cert_background: Path | None = None  # A4 landscape PNG/JPEG under everything
    cert_logo: Path | None = None

    # --- operations: backups and retention (docs/deploy.md) ---
    # Daily backups go here (empty: `backups/` beside the SQLite file; ./data/backups
    # on PostgreSQL); BACKUP_KEEP of them are kept, 0 turns the daily backup off.
    backup_dir: str = ""
    backup_time: time = time(2, 0)  # in TIMEZONE; the purge of old rows follows it
    backup_keep: int = Field(default=14, ge=0, le=3650)
    # Outbox rows with an outcome and expired link codes are deleted after this many days
    # (0: never).
    retention_days: int = Field(default=90, ge=0, le=3650)
    # /metrics on the internal listener asks for `Authorization: Bearer <METRICS_TOKEN>`
    # when set (docs/metrics.md).
    metrics_token: SecretStr | None = None

    # --- operations: alerts to the owners (docs/deploy.md, "What to watch") ---
    alert_check_seconds: float = Field(default=30.0, gt=0, le=3600)  # how often to check
    alert_repeat_minutes: float = Field(default=30.0, gt=0, le=24 * 60)  # one per kind per
    alert_failure_percent: float = Field(default=5.0, gt=0, le=100)  # deliveries failing above
    alert_failure_minutes: float = Field(default=10.0, gt=0, le=24 * 60)  # ... over this window
    alert_failure_min: int = Field(default=20, ge=1)  # ... out of at least this many outcomes
    alert_waiting_minutes: float = Field(default=5.0, gt=0, le=24 * 60)  # replies/reminders due
    alert_receive_minutes: float = Field(default=2.0, gt=0, le=24 * 60)  # receiving failing
    alert_webhook_pending: int = Field(default=100, ge=1)  # updates Telegram holds for us
    alert_resolved: bool = True  # say once when a problem alerted about is over

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        ids = _split_ids(value)
        for item in ids or []:
            if not str(item).lstrip("-").isdigit():
                raise ValueError(f"not a Telegram user id: {item!r}")
        return [str(i) for i in ids or []]

    @field_validator("telegram_webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        # Telegram delivers only to https://; plain http is allowed to this machine,
        # for a local Bot API server or a test.
        local = ("http://127.0.0.1", "http://localhost", "http://[::1]")
        if value and not value.startswith(("https://", *local)):
            raise ValueError("Telegram delivers webhooks only to https:// URLs")
        return value or None

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        secret = value.get_secret_value() if value is not None else ""
        if info.data.get("telegram_webhook_url") and not secret:
            raise ValueError("required when TELEGRAM_WEBHOOK_URL is set")
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ValueError("use 1-256 characters A-Z, a-z, 0-9, _ and -")
        return value if secret else None

    @field_validator("admin_whatsapp_numbers", mode="before")
    @classmethod
    def _numbers(cls, value: Any) -> Any:
        return [normalize_number(str(n)) for n in _split_ids(value) or []]

    @field_validator(
        "whatsapp_template_menu",
        "whatsapp_template_reminder",
        "whatsapp_template_attendance",
        "whatsapp_template_announcement",
        "whatsapp_template_answer",
        "whatsapp_template_certificate",
    )
    @classmethod
    def _template_name(cls, value: str) -> str:
        # Meta accepts only lowercase letters, digits and underscores in template names.
        if not re.fullmatch(r"[a-z0-9_]{1,512}", value):
            raise ValueError(f"not a template name (use a-z, 0-9 and _): {value!r}")
        return value

    @field_validator("whatsapp_template_language")
    @classmethod
    def _language(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", value):
            raise ValueError(f"not a template language code (id, en_US): {value!r}")
        return value

    @field_validator("whatsapp_phone_number_id")
    @classmethod
    def _phone_number_id(cls, value: str | None) -> str | None:
        if value is not None and not value.strip().isdigit():
            raise ValueError("must be the numeric phone number ID from the app dashboard")
        return value.strip() if value is not None else None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        # Plain http only to this machine (a local test); platforms and people's phones
        # (certificates' QR codes) open https addresses.
        local = ("http://127.0.0.1", "http://localhost", "http://[::1]")
        if not value.startswith(("https://", *local)):
            raise ValueError("must be an https:// URL (people open it from a QR code)")
        return value.rstrip("/")

    @field_validator("konsol_url")
    @classmethod
    def _konsol_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// inside a private network)")
        # The konsol is served under /konsol; a proxy passes paths on unchanged.
        base = value.rstrip("/")
        return base if base.endswith("/konsol") else base + "/konsol"

    @field_validator("telegram_api_url", "whatsapp_api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        # Never echo the URL: it may carry a password.
        scheme, sep, rest = value.strip().partition("://")
        if not sep:
            raise ValueError(f"not a database URL; use {_DATABASE_FORMS}")
        driver = _DATABASE_DRIVERS.get(scheme.lower())
        if driver is None:
            name = scheme if re.fullmatch(r"[A-Za-z0-9+_.-]{1,40}", scheme) else "?"
            raise ValueError(f"unsupported database {name!r}; use {_DATABASE_FORMS}")
        url = f"{driver}://{rest}"
        try:
            make_url(url)
        except (ArgumentError, ValueError):
            raise ValueError(f"not a database URL; use {_DATABASE_FORMS}") from None
        return url

    @field_validator("cert_signature", "cert_background", "cert_logo", mode="before")
    @classmethod
    def _image(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        path = Path(str(value)).expanduser()
        try:
            with path.open("rb") as f:
                head = f.read(8)
        except OSError:
            raise ValueError(f"cannot read the image {str(path)!r}") from None
        if not head.startswith((b"\x89PNG", b"\xff\xd8\xff")):
            raise ValueError(f"{str(path)!r} is not a PNG or JPEG image")
        return path

    @field_validator("retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        # Planners and status webhooks look back a few days; a week is the least safe.
        if 0 < value < 7:
            raise ValueError("use 0 (keep forever) or at least 7 days")
        return value

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token(cls, value: SecretStr | None) -> SecretStr | None:
        token = value.get_secret_value() if value is not None else ""
        if not token:
            return None  # `METRICS_TOKEN=` as in .env.example: no token asked
        # It travels in a header: visible characters only; short ones are guessed.
        if not re.fullmatch(r"[\x21-\x7e]{16,256}", token):
            raise ValueError("use 16-256 visible characters without spaces "
                             "(e.g. `openssl rand -hex 24`)")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return level

    @property
    def tz(self) -> ZoneInfo:
        """The agency's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def konsol_local_url(self) -> str:
        """The konsol on the internal listener, as reached from this machine."""
        host = self.admin_http_host
        if host in ("0.0.0.0", "", "::"):
            host = "127.0.0.1"
        elif ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.admin_http_port}/konsol"

    @property
    def telegram_enabled(self) -> bool:
        """Whether a Telegram token is configured."""
        return bool(self.telegram_bot_token and self.telegram_bot_token.get_secret_value())


    @property
    def whatsapp_enabled(self) -> bool:
        """Whether a WhatsApp access token and phone number ID are configured."""
        return bool(
            self.whatsapp_access_token
            and self.whatsapp_access_token.get_secret_value()
            and self.whatsapp_phone_number_id
        )

    @property
    def whatsapp_partly_configured(self) -> bool:
        """Some WhatsApp settings are set, but not all four that sending and receiving need."""
        return len(self.whatsapp_missing()) < 4 and bool(self.whatsapp_missing())

    def whatsapp_missing(self) -> list[str]:
        """Names of the settings still missing to send and receive on WhatsApp."""
        missing = []
        if not (self.whatsapp_access_token and self.whatsapp_access_token.get_secret_value()):
            missing.append("WHATSAPP_ACCESS_TOKEN")
        if not self.whatsapp_phone_number_id:
            missing.append("WHATSAPP_PHONE_NUMBER_ID")
        if not (self.whatsapp_app_secret and self.whatsapp_app_secret.get_secret_value()):
            missing.append("WHATSAPP_APP_SECRET")
        if not self.whatsapp_verify_token:
            missing.append("WHATSAPP_VERIFY_TOKEN")
        return missing


def load_settings(
    environ: Mapping[str, str] | None = None, *, env_file: str | Path | None = ".env"
) -> Settings:
    """Build settings from `environ` (default: the process environment) and `.env`.

    Raises `SettingsError` with one line naming the bad setting.
    """
    try:
        if environ is None:
            return Settings(_env_file=env_file)
        lowered: dict[str, Any] = {
            k.lower(): v for k, v in environ.items() if k.lower() in Settings.model_fields
        }
        # An impossible prefix keeps the process environment out: only `environ` counts.
        return Settings(_env_file=None, _env_prefix="__DAHAR_NGOPI_NO_ENV__", **lowered)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]).upper() if err["loc"] else "?"
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"setting {name} is invalid: {msg}") from None
