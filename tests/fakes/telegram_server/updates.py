"""Updates for the bot: the queue people's actions go into and getUpdates long polling."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Mapping
from typing import Any

from tests.fakes.telegram_server.constants import CONFLICT_POLL
from tests.fakes.telegram_server.errors import ApiError, error_response
from tests.fakes.telegram_server.http_server import HttpResponse, dumps
from tests.fakes.telegram_server.records import JSON
from tests.fakes.telegram_server.webhook import Webhooks


class Updates(Webhooks):
    """Queued updates: `inject` adds one, getUpdates (or the webhook) hands them out."""

    def inject(self, update: Mapping[str, Any]) -> JSON:
        """Queue any Update object (its update_id is assigned here); return it."""
        self._update_seq += 1
        queued: JSON = {
            "update_id": self._update_seq,
            **{k: v for k, v in update.items() if k != "update_id"},
        }
        self._updates.append(queued)
        if self.time_answers:
            chat = _chat_of(queued)
            if chat is not None:
                self._unanswered.setdefault(chat, deque()).append(time.monotonic())
        self._notify_updates()
        return queued

    def _answered(self, chat: Any) -> None:
        """A message went to `chat`: the oldest update of it waiting is answered."""
        self.first_answers.setdefault(chat, time.monotonic())
        waiting = self._unanswered.get(chat)
        if waiting:
            now = time.monotonic()
            queued = waiting.popleft()
            self.answer_times.append((queued, now - queued))
            if not waiting:
                del self._unanswered[chat]

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates queued and not yet confirmed by the bot."""
        return list(self._updates)

    async def _get_updates(self, params: JSON) -> HttpResponse:
        if self._webhook.get("url"):
            return error_response(
                ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; use "
                    "deleteWebhook to delete the webhook first",
                )
            )
        offset = params.get("offset")
        limit = params.get("limit")
        limit = limit if isinstance(limit, int) and 1 <= limit <= 100 else 100
        timeout = params.get("timeout")
        timeout = timeout if isinstance(timeout, int) and timeout > 0 else 0
        allowed = params.get("allowed_updates")
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify_updates()  # an older poll still waiting now gets 409
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if self.latency:
            await asyncio.sleep(self.latency)
        while True:
            if isinstance(offset, int):
                self._confirm(offset)
                offset = None  # confirmed once; later arrivals must not be dropped
            batch = [u for u in list(self._updates)[:limit] if _allowed(u, allowed)]
            if batch or loop.time() >= deadline:
                if self._delays.get("getUpdates"):
                    await asyncio.sleep(self._delays["getUpdates"])
                return HttpResponse(200, dumps({"ok": True, "result": batch}))
            if generation != self._poll_generation:
                return error_response(ApiError(409, CONFLICT_POLL))
            event = self._updates_changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), deadline - loop.time())

    def _confirm(self, offset: int) -> None:
        updates = self._updates
        if offset < 0:
            while len(updates) > -offset:
                updates.popleft()
            return
        while updates and updates[0]["update_id"] < offset:
            updates.popleft()

    # Waiters hold the current event; on a change it is set and a fresh one is armed.

    def _notify_updates(self) -> None:
        event, self._updates_changed = self._updates_changed, asyncio.Event()
        event.set()
        if self._webhook.get("url"):
            self._kick_webhook()


def _allowed(update: JSON, allowed: Any) -> bool:
    if not isinstance(allowed, list) or not allowed:
        return True
    return any(key in allowed for key in update if key != "update_id")


def _chat_of(update: JSON) -> Any:
    """What answers the update: a message to its chat, or (a button press) the answer to
    its callback query ("q:<id>")."""
    query = update.get("callback_query")
    if isinstance(query, dict):
        return f"q:{query.get('id')}"
    message = update.get("message")
    if isinstance(message, dict):
        return (message.get("chat") or {}).get("id")
    return None
