"""A thin typed client of the WhatsApp Cloud API on one pooled aiohttp session."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Self

import aiohttp
from aiolimiter import AsyncLimiter

from bot.delivery import PermanentFailure, TransientFailure
from bot.whatsapp import messages as m
from bot.whatsapp.errors import GraphError, map_error

__all__ = ["DEFAULT_API_URL", "WhatsAppClient", "mask_number"]

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://graph.facebook.com/v23.0"
# WhatsApp accepts documents up to 100 MB; refuse to buffer anything bigger.
MAX_MEDIA_BYTES = 100 * 1024 * 1024


def mask_number(number: str) -> str:
    """Hide the middle of a phone number for logs (personal data)."""
    return number[:4] + "…" + number[-3:] if len(number) > 8 else "…"


class WhatsAppClient:
    """Send messages and media for one business phone number.

    One `aiohttp.ClientSession` with a connection pool serves every request: use
    `async with WhatsAppClient(...) as client:` or call `start()` / `close()`.
    Every failure is raised as a neutral error of `bot.delivery` whose `__cause__` is
    the `GraphError` with Meta's code, message and fbtrace id.
    """

    def __init__(
        self,
        *,
        token: str,
        phone_number_id: str,
        api_url: str = DEFAULT_API_URL,
        timeout: float = 30.0,
        connections: int = 100,
        rate: float | None = None,
        pair_interval: float = 6.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        if not token:
            raise ValueError("WhatsApp access token is empty")
        self.phone_number_id = phone_number_id
        self.api_url = api_url.rstrip("/")
        self.pair_interval = pair_interval
        self._auth = {"Authorization": f"Bearer {token}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._connections = connections
        self._session = session
        self._own_session = session is None
        # Meta's throughput limit is per business number; pacing here keeps bursts under it.
        self._limiter = AsyncLimiter(rate, 1.0) if rate else None

    def __repr__(self) -> str:
        return f"WhatsAppClient(phone_number_id={self.phone_number_id!r}, api_url={self.api_url!r})"

    async def start(self) -> None:
        """Open the pooled HTTP session (done on first use too)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                connector=aiohttp.TCPConnector(limit=self._connections),
            )

    async def close(self) -> None:
        """Close the session if this client opened it."""
        if self._session is not None and self._own_session:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # --- sending -------------------------------------------------------------------------

    async def send(
        self, to: str, message: Mapping[str, Any], *, reply_to: str | None = None
    ) -> str:
        """Send a message object built by `bot.whatsapp.messages`; return its wamid."""
        payload: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            **message,
        }
        if reply_to:
            payload["context"] = {"message_id": reply_to}
        if self._limiter is not None:
            async with self._limiter:
                body = await self._post_json("messages", payload, recipient=to)
        else:
            body = await self._post_json("messages", payload, recipient=to)
        try:
            wamid = str(body["messages"][0]["id"])
        except (KeyError, IndexError, TypeError):
            raise PermanentFailure(f"WhatsApp answered without a message id: {body!r}") from None
        log.debug("sent %s to %s as %s", message.get("type"), mask_number(to), wamid)
        return wamid

    async def send_text(
        self, to: str, body: str, *, preview_url: bool = False, reply_to: str | None = None
    ) -> str:
        """Send a text (at most 4,096 characters)."""
        return await self.send(to, m.text_message(body, preview_url=preview_url), reply_to=reply_to)

    async def send_buttons(
        self,
        to: str,
        body: str,
        buttons: Sequence[m.ReplyButton],
        *,
        header: str = "",
        footer: str = "",
    ) -> str:
        """Send up to three reply buttons (titles at most 20 characters)."""
        return await self.send(to, m.buttons_message(body, buttons, header=header, footer=footer))

    async def send_list(
        self,
        to: str,
        body: str,
        button: str,
        sections: Sequence[m.ListSection],
        *,
        header: str = "",
        footer: str = "",
    ) -> str:
        """Send a list of up to ten rows that opens from `button`."""
        return await self.send(
            to, m.list_message(body, button, sections, header=header, footer=footer)
        )

    async def send_template(
        self,
        to: str,
        name: str,
        language: str,
        params: Sequence[str] = (),
        *,
        quick_replies: Sequence[str] = (),
        header_document: tuple[str, str] | None = None,
    ) -> str:
        """Send an approved template (allowed outside the 24-hour window); a template with a
        document header gets `header_document` (uploaded media id, file name)."""
        return await self.send(
            to, m.template_message(name, language, params, quick_replies=quick_replies,
                                   header_document=header_document)
        )

    async def send_document(
        self,
        to: str,
        *,
        media_id: str | None = None,
        link: str | None = None,
        caption: str = "",
        filename: str = "",
    ) -> str:
        """Send a document by uploaded media id or by link."""
        return await self.send(
            to,
            m.media_message(
                "document", media_id=media_id, link=link, caption=caption, filename=filename
            ),
        )

    async def send_image(
        self, to: str, *, media_id: str | None = None, link: str | None = None, caption: str = ""
    ) -> str:
        """Send an image by uploaded media id or by link."""
        return await self.send(
            to, m.media_message("image", media_id=media_id, link=link, caption=caption)
        )

    async def mark_read(self, message_id: str) -> None:
        """Mark an incoming message as read (the person sees two blue ticks)."""
        await self._post_json(
            "messages",
            {"messaging_product": "whatsapp", "status": "read", "message_id": message_id},
        )

    # --- media ---------------------------------------------------------------------------

    async def upload_media(self, data: bytes, mime_type: str, filename: str) -> str:
        """Upload a file for later sends; return its media id."""
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime_type)
        form.add_field("file", data, filename=filename, content_type=mime_type)
        body = await self._request("POST", f"{self.api_url}/{self.phone_number_id}/media", form)
        try:
            return str(body["id"])
        except (KeyError, TypeError):
            raise PermanentFailure(f"WhatsApp answered an upload without an id: {body!r}") from None

    async def download_media(self, media_id: str) -> tuple[bytes, str | None]:
        """Fetch the bytes and MIME type of a file a person sent (by its media id)."""
        info = await self._request("GET", f"{self.api_url}/{media_id}", None)
        url = info.get("url") if isinstance(info, Mapping) else None
        if not isinstance(url, str):
            raise PermanentFailure(f"WhatsApp gave no URL for media {media_id}")
        session = await self._open()
        try:
            async with session.get(url, headers=self._auth) as resp:
                if resp.status >= 400:
                    err = GraphError.from_body(resp.status, await _read_body(resp))
                    raise map_error(err) from err
                data = await resp.content.read(MAX_MEDIA_BYTES + 1)
                if len(data) > MAX_MEDIA_BYTES:
                    raise PermanentFailure(f"media {media_id} is larger than 100 MB")
                return data, resp.headers.get("Content-Type")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransientFailure(f"WhatsApp media download failed: {exc!r}") from exc

    # --- the account ---------------------------------------------------------------------

    async def phone_number(self) -> Mapping[str, Any]:
        """The business phone number's record (`GET /{phone-number-id}`): the check at start
        that the token and the id are accepted.

        Raises the `GraphError` itself when Meta refuses (nothing logged: the caller says it
        in one line), `TransientFailure` when Meta cannot be reached."""
        session = await self._open()
        url = f"{self.api_url}/{self.phone_number_id}"
        try:
            async with session.get(url, headers=self._auth,
                                   params={"fields": "display_phone_number,verified_name"}) as resp:
                body = await _read_body(resp)
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransientFailure(f"WhatsApp request failed: {exc!r}") from exc
        if status >= 400:
            raise GraphError.from_body(status, body)
        return body if isinstance(body, Mapping) else {}

    # --- transport -----------------------------------------------------------------------

    async def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            await self.start()
        assert self._session is not None
        return self._session

    async def _post_json(
        self, endpoint: str, payload: Mapping[str, Any], *, recipient: str = ""
    ) -> Any:
        url = f"{self.api_url}/{self.phone_number_id}/{endpoint}"
        return await self._request("POST", url, payload, recipient=recipient)

    async def _request(
        self,
        method: str,
        url: str,
        payload: Mapping[str, Any] | aiohttp.FormData | None,
        *,
        recipient: str = "",
    ) -> Any:
        session = await self._open()
        kwargs: dict[str, Any] = {"headers": self._auth}
        if isinstance(payload, aiohttp.FormData):
            kwargs["data"] = payload
        elif payload is not None:
            kwargs["json"] = payload
        try:
            async with session.request(method, url, **kwargs) as resp:
                body = await _read_body(resp)
                if resp.status < 400:
                    return body
                retry_after = _retry_after(resp.headers.get("Retry-After"))
        except (aiohttp.ClientError, TimeoutError) as exc:
            # The exception text names the URL, never the Authorization header.
            log.warning("WhatsApp request failed: %r", exc)
            raise TransientFailure(f"WhatsApp request failed: {exc!r}") from exc
        err = GraphError.from_body(resp.status, body)
        log.warning("WhatsApp refused a request to %s: %s", mask_number(recipient), err)
        raise map_error(
            err, recipient=recipient, retry_after=retry_after, pair_interval=self.pair_interval
        ) from err


async def _read_body(resp: aiohttp.ClientResponse) -> Any:
    text = await resp.text()
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return text


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP date: rare for Meta; fall back to the code's default pause
    return seconds if seconds >= 0 else None
