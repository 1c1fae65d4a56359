"""The bot's Prometheus metrics and the internal listener's /metrics route.

Counters and histograms are kept by prometheus-client, in this process's memory or, in
multiprocess mode (PROMETHEUS_MULTIPROC_DIR set before the client is first imported:
`bot.metrics_dir`), in files that /metrics adds up across processes. Figures the database
holds (the outbox backlog, open questions, attendance today) and whether this process leads
are read at each scrape, in the async route, and exposed by a collector built for that one
request: prometheus-client's collectors are synchronous and must not query on their own.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client import values as prometheus_values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from core.clock import Clock
from db.engine import Sessions
from db.figures import OutboxBacklog, attendance_since, open_questions, outbox_backlog

__all__ = [
    "ANSWER_SECONDS",
    "MESSAGES",
    "RATE_LIMITED",
    "REPLIES",
    "SCHEDULER_RUNS",
    "UPDATES",
    "Figures",
    "count_job",
    "count_outcome",
    "count_rate_limit",
    "count_reply",
    "metrics_route",
    "multiprocess_dir",
    "observe_update",
    "read_figures",
    "render",
]

log = logging.getLogger(__name__)

MESSAGES = Counter(
    "dahar_ngopi_messages", "Outbox messages by what became of them (sent, failed, blocked: "
    "the person blocked the bot, skipped: expired or stale)", ["channel", "kind", "outcome"])
RATE_LIMITED = Counter(
    "dahar_ngopi_rate_limited", "429 answers from a platform (scope channel: every sender "
    "of the channel pauses; chat: one chat waits)", ["channel", "scope"])
REPLIES = Counter(
    "dahar_ngopi_replies", "Replies to people who just wrote, by what became of them (sent, "
    "failed, blocked)", ["channel", "outcome"])
UPDATES = Counter(
    "dahar_ngopi_updates", "Incoming messages and button presses handled (outcome done or "
    "failed)", ["channel", "outcome"])
ANSWER_SECONDS = Histogram(
    "dahar_ngopi_answer_seconds", "Seconds from an incoming message being stored to its "
    "replies handed to the platform", ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0))
SCHEDULER_RUNS = Counter(
    "dahar_ngopi_scheduler_runs", "Scheduler job runs (outcome ok, error or missed)",
    ["job", "outcome"])

# Counted outbox outcomes; "pending" (a retry or a row given back) is not an outcome yet.
_OUTCOMES = {"sent": "sent", "failed": "failed", "skipped": "skipped"}


def count_outcome(channel: str, kind: str, status: str, error: str | None) -> None:
    """Count one outbox row's outcome (a failure because the person blocked the bot is
    `blocked`, not `failed`)."""
    outcome = _OUTCOMES.get(status)
    if outcome is None:
        return
    if outcome == "failed" and (error or "").startswith("blocked"):
        outcome = "blocked"
    MESSAGES.labels(channel, kind, outcome).inc()


def count_reply(channel: str, outcome: str) -> None:
    """Count one reply to a person who wrote (`outcome`: sent, failed or blocked)."""
    REPLIES.labels(channel, outcome).inc()


def count_rate_limit(channel: str, scope: str) -> None:
    """Count one 429 (`scope`: channel or chat)."""
    RATE_LIMITED.labels(channel, scope).inc()


def observe_update(channel: str, error: str | None, seconds: float | None) -> None:
    """Count one handled incoming message and, when known, how long its answer took."""
    UPDATES.labels(channel, "done" if error is None else "failed").inc()
    if seconds is not None:
        ANSWER_SECONDS.labels(channel).observe(max(0.0, seconds))


def count_job(job: str, outcome: str) -> None:
    """Count one run of a scheduler job (`outcome`: ok, error or missed)."""
    SCHEDULER_RUNS.labels(job, outcome).inc()


def multiprocess_dir() -> str | None:
    """The directory metrics are shared through, when prometheus-client runs in
    multiprocess mode (decided once, when it was first imported)."""
    if prometheus_values.ValueClass is prometheus_values.MutexValue:
        return None
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


@dataclass(eq=False)  # registered in a registry, which hashes it
class Figures(Collector):
    """What one scrape read: the database's figures and this process's leadership."""

    leader: bool
    database_up: bool = True
    backlog: list[OutboxBacklog] = field(default_factory=list)
    questions_open: int = 0
    attendance_today: dict[str, int] = field(default_factory=dict)

    def collect(self) -> Iterator[Metric]:
        """The figures as gauges."""
        yield GaugeMetricFamily("dahar_ngopi_leader", "1 while this process runs the "
                                "scheduler's jobs", value=int(self.leader))
        yield GaugeMetricFamily("dahar_ngopi_database_up", "1 when the database answered "
                                "this scrape's queries", value=int(self.database_up))
        if not self.database_up:
            return
        pending = GaugeMetricFamily("dahar_ngopi_outbox_pending", "Pending outbox rows, due "
                                    "or planned for later", labels=["channel", "priority"])
        due = GaugeMetricFamily("dahar_ngopi_outbox_due", "Outbox rows due and not sent yet "
                                "(the depth of the queue)", labels=["channel", "priority"])
        oldest = GaugeMetricFamily("dahar_ngopi_outbox_oldest_due_seconds", "How long the "
                                   "oldest due row has waited", labels=["channel", "priority"])
        for b in self.backlog:
            labels = [b.channel, str(b.priority)]
            pending.add_metric(labels, b.pending)
            due.add_metric(labels, b.due)
            oldest.add_metric(labels, b.oldest_due_seconds)
        yield from (pending, due, oldest)
        yield GaugeMetricFamily("dahar_ngopi_questions_open", "Questions waiting for an "
                                "admin's answer", value=self.questions_open)
        attendance = GaugeMetricFamily("dahar_ngopi_attendance_today", "Attendance recorded "
                                       "since midnight (TIMEZONE), by the channel it came "
                                       "from", labels=["channel"])
        for channel, n in sorted(self.attendance_today.items()):
            attendance.add_metric([channel], n)
        yield attendance


async def read_figures(sessions: Sessions, clock: Clock, tz: ZoneInfo, leader: bool) -> Figures:
    """Read this scrape's figures (the database's left out, and said so, when it fails)."""
    now = clock.now()
    midnight = datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)
    try:
        async with sessions() as db:
            return Figures(leader, backlog=await outbox_backlog(db, now),
                           questions_open=await open_questions(db),
                           attendance_today=await attendance_since(db, midnight))
    except Exception:
        log.warning("metrics: the database figures could not be read", exc_info=True)
        return Figures(leader, database_up=False)


_PROCESS = ProcessCollector(registry=None)


class _Local(Collector):
    """This process's own metrics (not in multiprocess mode)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def render(figures: Figures, directory: str | None = None) -> bytes:
    """The text exposition: the counters of every process sharing `directory` (in
    multiprocess mode) or of this process, and the figures."""
    registry = CollectorRegistry(auto_describe=False)
    if directory is not None:
        MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
        # The answering process's memory, CPU and open files (the default registry has
        # them, but is not used in this mode).
        registry.register(_PROCESS)
    else:
        registry.register(_Local())
    registry.register(figures)
    return generate_latest(registry)


def _authorised(request: Request, token: str | None) -> bool:
    if token is None:
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # Compared in constant time: the answer's timing tells nothing about the token.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode())


def metrics_route(
    sessions: Sessions, clock: Clock, tz: ZoneInfo, *, leader: Callable[[], bool],
    token: str | None = None,
) -> Route:
    """GET /metrics: Prometheus' text format; with `token`, only for `Authorization:
    Bearer <token>` (401 otherwise)."""
    directory = multiprocess_dir()

    async def metrics(request: Request) -> Response:
        if not _authorised(request, token):
            return PlainTextResponse("unauthorised\n", status_code=401,
                                     headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        figures = await read_figures(sessions, clock, tz, leader())
        # Multiprocess mode reads a file per process and metric: off the event loop.
        body = await asyncio.to_thread(render, figures, directory)
        # The classic text format (0.0.4): what every Prometheus version reads.
        return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)

    return Route("/metrics", metrics, methods=["GET"])
