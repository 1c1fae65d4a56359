"""Split webhook bodies into one stored message each, and work through the stored inbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

from bot.whatsapp.webhook import parse_webhook
from core.clock import Clock
from db.engine import Sessions
from db.inbox import InboxItem, claim_inbox, inbox_counts, purge_inbox
from db.models import InboxMessage

__all__ = ["InboxProcessor", "split_messages"]

log = logging.getLogger(__name__)

# Meta re-delivers a webhook for up to 7 days: keep the wamids a little longer.
KEEP_FOR = timedelta(days=8)
PURGE_EVERY = 3600.0  # seconds


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def split_messages(body: Mapping[str, Any], *, phone_number_id: str | None) -> list[InboxItem]:
    """One inbox item per message a person sent: a webhook body holding only that message
    (and its sender's contact), keyed by its wamid.

    Statuses, reactions, edits and account events are not stored: they need no answer.
    """
    if body.get("object") != "whatsapp_business_account":
        return []
    items: list[InboxItem] = []
    for entry in map(_map, _list(body.get("entry"))):
        for change in map(_map, _list(entry.get("changes"))):
            value = _map(change.get("value"))
            if change.get("field") != "messages":
                continue
            metadata = _map(value.get("metadata"))
            if phone_number_id and str(metadata.get("phone_number_id")) != phone_number_id:
                continue
            for msg in map(_map, _list(value.get("messages"))):
                wamid, sender = msg.get("id"), msg.get("from")
                if not isinstance(wamid, str) or not wamid or sender is None:
                    continue
                contacts = [c for c in map(_map, _list(value.get("contacts")))
                            if str(c.get("wa_id")) == str(sender)]
                single: dict[str, Any] = {
                    "object": "whatsapp_business_account",
                    "entry": [{"id": entry.get("id"), "changes": [{
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": dict(metadata),
                            "contacts": [dict(c) for c in contacts],
                            "messages": [dict(msg)],
                        },
                    }]}],
                }
                events = parse_webhook(single)
                if events.incoming or events.unsupported or events.number_changes:
                    items.append(InboxItem(wamid[:128], str(sender)[:32], single))
    return items


Process = Callable[[InboxMessage], Awaitable[None]]


class InboxProcessor:
    """Lease stored messages and hand them to `process`, one sender at a time, in order.

    Messages of one person are processed strictly one after another (a registration
    answer must not overtake the question before it); different people in parallel.
    A message whose processing raised stays leased and is tried again when the lease
    runs out (at most `max_attempts` times). One processor per database.
    """

    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        process: Process,
        *,
        concurrency: int = 32,
        batch: int = 64,
        lease: timedelta = timedelta(minutes=5),
        poll_interval: float = 5.0,
        max_attempts: int = 3,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._process = process
        self.concurrency = concurrency
        self.batch = batch
        self.lease = lease
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self._busy: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._kick = asyncio.Event()
        self._stopping = False
        self._runner: asyncio.Task[None] | None = None

    @property
    def busy(self) -> int:
        """How many senders are being processed now."""
        return len(self._busy)

    def wake(self) -> None:
        """New rows were stored: look now instead of at the next poll."""
        self._kick.set()

    def start(self) -> None:
        """Process in the background until `stop()`."""
        if self._runner is None:
            self._stopping = False
            self._runner = asyncio.create_task(self._run(), name="whatsapp inbox")

    async def stop(self, grace: float = 10.0) -> None:
        """Stop claiming; give the messages in hand `grace` seconds to finish, then cancel
        them (they stay leased and are taken up again after a restart)."""
        self._stopping = True
        self._kick.set()
        if self._runner is not None:
            await self._runner
            self._runner = None
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in late:
                task.cancel()
            if late:
                log.warning("stopped with %d WhatsApp conversation(s) unfinished", len(late))
                await asyncio.gather(*late, return_exceptions=True)

    async def wait_idle(self, within: float = 10.0) -> None:
        """Wait until nothing is in hand and no open row is due (tests, shutdown tools)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            if not self._busy and not self._tasks:
                async with self._sessions() as s:
                    counts = await inbox_counts(s)
                if not counts.get("pending") and not counts.get("handled"):
                    return
                self.wake()
            await asyncio.sleep(0.02)
        raise TimeoutError("the WhatsApp inbox did not become idle")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_purge = loop.time()
        while not self._stopping:
            self._kick.clear()
            if loop.time() >= next_purge:
                next_purge = loop.time() + PURGE_EVERY
                try:
                    async with self._sessions() as s, s.begin():
                        purged = await purge_inbox(s, self._clock.now() - KEEP_FOR)
                    if purged:
                        log.info("purged %d old WhatsApp inbox rows", purged)
                except Exception:
                    log.exception("purging the WhatsApp inbox failed; will retry")
            claimed = 0
            room = self.concurrency - len(self._busy)
            if room > 0:
                try:
                    claimed = await self._claim(room)
                except Exception:
                    log.exception("claiming WhatsApp inbox rows failed; will retry")
            if claimed and len(self._busy) < self.concurrency:
                continue  # there may be more
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), self.poll_interval)

    async def _claim(self, room: int) -> int:
        async with self._sessions() as s, s.begin():
            rows = await claim_inbox(
                s, self._clock.now(), lease=self.lease, limit=min(self.batch, room * 4),
                busy=self._busy, max_attempts=self.max_attempts,
            )
        groups: dict[str, list[InboxMessage]] = {}
        for row in rows:
            groups.setdefault(row.wa_id, []).append(row)
        for wa_id, group in groups.items():
            self._busy.add(wa_id)
            task = asyncio.create_task(self._work(wa_id, group))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(rows)

    async def _work(self, wa_id: str, rows: list[InboxMessage]) -> None:
        try:
            for row in rows:
                try:
                    await self._process(row)
                except Exception:
                    # Left leased: tried again when the lease runs out (a database
                    # outage heals; a poisonous message fails after max_attempts).
                    log.exception("processing WhatsApp inbox row %d failed", row.id)
                    break
        finally:
            self._busy.discard(wa_id)
            self._kick.set()
