"""Start-up problems as one clear line with an exit code, and the database checks behind them."""

from __future__ import annotations

import errno
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.settings import Settings
from db.engine import Sessions
from db.migrate import current_revision, head_revision, upgrade_async
from db.models import AppMeta

__all__ = [
    "OTHER",
    "SETTING",
    "StartupError",
    "database_label",
    "explain",
    "migrate",
    "open_existing",
    "secrets_of",
    "stored_callback_key",
]

SETTING = 2  # exit code: a setting is wrong (fix the configuration)
OTHER = 1  # exit code: anything else (the network, the database, a busy port)

HOW_TO_SET = (
    "set DATABASE_URL to the bot's database (e.g. "
    "DATABASE_URL=sqlite+aiosqlite:////srv/dahar-ngopi/data/dahar_ngopi.db), "
    "or run the command in the bot's folder"
)


class StartupError(Exception):
    """A problem that stops the program: `str()` is the one line the operator reads."""

    def __init__(self, message: str, code: int = OTHER) -> None:
        super().__init__(message)
        self.code = code


def secrets_of(settings: Settings) -> list[str]:
    """Every secret in the settings, to keep out of all output."""
    found = [
        s.get_secret_value()
        for s in (settings.telegram_bot_token, settings.callback_secret,
                  settings.whatsapp_access_token, settings.whatsapp_app_secret,
                  settings.telegram_webhook_secret, settings.metrics_token)
        if s is not None
    ]
    if settings.whatsapp_verify_token:
        found.append(settings.whatsapp_verify_token)
    password = make_url(settings.database_url).password
    if password:
        found.append(str(password))
    return found


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database or "").expanduser().resolve()


def database_label(url: str) -> str:
    """Which database `url` is, for the operator: the absolute path of a SQLite file, or the
    URL with its password hidden."""
    path = _sqlite_file(url)
    if path is not None:
        return str(path)
    return make_url(url).render_as_string(hide_password=True)


def explain(exc: BaseException) -> str:
    """One line about an unexpected failure (a database error without its SQL)."""
    orig = getattr(exc, "orig", None) if isinstance(exc, SQLAlchemyError) else None
    if isinstance(orig, BaseException):
        exc = orig
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror + (f": {exc.filename}" if exc.filename else "")
    else:
        text = str(exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = lines[0] if lines else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _cannot_open(url: str, exc: BaseException) -> StartupError:
    reason = explain(exc)
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EROFS):
        reason += " (check the folder's permissions)"
    return StartupError(f"cannot open the database {database_label(url)}: {reason}")


async def migrate(url: str) -> None:
    """Create the database if needed and bring it to the current schema."""
    try:
        await upgrade_async(url)
    except (OSError, SQLAlchemyError) as exc:
        raise _cannot_open(url, exc) from exc


async def open_existing(url: str) -> None:
    """Check that the bot's database is where `url` says, at the current schema; never
    create one (commands that only read must not quietly start an empty database)."""
    path = _sqlite_file(url)
    if path is not None and not path.is_file():
        raise StartupError(
            f"no database at {path}: this command only reads an existing one; {HOW_TO_SET}",
            SETTING,
        )
    try:
        found = await current_revision(url)
    except (OSError, SQLAlchemyError) as exc:
        raise _cannot_open(url, exc) from exc
    wanted = head_revision()
    if found is None:
        raise StartupError(
            f"{database_label(url)} is not a Dahar Ngopi database (no tables); {HOW_TO_SET}",
            SETTING,
        )
    if found != wanted:
        raise StartupError(
            f"the database {database_label(url)} is at revision {found}, this version needs "
            f"{wanted}: run `dahar-ngopi db upgrade` first (or start the bot, which does it)"
        )


async def stored_callback_key(sessions: Sessions) -> str | None:
    """The callback key the bot generated and keeps in the database (a secret too)."""
    async with sessions() as s:
        row = await s.get(AppMeta, "callback_key")
    return row.value if row is not None else None
