"""Settings from the environment and an optional `.env` file (flat names, see .env.example)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.whatsapp.numbers import normalize_number

__all__ = ["Settings", "SettingsError", "load_settings"]


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it in one line."""


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
    whatsapp_template_language: str = "id"
    whatsapp_rate: float = Field(default=80.0, gt=0)  # messages per second per business number
    whatsapp_pair_interval: float = Field(default=6.0, ge=0)  # seconds between two to one person
    http_host: str = "0.0.0.0"
    http_port: int = Field(default=8080, ge=0, le=65535)  # 0: any free port (tests)
    # Another process takes over the scheduler within this many seconds of its leader dying.
    leader_timeout: float = Field(default=15.0, ge=3.0, le=600.0)

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

    @field_validator("telegram_api_url", "whatsapp_api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

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
