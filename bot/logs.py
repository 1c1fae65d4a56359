"""Logging set-up that never writes secrets (tokens appear in Bot API URLs and error texts)
nor whole NIPs; plain lines on stderr, or one JSON object per line on stdout."""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import sys
import threading
import warnings
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

__all__ = [
    "MIN_SECRET", "JsonFormatter", "RedactingFormatter", "Redactor", "log_fields",
    "log_to_file", "setup_logging",
]

log = logging.getLogger(__name__)

MIN_SECRET = 4  # shorter values would blank ordinary words; no real secret is that short

# A NIP (18 digits, or typed in its groups: 8 6 1 3) keeps its first and last four digits,
# as everywhere it is shown without need (handlers.nip.mask_nip).
_NIP = re.compile(r"(?<![0-9])([0-9]{4})[0-9]{4}[ .-]?[0-9]{6}[ .-]?([0-9])[ .-]?([0-9]{3})"
                  r"(?![0-9])")

# What a log line is about, where known (the update or outbox row being handled).
_FIELDS: contextvars.ContextVar[dict[str, object]] = contextvars.ContextVar("log_fields")


@contextlib.contextmanager
def log_fields(**fields: object) -> Iterator[None]:
    """Name what the lines logged in this block are about (update_id=…, row_id=…): the JSON
    format writes them as fields, the text format after the message."""
    token = _FIELDS.set({**_FIELDS.get({}), **fields})
    try:
        yield
    finally:
        _FIELDS.reset(token)


class Redactor:
    """Blanks every known secret, as written and URL-encoded, in any text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._forms: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Blank `secret` from now on (also as it looks inside a URL)."""
        if not secret or len(secret) < MIN_SECRET:
            return
        for form in (secret, quote(secret, safe=""), quote(secret)):
            if form not in self._forms:
                self._forms.append(form)
        # Longest first, so that a secret containing another is blanked whole.
        self._forms.sort(key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, "***")
        return _NIP.sub(_mask_nip, text)


def _mask_nip(match: re.Match[str]) -> str:
    return match.group(1) + "*" * 10 + match.group(2) + match.group(3)


class RedactingFormatter(logging.Formatter):
    """Formats a record whole (message, traceback, stack), then blanks the secrets: an
    exception's text or a traceback line can carry a token as well as the message."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = _FIELDS.get({})
        if fields:
            first, nl, rest = text.partition("\n")
            text = first + " [" + " ".join(f"{k}={v}" for k, v in fields.items()) + "]" + nl + rest
        return self._redact(text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the fields of `log_fields`,
    and the traceback as `exc`; every value through the same redaction as the text form."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_FIELDS.get({}),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # Redacted once serialised: a secret inside any value is blanked, and the blanks
        # never break the JSON (they are plain ASCII).
        return self._redact(json.dumps(entry, ensure_ascii=False, default=str))


def _log_uncaught(
    kind: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    log.critical("unexpected error", exc_info=(kind, exc, tb))


def _log_thread_uncaught(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        log.critical("unexpected error in a thread", exc_info=(
            args.exc_type, args.exc_value, args.exc_traceback))


def _log_unraisable(unraisable: sys.UnraisableHookArgs) -> None:
    exc = unraisable.exc_value
    log.warning("%s: %s", unraisable.err_msg or "Exception ignored", unraisable.object,
                exc_info=(type(exc), exc, unraisable.exc_traceback) if exc else None)


def setup_logging(level: str, secrets: Iterable[str], *, fmt: str = "text") -> Redactor:
    """Log at `level`, blanking `secrets` (add more to the returned Redactor) and NIPs: as
    plain lines on stderr, or (`fmt` "json") one JSON object per line on stdout; route
    warnings and uncaught exceptions through it; quiet the HTTP clients' URL logs."""
    redact = Redactor(secrets)
    if fmt == "json":
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter(redact))
    else:
        handler = logging.StreamHandler()
        handler.setFormatter(RedactingFormatter(redact))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiosqlite logs every statement with its parameters at DEBUG: NIPs, names and the
    # callback key the bot generates would be in the log.
    for noisy in ("httpx", "httpcore", "aiohttp.access", "apscheduler", "alembic", "aiosqlite"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # What Python would print itself goes through the same handler (hooks someone else
    # installed, a test runner's say, stay).
    if warnings.showwarning is getattr(warnings, "_showwarning_orig", None):
        logging.captureWarnings(True)
    if sys.excepthook is sys.__excepthook__:
        sys.excepthook = _log_uncaught
    if threading.excepthook is threading.__excepthook__:
        threading.excepthook = _log_thread_uncaught
    if sys.unraisablehook is sys.__unraisablehook__:
        sys.unraisablehook = _log_unraisable
    return redact


@contextlib.contextmanager
def log_to_file(path: str | Path) -> Iterator[None]:
    """While the block runs, log lines that went to the terminal go to `path` instead (the
    terminal chat: its lines are not interleaved with log lines). The same format and
    redaction; the terminal handlers come back after."""
    root = logging.getLogger()
    terminal = [h for h in root.handlers if type(h) is logging.StreamHandler]
    if not terminal:
        yield
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(target, encoding="utf-8")
    handler.setFormatter(terminal[0].formatter)
    for f in terminal[0].filters:
        handler.addFilter(f)
    for h in terminal:
        root.removeHandler(h)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        handler.close()
        for h in terminal:
            root.addHandler(h)
