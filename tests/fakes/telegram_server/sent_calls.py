"""What the bot did: the log of its calls, waiting for a call or message, and the counters."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from tests.fakes.telegram_server.constants import SEND_METHODS
from tests.fakes.telegram_server.records import JSON, ChatId, SentCall, UploadedFile, norm_chat
from tests.fakes.telegram_server.state import FakeState


class SentCalls(FakeState):
    """Reading back what the bot sent, as a test does after acting as a person."""

    def messages_to(self, chat_id: ChatId) -> list[SentCall]:
        """Successful send* calls to `chat_id`, in order."""
        chat_id = norm_chat(chat_id)
        return [c for c in self.sent if c.ok and c.method in SEND_METHODS and c.chat_id == chat_id]

    def calls_of(self, method: str, chat_id: ChatId | None = None) -> list[SentCall]:
        """Calls of one method (failed ones too), optionally only those for `chat_id`."""
        wanted = None if chat_id is None else norm_chat(chat_id)
        return [
            c for c in self.sent if c.method == method and (wanted is None or c.chat_id == wanted)
        ]

    @property
    def callback_answers(self) -> list[SentCall]:
        """answerCallbackQuery calls, in order."""
        return self.calls_of("answerCallbackQuery")

    def message(self, chat_id: ChatId, message_id: int) -> JSON:
        """The current state of a message (after edits) as the Bot API would return it."""
        return self._messages[(norm_chat(chat_id), message_id)]

    async def wait_for(
        self,
        match: str | Callable[[SentCall], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline is the point of this helper
        *,
        since: int = 0,
    ) -> SentCall:
        """Wait until a recorded call (index >= since) matches a method name or a predicate."""
        predicate = (lambda c: c.method == match) if isinstance(match, str) else match
        checked = since
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for call in self.sent[checked:]:
                if predicate(call):
                    return call
            checked = max(checked, len(self.sent))
            if not await self._wait_changed(deadline):
                raise TimeoutError(
                    f"no call matching {match!r} within {timeout}s; {self._recent()}"
                )

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until `condition()` is true: re-checked on every call and every 10 ms."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            if loop.time() >= deadline:
                raise TimeoutError(f"condition not met within {timeout}s; {self._recent()}")
            # the condition may watch something outside the fake (a webhook receiver, a DB)
            await self._wait_changed(min(deadline, loop.time() + 0.01))

    async def next_message(
        self,
        chat_id: ChatId,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> SentCall:
        """The next message sent to `chat_id` that this method has not returned yet."""
        chat_id = norm_chat(chat_id)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            messages = self.messages_to(chat_id)
            if len(messages) > self._cursors[chat_id]:
                self._cursors[chat_id] += 1
                return messages[self._cursors[chat_id] - 1]
            if not await self._wait_changed(deadline):
                raise TimeoutError(
                    f"no new message to {chat_id} within {timeout}s; {self._recent()}"
                )

    async def _wait_changed(self, deadline: float) -> bool:
        event = self._sent_changed
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            return False
        try:
            await asyncio.wait_for(event.wait(), remaining)
        except TimeoutError:
            return False
        return True

    def _recent(self) -> str:
        return f"last calls: {self.sent[-8:]!r}"

    def stats(self) -> JSON:
        """Counters: requests per method, 429s given by the limiter, errors answered."""
        return {
            "requests": self.requests,
            "by_method": dict(self.requests_by_method),
            "throttled": self.throttled,
            "throttled_by_method": dict(self.throttled_by_method),
            "errors": self.errors,
            "pending_updates": len(self._updates),
        }

    def _record(
        self,
        method: str,
        params: JSON,
        files: dict[str, UploadedFile],
        result: Any,
        error: JSON | None,
    ) -> None:
        if not self.record:
            return
        self.sent.append(
            SentCall(len(self.sent), method, params, files, result, error, time.monotonic())
        )
        self._notify_sent()

    def _notify_sent(self) -> None:
        event, self._sent_changed = self._sent_changed, asyncio.Event()
        event.set()
