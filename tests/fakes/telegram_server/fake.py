"""FakeTelegram: the fake Bot API for one bot, served over HTTP on the caller's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import json

from tests.fakes.telegram_server.api import BotApi
from tests.fakes.telegram_server.errors import ApiError, error_response
from tests.fakes.telegram_server.http_server import (
    HttpProtocol,
    HttpRequest,
    HttpResponse,
    Result,
    dumps,
)
from tests.fakes.telegram_server.user_driver import UserDriver


class FakeTelegram(BotApi, UserDriver):
    """A fake Bot API for one bot: inject what people do, inspect what the bot sent.

    Everything runs on the event loop of whoever starts it (in tests: the test's loop).
    """

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> FakeTelegram:
        """Listen on host:port (port 0 picks a free one)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: HttpProtocol(self._handle, self._connections), self._host, self._port
        )
        self._port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        """Close the socket and every open connection."""
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._server is not None:
            self._server.close()
            pending = [c.task for c in self._connections if c.task is not None]
            for connection in list(self._connections):
                connection.abort()
            await asyncio.gather(*pending, return_exceptions=True)  # long polls end cancelled
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- addresses -----------------------------------------------------------------------

    @property
    def token(self) -> str:
        """The bot token this server accepts."""
        return self._token

    @property
    def port(self) -> int:
        """The TCP port it listens on."""
        return self._port

    @property
    def url(self) -> str:
        """Server root, what TELEGRAM_API_URL would be (no trailing slash)."""
        return f"http://{self._host}:{self._port}"

    @property
    def base_url(self) -> str:
        """`base_url` for telegram.Bot / ApplicationBuilder.base_url."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """`base_file_url` for telegram.Bot / ApplicationBuilder.base_file_url."""
        return f"{self.url}/file/bot"

    # -- request routing -----------------------------------------------------------------

    def _handle(self, request: HttpRequest) -> Result:
        path = request.path
        if path.startswith("/bot"):
            token, _, name = path[4:].partition("/")
            return self._api(request, token, name)
        if path.startswith("/file/bot"):
            return self._download(path[len("/file/bot") :])
        if path == "/__stats":
            return HttpResponse(200, dumps(self.stats()))
        if path == "/__reset":
            self.reset()
            return HttpResponse(200, dumps({"ok": True}))
        if path == "/__inject":
            return self._admin_inject(request)
        if path == "/__answer_times":  # and forget them
            times, self.answer_times = self.answer_times, []
            return HttpResponse(200, dumps({"ok": True, "result": times}))
        if path == "/__first_answers":  # and forget them
            firsts, self.first_answers = self.first_answers, {}
            return HttpResponse(200, dumps({"ok": True, "result": firsts}))
        return error_response(ApiError(404, "Not Found"))

    # -- admin endpoint for separate-process benches -------------------------------------

    def _admin_inject(self, request: HttpRequest) -> HttpResponse:
        """POST /__inject: an object or list of {"user_id", "text", ...} or {"update": {...}}."""
        try:
            data = json.loads(request.body or b"[]")
        except ValueError:
            return error_response(ApiError(400, "Bad Request: JSON expected"))
        items = data if isinstance(data, list) else [data]
        ids = []
        for item in items:
            if not isinstance(item, dict):
                return error_response(ApiError(400, "Bad Request: objects expected"))
            if "update" in item:
                ids.append(self.inject(item["update"])["update_id"])
            else:
                kwargs = {k: v for k, v in item.items() if k not in ("user_id", "text")}
                ids.append(
                    self.user_message(int(item["user_id"]), str(item["text"]), **kwargs)[
                        "update_id"
                    ]
                )
        return HttpResponse(200, dumps({"ok": True, "result": ids}))
