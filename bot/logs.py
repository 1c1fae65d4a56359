"""Logging set-up that never writes secrets (tokens appear in Bot API URLs)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["RedactSecrets", "log_to_file", "setup_logging"]


class RedactSecrets(logging.Filter):
    """Replace every configured secret in a log record by '***'."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s and len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            if any(s in message for s in self._secrets):
                for s in self._secrets:
                    message = message.replace(s, "***")
                record.msg, record.args = message, None
        return True


def setup_logging(level: str, secrets: Iterable[str]) -> None:
    """Log to stderr at `level`, redacting `secrets`; quiet the HTTP client's URL logs."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "aiohttp.access", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


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
