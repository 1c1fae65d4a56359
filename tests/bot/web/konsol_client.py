"""The konsol under Starlette's TestClient, on a runtime built in the client's own loop."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import httpx2 as httpx
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from bot.http_server import build_internal_app
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.web import build_konsol
from core.clock import FixedClock
from db.konsol import create_link

T = TypeVar("T")
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class KonsolClient:
    """A browser-less admin: signs in with a link, keeps the cookie, sends the CSRF token."""

    def __init__(self, client: TestClient, rt: Runtime) -> None:
        self.client = client
        self.rt = rt
        self.csrf = ""

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run a coroutine function on the app's event loop (database work in tests)."""
        assert self.client.portal is not None
        return self.client.portal.call(lambda: fn(*args, **kwargs))

    def link(self, admin: str = "telegram:9001") -> str:
        """A fresh login link path for `admin` (as /konsol in chat makes one)."""
        channel, ident = admin.split(":", 1)

        async def make() -> str:
            async with self.rt.sessions() as db, db.begin():
                return await create_link(db, channel, ident, by="test", now=self.rt.clock.now())

        return "/konsol/masuk/" + self.run(make)

    def login(self, admin: str = "telegram:9001") -> httpx.Response:
        """Open a link and press Masuk; return the page landed on."""
        path = self.link(admin)
        shown = self.client.get(path)
        assert shown.status_code == 200, shown.text
        pre = _CSRF.search(shown.text)
        assert pre is not None
        done = self.client.post(path, data={"csrf": pre.group(1)})
        self.remember(done)
        return done

    def remember(self, response: httpx.Response) -> httpx.Response:
        """Keep the CSRF token of a page."""
        found = _CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    def get(self, path: str, **kw: Any) -> httpx.Response:
        """GET a page (the token on it is kept)."""
        return self.remember(self.client.get(path, **kw))

    def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True,
             **kw: Any) -> httpx.Response:
        """POST a form with the session's CSRF token (unless `csrf=False`)."""
        fields = dict(data or {})
        if csrf:
            fields.setdefault("csrf", self.csrf)
        return self.remember(self.client.post(path, data=fields, **kw))


def _lazy(holder: dict[str, Any]) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await holder["app"](scope, receive, send)

    return app


def konsol_client(
    settings: Settings, clock: FixedClock, *, secure: bool = False, raise_errors: bool = True
) -> Iterator[KonsolClient]:
    """A generator for a fixture: the konsol on the test database, signed out (`secure`: as
    behind an https KONSOL_URL)."""
    holder: dict[str, Any] = {}
    scheme = "https" if secure else "http"  # a Secure cookie travels over https only
    with TestClient(_lazy(holder), base_url=f"{scheme}://127.0.0.1:8081",
                    follow_redirects=True, raise_server_exceptions=raise_errors) as client:
        assert client.portal is not None
        rt = client.portal.call(lambda: build_runtime(settings, clock, migrate=False))
        holder["app"] = build_internal_app(rt.readiness,
                                           build_konsol(rt.deps, secure_cookie=secure))
        try:
            yield KonsolClient(client, rt)
        finally:
            client.portal.call(rt.close)
