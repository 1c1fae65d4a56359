"""Fault injection: errors (429 with retry_after, 403, 400, ...), drops, slow answers, a limiter."""

from __future__ import annotations

import math
import time
from typing import Any

from tests.fakes.telegram_server.constants import CANONICAL, CONFLICT_POLL
from tests.fakes.telegram_server.errors import ApiError
from tests.fakes.telegram_server.http_server import reason
from tests.fakes.telegram_server.records import JSON, ChatId, Rule, norm_chat
from tests.fakes.telegram_server.state import FakeState


class Faults(FakeState):
    """Failures tests arrange in advance, and the optional rate limiter."""

    def fail_next(
        self,
        method: str | None,
        chat_id: ChatId | None = None,
        *,
        code: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        migrate_to_chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` for `chat_id` with an error (None: any)."""
        parameters: JSON = {}
        if code == 429 or retry_after is not None:
            parameters["retry_after"] = 1 if retry_after is None else retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        if description is None:
            description = _default_description(code, parameters)
        error = ApiError(code, description, parameters or None)
        self._rules.append(Rule(_canonical(method), _maybe_chat(chat_id), error, times))

    def drop_next(
        self,
        method: str | None,
        chat_id: ChatId | None = None,
        *,
        times: int = 1,
        processed: bool = False,
    ) -> None:
        """Close the connection instead of answering (a network error for the client).

        processed=True carries the call out first, so the message is delivered and only the
        answer is lost (the case that makes naive retries send twice).
        """
        self._rules.append(Rule(_canonical(method), _maybe_chat(chat_id), None, times, processed))

    def block(self, chat_id: ChatId) -> None:
        """403 "Forbidden: bot was blocked by the user" (groups: kicked) for this chat from now."""
        self._blocked.add(norm_chat(chat_id))

    def unblock(self, chat_id: ChatId) -> None:
        """Undo `block`."""
        self._blocked.discard(norm_chat(chat_id))

    def chat_not_found(self, chat_id: ChatId) -> None:
        """400 "Bad Request: chat not found" for this chat from now on."""
        self._missing.add(norm_chat(chat_id))

    def migrate(self, chat_id: ChatId, new_chat_id: int) -> None:
        """Calls for `chat_id` fail with migrate_to_chat_id=new_chat_id (now a supergroup)."""
        self._migrated[norm_chat(chat_id)] = new_chat_id

    def delay(self, method: str, seconds: float | None) -> None:
        """Hold back answers to `method` by `seconds` (None/0: stop); the call is done at once."""
        name = _canonical(method) or method
        if seconds:
            self._delays[name] = seconds
        else:
            self._delays.pop(name, None)

    def _take_rule(self, method: str, chat_id: Any) -> Rule | None:
        if not self._rules:
            return None
        for rule in self._rules:
            if (rule.method == method or (rule.method is None and method != "getUpdates")) and (
                rule.chat_id is None or rule.chat_id == chat_id
            ):
                rule.times -= 1
                if rule.times <= 0:
                    self._rules.remove(rule)
                return rule
        return None

    def _throttle(self, method: str) -> None:
        assert self.rate_limit is not None
        now = time.monotonic()
        window = self._window
        while window and now - window[0] >= self.rate_window:
            window.popleft()
        if len(window) >= self.rate_limit:
            retry_after = max(1, math.ceil(self.rate_window - (now - window[0])))
            self.throttled += 1
            self.throttled_by_method[method] += 1
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        window.append(now)

    def _check_chat_faults(self, chat_id: Any) -> None:
        """Raise what Telegram answers for a chat made migrated, missing or blocked here."""
        if chat_id in self._migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[chat_id]},
            )
        if chat_id in self._missing:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self._blocked:
            if isinstance(chat_id, int) and chat_id < 0:
                raise ApiError(403, "Forbidden: bot was kicked from the group chat")
            raise ApiError(403, "Forbidden: bot was blocked by the user")


def _canonical(method: str | None) -> str | None:
    if method is None:
        return None
    return CANONICAL.get(method.lower(), method)


def _maybe_chat(chat_id: ChatId | None) -> ChatId | None:
    return None if chat_id is None else norm_chat(chat_id)


def _default_description(code: int, parameters: JSON) -> str:
    if code == 429:
        return f"Too Many Requests: retry after {parameters['retry_after']}"
    if "migrate_to_chat_id" in parameters:
        return "Bad Request: group chat was upgraded to a supergroup chat"
    return {
        400: "Bad Request: chat not found",
        401: "Unauthorized",
        403: "Forbidden: bot was blocked by the user",
        404: "Not Found",
        409: CONFLICT_POLL,
        500: "Internal Server Error",
        502: "Bad Gateway",
    }.get(code, reason(code))
