"""Receive Telegram updates into the store: our own getUpdates loop, and the store itself.

Long polling confirms a batch by asking for the next offset; python-telegram-bot's Updater
does that as soon as it has the batch in memory, so a crash lost whatever it held. Here a
batch is committed to `telegram_updates` first, and only the next getUpdates confirms it:
a crash at any point leaves every update either stored or still at Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from telegram import Bot
from telegram import error as tg_error

from bot.receiving import ReceiveHealth
from bot.telegram.render import retry_after_seconds
from bot.telegram.updates import TELEGRAM_UPDATES, stored
from core.clock import Clock
from db.engine import Sessions
from db.telegram_updates import StoredUpdate, store_updates
from handlers.batching import MicroBatcher

__all__ = ["Poller", "UpdateStore"]

log = logging.getLogger(__name__)

POLL_TIMEOUT = 25  # seconds a getUpdates waits at Telegram for something to arrive
STANDBY = 10.0  # seconds between tries while another process polls this bot (409)


class UpdateStore:
    """Commit updates to the store; concurrent webhook calls share one transaction."""

    def __init__(self, sessions: Sessions, clock: Clock, on_stored: Callable[[], None]) -> None:
        self._sessions = sessions
        self._clock = clock
        self._on_stored = on_stored
        self._batcher: MicroBatcher[StoredUpdate, bool] = MicroBatcher(self._store_batch)
        self.stored = 0  # new updates stored by this process
        self.repeated = 0  # updates already stored (re-delivered)

    async def store(self, updates: Sequence[StoredUpdate]) -> int:
        """Store a batch in one transaction; return how many were new."""
        async with self._sessions() as db, db.begin():
            new = await store_updates(db, updates, self._clock.now())
        self._count(new, len(updates))
        return new

    async def store_one(self, update: StoredUpdate) -> None:
        """Store one update (a webhook's), committed when this returns."""
        await self._batcher.submit(update)

    async def _store_batch(self, updates: Sequence[StoredUpdate]) -> list[bool]:
        # A webhook may be re-delivered while its first delivery waits in the same batch.
        unique = list({u.update_id: u for u in updates}.values())
        await self.store(unique)
        return [True] * len(updates)

    def _count(self, new: int, given: int) -> None:
        self.stored += new
        self.repeated += given - new
        if given > new:
            log.info("Telegram re-delivered %d update(s) already stored", given - new)
        if new:
            self._on_stored()


class Poller:
    """Long polling: store each batch of updates, then confirm it with the next offset."""

    def __init__(self, bot: Bot, store: UpdateStore, *, timeout: int = POLL_TIMEOUT,
                 limit: int = 100, health: ReceiveHealth | None = None) -> None:
        self._bot = bot
        self.health = health
        self._store = store
        self.timeout = timeout
        self.limit = limit
        self.offset: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._waiting = False  # in getUpdates (safe to cancel), not storing a batch
        self._stopping = False

    def problem(self) -> str | None:
        """Why it is not polling (for /readyz), or None."""
        if self._task is None:
            return "not polling"
        return "polling stopped" if self._task.done() else None

    async def start(self) -> None:
        """Remove a webhook set before (getUpdates is refused while one is set), then poll."""
        await self._bot.delete_webhook(drop_pending_updates=False)
        self._task = asyncio.create_task(self._run(), name="telegram polling")

    async def stop(self) -> None:
        """Stop polling. A getUpdates in flight is abandoned: what it would have brought was
        not confirmed, so Telegram gives it again to the next poll."""
        if self._task is None:
            return
        self._stopping = True
        if self._waiting:
            self._task.cancel()
        # A batch being stored is let finish (cancelled half-way, its connection would be
        # lost): the loop ends after it.
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        if self.offset is not None:
            # Confirm the last stored batch now, so the next start does not fetch it again
            # (it would only be recognised as stored).
            with contextlib.suppress(tg_error.TelegramError, TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._get(wait=0, limit=1)

    async def _get(self, *, wait: int, limit: int) -> list[Mapping[str, Any]]:
        data: dict[str, object] = {"timeout": wait, "limit": limit,
                                   "allowed_updates": TELEGRAM_UPDATES}
        if self.offset is not None:
            data["offset"] = self.offset
        result = await self._bot._post("getUpdates", data, read_timeout=wait + 10)
        return [u for u in result if isinstance(u, Mapping)] if isinstance(result, list) else []

    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            self._waiting = True  # until a batch is in hand: cancelling loses nothing
            try:
                updates = await self._get(wait=self.timeout, limit=self.limit)
            except tg_error.Conflict:
                log.warning("another process polls this bot's updates; standing by (run one "
                            "poller per bot token, or use TELEGRAM_WEBHOOK_URL)")
                await asyncio.sleep(STANDBY)
                continue
            except tg_error.RetryAfter as exc:
                await asyncio.sleep(retry_after_seconds(exc))
                continue
            except tg_error.TelegramError as exc:
                if self.health is not None:
                    self.health.failed(f"getUpdates: {exc.message}")
                failures += 1
                wait = min(30.0, 0.5 * 2 ** min(failures, 6))
                log.warning("getUpdates failed (%s); trying again in %.0f s", exc.message, wait)
                await asyncio.sleep(wait)
                continue
            failures = 0
            if self.health is not None:
                self.health.ok()
            self._waiting = False
            await self._keep(updates)

    async def _keep(self, updates: list[Mapping[str, Any]]) -> None:
        """Store a batch (retrying until it is stored); then move the offset past it."""
        rows = [row for row in map(stored, updates) if row is not None]
        wait = 0.5
        while rows:
            try:
                await self._store.store(rows)
                break
            except Exception:
                # Not stored, so not confirmed: Telegram keeps the batch meanwhile.
                log.exception("storing %d Telegram updates failed; trying again in %.0f s",
                              len(rows), wait)
                if self._stopping:
                    return
                await asyncio.sleep(wait)
                wait = min(wait * 2, 30.0)
        ids = [u["update_id"] for u in updates if isinstance(u.get("update_id"), int)]
        if ids:
            self.offset = max(ids) + 1
