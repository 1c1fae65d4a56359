"""Bot API emulation: /bot<token>/<method> calls checked, dispatched and answered like Telegram."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from typing import Any

from tests.fakes.telegram_server.constants import CANONICAL, LIMITED_METHODS, TOKEN_RE
from tests.fakes.telegram_server.errors import ApiError, error_response
from tests.fakes.telegram_server.http_server import DROP, HttpRequest, HttpResponse, Result, dumps
from tests.fakes.telegram_server.messages import Messages
from tests.fakes.telegram_server.params import decode_params
from tests.fakes.telegram_server.records import JSON, Described, UploadedFile
from tests.fakes.telegram_server.sent_calls import SentCalls
from tests.fakes.telegram_server.updates import Updates

# What counts as the bot answering a chat (`time_answers`).
ANSWERS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "editMessageText"})


class BotApi(Updates, Messages, SentCalls):
    """The Bot API methods of one bot, on top of its updates, messages, files and faults."""

    def _api(self, request: HttpRequest, token: str, name: str) -> Result:
        self.requests += 1
        if token != self._token:
            if TOKEN_RE.fullmatch(token):
                return error_response(ApiError(401, "Unauthorized"))
            return error_response(ApiError(404, "Not Found"))
        method = CANONICAL.get(name.lower())
        if method is None:
            self.requests_by_method[name] += 1
            return error_response(ApiError(404, "Not Found"))
        self.requests_by_method[method] += 1
        try:
            params, files = decode_params(request)
        except ApiError as exc:
            self.errors += 1
            return error_response(exc)
        if method == "getUpdates":
            # only rules naming getUpdates apply: a wildcard meant for sends must not break polling
            if any(r.method == "getUpdates" for r in self._rules):
                rule = self._take_rule(method, None)
                if rule is not None:
                    return DROP if rule.error is None else error_response(rule.error)
            return self._get_updates(params)
        response = self._call(method, params, files)
        wait = self.latency + self._delays.get(method, 0.0)
        if wait > 0:
            return _later(response, wait)
        return response

    def _call(self, method: str, params: JSON, files: dict[str, UploadedFile]) -> HttpResponse:
        rule = self._take_rule(method, params.get("chat_id"))
        if rule is not None and rule.error is None and not rule.processed:
            self._record(
                method, params, files, None, {"error_code": 0, "description": "connection dropped"}
            )
            return DROP
        description: str | None = None
        try:
            if rule is not None and rule.error is not None:
                raise rule.error
            if self.rate_limit is not None and method in LIMITED_METHODS:
                self._throttle(method)
            result = self._dispatch(method, params, files)
            if isinstance(result, Described):
                result, description = result.result, result.description
        except ApiError as exc:
            self.errors += 1
            self._record(
                method, params, files, None, {k: v for k, v in exc.payload().items() if k != "ok"}
            )
            return error_response(exc)
        self._record(method, params, files, result, None)
        if self.time_answers and method in ANSWERS:
            self._answered(params.get("chat_id"))
        elif self.time_answers and method == "answerCallbackQuery":
            self._answered(f"q:{params.get('callback_query_id')}")
        if rule is not None:  # a processed drop: done, but the answer is lost
            return DROP
        body: JSON = {"ok": True, "result": result}
        if description:
            body["description"] = description
        return HttpResponse(200, dumps(body))

    def _dispatch(self, method: str, params: JSON, files: dict[str, UploadedFile]) -> Any:
        if method == "sendMessage":
            return self._send_message(params)
        if method == "editMessageText":
            return self._edit(params, text=True)
        if method == "editMessageReplyMarkup":
            return self._edit(params, text=False)
        if method == "editMessageCaption":
            return self._edit(params, text=True, caption=True)
        if method == "answerCallbackQuery":
            return self._answer_callback(params)
        if method == "sendDocument":
            return self._send_media(params, files, "document")
        if method == "sendPhoto":
            return self._send_media(params, files, "photo")
        if method == "getMe":
            return {
                **self.bot_user,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        if method == "deleteMessage":
            return self._delete_message(params)
        if method == "sendChatAction":
            self._chat_for(params)
            return True
        if method in ("setMyCommands", "getMyCommands", "deleteMyCommands"):
            return self._my_commands(method, params)
        if method in ("setWebhook", "deleteWebhook", "getWebhookInfo"):
            return self._webhook_method(method, params)
        if method == "getFile":
            return self._get_file(params)
        if method in ("close", "logOut"):
            return True
        raise ApiError(404, "Not Found")  # pragma: no cover - every listed method is handled

    def commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[JSON]:
        """The command list set with setMyCommands for a scope/language ([] if none)."""
        return list(self._commands.get(_commands_key(scope, language_code), []))

    def _my_commands(self, method: str, params: JSON) -> Any:
        key = _commands_key(params.get("scope"), str(params.get("language_code") or ""))
        if method == "getMyCommands":
            return list(self._commands.get(key, []))
        if method == "deleteMyCommands":
            self._commands.pop(key, None)
            return True
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(name)):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: command description is empty")
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True


def _commands_key(scope: Any, language_code: str) -> str:
    scope = scope if isinstance(scope, dict) else {"type": "default"}
    return json.dumps([scope, language_code], sort_keys=True)


async def _later(response: HttpResponse, seconds: float) -> HttpResponse:
    await asyncio.sleep(seconds)
    return response
