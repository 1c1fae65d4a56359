"""python-telegram-bot's BaseRequest on aiohttp: holds its throughput with many connections.

PTB's default HTTPXRequest drops from ~700 req/s on one connection to ~190 with 64
connections; aiohttp keeps ~3,400, which a broadcast to hundreds of thousands needs::

    app = (
        Application.builder()
        .token(token)
        .request(AiohttpRequest(connection_pool_size=64))
        .get_updates_request(AiohttpRequest(connection_pool_size=1, read_timeout=30))
        .build()
    )

Timeouts follow PTB's meaning: `pool_timeout` bounds the wait for a free connection (our own
semaphore, so the "Pool timeout" message is exact), `connect_timeout` the TCP/TLS connect,
`read_timeout` the wait for each read of the answer (PTB adds the long-poll time for
getUpdates). aiohttp has no per-write timeout, so `write_timeout` (or `media_write_timeout`
for uploads) is enforced as part of an overall deadline of connect + write + read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest"]

log = logging.getLogger(__name__)

_POOL_TIMEOUT_MESSAGE = (
    "Pool timeout: All connections in the connection pool are occupied. Request was *not* sent "
    "to Telegram. Consider adjusting the connection pool size or the pool timeout."
)


class AiohttpRequest(BaseRequest):
    """A `telegram.request.BaseRequest` that sends requests with an `aiohttp.ClientSession`."""

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool",
        "_pool_size",
        "_pool_timeout",
        "_proxy",
        "_read_timeout",
        "_session",
        "_session_kwargs",
        "_timeouts",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
        session_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        """Set the pool size and default timeouts (seconds; None waits forever), as HTTPXRequest.

        session_kwargs go to aiohttp.ClientSession and override what this class sets.
        """
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._proxy = proxy
        self._session_kwargs = dict(session_kwargs or {})
        self._session: aiohttp.ClientSession | None = None
        self._pool: asyncio.Semaphore | None = None
        # One ClientTimeout per (connect, write, read): the same few are used every time.
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (PTB adds the long-poll timeout to it for getUpdates)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the ClientSession (it must be made inside the running event loop)."""
        if self._session is not None and not self._session.closed:
            return
        connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0)
        kwargs: dict[str, Any] = {
            "connector": connector,
            "headers": {"User-Agent": self.USER_AGENT},
            "timeout": aiohttp.ClientTimeout(total=None),
            **self._session_kwargs,
        }
        self._session = aiohttp.ClientSession(**kwargs)
        self._pool = asyncio.Semaphore(self._pool_size)

    async def shutdown(self) -> None:
        """Close the ClientSession and its connections."""
        session, self._session = self._session, None
        if session is None or session.closed:
            log.debug("AiohttpRequest is already shut down")
            return
        await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; return (HTTP status, body). See `BaseRequest.do_request`."""
        session, pool = self._session, self._pool
        if session is None or session.closed or pool is None:
            raise RuntimeError("This AiohttpRequest is not initialized!")

        has_files = bool(request_data and request_data.contains_files)
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        wait = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write = self._media_write_timeout if has_files else self._write_timeout
        else:
            write = write_timeout
        timeout = self._timeout(read, write, connect)

        data: Any = None
        headers: dict[str, str] | None = None
        if request_data is not None:
            if has_files:
                data = _form_data(request_data)
            else:
                data = request_data.url_encoded_parameters().encode()
                headers = {"Content-Type": "application/x-www-form-urlencoded"}

        if pool.locked():  # (a free connection is taken without arming a timer)
            try:
                async with asyncio.timeout(wait):
                    await pool.acquire()
            except TimeoutError as exc:
                raise TimedOut(message=_POOL_TIMEOUT_MESSAGE) from exc
        else:
            await pool.acquire()
        try:
            async with session.request(
                method, url, data=data, headers=headers, timeout=timeout, proxy=self._proxy
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's timeout errors subclass TimeoutError
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc
        finally:
            pool.release()


    def _timeout(self, read: float | None, write: float | None, connect: float | None
                 ) -> aiohttp.ClientTimeout:
        key = (read, write, connect)
        found = self._timeouts.get(key)
        if found is None:
            total = None if None in key else (read or 0) + (write or 0) + (connect or 0)
            found = aiohttp.ClientTimeout(total=total, connect=None, sock_connect=connect,
                                          sock_read=read)
            if len(self._timeouts) < 32:
                self._timeouts[key] = found
        return found


def _form_data(request_data: RequestData) -> aiohttp.FormData:
    # quote_fields=False sends file names as plain UTF-8, as HTTPX does; with quoting aiohttp
    # would percent-encode them and Telegram would show "Rekap%20Juli.xlsx".
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
