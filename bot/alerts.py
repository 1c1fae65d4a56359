"""Alerts to the owners: every process checks every ALERT_CHECK_SECONDS; a problem goes to
every owner chat at the outbox's top priority and always to the log, at most once per kind
per ALERT_REPEAT_MINUTES across all processes (the last send is claimed in `app_meta`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.alert_checks import (
    ALL_PRIORITIES,
    WAITING_PRIORITIES,
    AlertConfig,
    Problem,
    delivery_problem,
    leader_problem,
    receive_problem,
    resolved_text,
    waiting_problem,
)
from bot.leader import Leadership
from bot.receiving import Watched
from core.channels import Channels
from core.clock import Clock
from core.html_check import visible_text
from core.outbox import Priority, enqueue
from core.types import Reply, TemplateRef
from db.alerts import (
    claim_alert,
    delivery_outcomes,
    leader_alive,
    overdue,
    owner_chats,
    resolve_alert,
)
from db.engine import Sessions
from db.heartbeats import STALE_AFTER

__all__ = ["ALERT_KIND", "Alerts"]

log = logging.getLogger(__name__)

ALERT_KIND = "alert"  # the outbox rows' kind
_TEMPLATE_PARAM_LIMIT = 900  # a template parameter's characters (WhatsApp outside its window)


class Alerts:
    """The checks of one process, and the owners told about what they find."""

    def __init__(
        self, sessions: Sessions, clock: Clock, channels: Channels, config: AlertConfig, *,
        watched: Mapping[str, Watched] | None = None, leadership: Leadership | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._channels = channels
        self.config = config
        # The channels this process receives on: only it knows how their receiving goes.
        self._watched = dict(watched or {})
        # Without one, this process does not take part in the leadership: no opinion on it.
        self._leadership = leadership
        self._leaderless_since: datetime | None = None
        self.sent: list[str] = []  # kinds this process told the owners about
        self.resolved: list[str] = []  # kinds this process said were over
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Check every `config.interval` seconds (the first after one interval: the process
        has just joined the leadership and its channels)."""
        self._task = asyncio.create_task(self._run(), name="alerts")

    async def stop(self) -> None:
        """Stop checking."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.config.interval)
            try:
                await self.check()
            except Exception:
                log.exception("checking for alerts failed; will retry")

    async def check(self) -> list[Problem]:
        """Run every check once; tell the owners about new problems (and, with
        ALERT_RESOLVED, about those that are over); return the problems found."""
        now = self._clock.now()
        found, clear = await self._database_checks(now)
        for name, channel in self._watched.items():
            if not channel.receiving:
                continue
            try:
                trouble = await channel.receive_trouble(
                    longer_than=self.config.receive, pending_limit=self.config.webhook_pending)
            except Exception:
                log.exception("checking how receiving on %s goes failed", name)
                continue
            if trouble is None:
                clear.append(f"receive:{name}")
            else:
                found.append(receive_problem(name, self._channels.label(name), trouble,
                                             self.config))
        for problem in found:
            await self._raise(problem, now)
        if self.config.resolved:
            for kind in clear:
                await self._resolve(kind, now)
        return found

    async def _database_checks(self, now: datetime) -> tuple[list[Problem], list[str]]:
        """Deliveries failing, urgent rows waiting, no leader: (problems, clear kinds)."""
        config = self.config
        delivering = self._channels.delivering()
        async with self._sessions() as db:
            outcomes = await delivery_outcomes(db, channels=delivering, priorities=ALL_PRIORITIES,
                                               since=now - config.failure_window, now=now)
            late = await overdue(db, channels=delivering, priorities=WAITING_PRIORITIES,
                                 before=now - config.waiting, now=now)
            # A heartbeat is written every few seconds: one older than its usual staleness
            # (or LEADER_TIMEOUT, if longer) is a dead leader's.
            stale = max(config.leader_timeout, STALE_AFTER)
            led = (await leader_alive(db, now=now, stale_after=stale)
                   if self._leadership is not None else None)
        found: list[Problem] = []
        clear: list[str] = []
        for channel, figures in outcomes.items():
            problem = delivery_problem(channel, self._channels.label(channel), figures, config)
            _sort(problem, f"delivery:{channel}", found, clear)
        labels = {c: self._channels.label(c) for c in delivering}
        _sort(waiting_problem(late, labels, now, config), "waiting", found, clear)
        if led is not None:
            _sort(self._leader(led, now), "leader", found, clear)
        return found, clear

    def _leader(self, led: bool, now: datetime) -> Problem | None:
        """No live leader for longer than LEADER_TIMEOUT (seen by this process)."""
        if led:
            self._leaderless_since = None
            return None
        since = self._leaderless_since = self._leaderless_since or now
        if now - since <= self.config.leader_timeout:
            return None
        return leader_problem(since, now, self.config)

    async def _raise(self, problem: Problem, now: datetime) -> None:
        """Log the problem; tell the owners unless told within ALERT_REPEAT_MINUTES."""
        config = self.config
        async with self._sessions() as db, db.begin():
            if not await claim_alert(db, problem.kind, now=now, every=config.repeat):
                log.warning("%s (the owners were told within the last %.0f min)", problem.log,
                            config.repeat.total_seconds() / 60)
                return
            told = await self._tell(db, problem.kind, problem.text, now)
        self.sent.append(problem.kind)
        log.error("%s; told the owners in %d chat(s)", problem.log, told)

    async def _resolve(self, kind: str, now: datetime) -> None:
        """Say once that an alerted problem is over."""
        async with self._sessions() as db, db.begin():
            if not await resolve_alert(db, kind):
                return
            labels = {c: self._channels.label(c) for c in self._channels}
            told = await self._tell(db, f"{kind}:ok", resolved_text(kind, labels), now)
        self.resolved.append(kind)
        log.warning("alert over: %s; told the owners in %d chat(s)", kind, told)

    async def _tell(self, db: AsyncSession, kind: str, text: str, now: datetime) -> int:
        """Write the message to every owner chat (in the caller's transaction)."""
        channels = self._channels
        chats = await owner_chats(
            db, channels.owners(), delivering=channels.delivering(),
            user_is_chat=[c.name for c in channels.values() if c.user_is_chat])
        if not chats:
            log.warning("no owner to tell about %s: set ADMIN_TELEGRAM_IDS or "
                        "ADMIN_WHATSAPP_NUMBERS", kind)
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
        plain = " ".join(visible_text(text).split())
        if len(plain) > _TEMPLATE_PARAM_LIMIT:
            plain = plain[: _TEMPLATE_PARAM_LIMIT - 1].rstrip() + "…"
        for channel, chat, person in chats:
            # Outside WhatsApp's window only a template carries it: the announcement's.
            template = TemplateRef("announcement", (plain,)) if channels[channel].templates \
                else None
            await enqueue(db, key=f"alert:{kind}:{stamp}:{channel}:{chat}", person_id=person,
                          channel=channel, chat_id=chat, kind=ALERT_KIND, reply=Reply(text),
                          now=now, priority=Priority.REPLY, expires_at=now + self.config.repeat,
                          template=template)
        return len(chats)


def _sort(problem: Problem | None, kind: str, found: list[Problem], clear: list[str]) -> None:
    if problem is None:
        clear.append(kind)
    else:
        found.append(problem)
