"""Settings from the environment and an optional `.env` file (flat names, see .env.example)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    telegram_webhook_secret: SecretStr | None = None
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

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        ids = _split_ids(value)
        for item in ids or []:
            if not str(item).lstrip("-").isdigit():
                raise ValueError(f"not a Telegram user id: {item!r}")
        return [str(i) for i in ids or []]

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("telegram_api_url")
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
