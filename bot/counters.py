"""Count what the bot does, for /metrics (`bot.metrics`), without importing it early.

prometheus-client decides at its import whether to keep metrics in memory or in the files of
PROMETHEUS_MULTIPROC_DIR, which `main` sets once the settings are read; the modules that
count are imported before that (the command line's parser composes them), so they reach the
metrics through these functions, which import them at the first count.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "count_outcome", "count_rate_limit", "count_reply", "observe_update", "watch_scheduler",
]


def count_outcome(channel: str, kind: str, status: str, error: str | None) -> None:
    """Count one outbox row's outcome (sent, failed, blocked or skipped)."""
    from bot.metrics import count_outcome as count

    count(channel, kind, status, error)


def count_reply(channel: str, outcome: str) -> None:
    """Count one reply to a person who wrote (sent, failed or blocked)."""
    from bot.metrics import count_reply as count

    count(channel, outcome)


def count_rate_limit(channel: str, scope: str) -> None:
    """Count one 429 (`scope`: channel or chat)."""
    from bot.metrics import count_rate_limit as count

    count(channel, scope)


def observe_update(channel: str, error: str | None, seconds: float | None) -> None:
    """Count one handled incoming message and how long its answer took."""
    from bot.metrics import observe_update as observe

    observe(channel, error, seconds)


def watch_scheduler(scheduler: Any) -> None:
    """Count the runs of an APScheduler's jobs (the metrics are imported at the first)."""
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED

    def listen(event: Any) -> None:
        from bot.metrics import count_job

        if event.code == EVENT_JOB_MISSED:
            count_job(str(event.job_id), "missed")
        else:
            count_job(str(event.job_id), "error" if event.exception is not None else "ok")

    scheduler.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
