"""The WhatsApp implementation of the `bot.delivery.Sender` port."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import mimetypes
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.delivery import OutsideWindow, PermanentFailure
from bot.whatsapp.client import WhatsAppClient, mask_number
from bot.whatsapp.render import MediaPart, MessagePart, render
from core.types import Attachment, Reply

__all__ = ["TemplateFallback", "TemplateMessage", "WhatsAppSender"]

log = logging.getLogger(__name__)

# Media ids stay valid for 30 days; a broadcast PDF is uploaded once, not once per person.
_UPLOAD_CACHE_SIZE = 64


@dataclass(frozen=True)
class TemplateMessage:
    """An approved template to send instead of a free-form reply."""

    name: str
    params: Sequence[str] = ()
    quick_replies: Sequence[str] = ()
    language: str | None = None  # None: the sender's default language
    document_header: bool = False  # the reply's document goes in the template's header


# Decides, for a reply refused with 131047 (outside the 24-hour window), which template
# carries it instead; None means "no template fits": the OutsideWindow error is raised.
TemplateFallback = Callable[[str, Reply], TemplateMessage | None]


class WhatsAppSender:
    """Deliver neutral replies to WhatsApp numbers through a `WhatsAppClient`."""

    channel = "whatsapp"

    def __init__(
        self,
        client: WhatsAppClient,
        *,
        template_language: str = "id",
        fallback: TemplateFallback | None = None,
    ) -> None:
        self.client = client
        self.template_language = template_language
        self.fallback = fallback
        self._uploaded: OrderedDict[str, str] = OrderedDict()
        # Uploads in flight by content: a broadcast's one file is uploaded once while its
        # sends wait for the id; different files (certificates) upload side by side.
        self._uploading: dict[str, asyncio.Future[str]] = {}

    async def deliver(self, chat_id: str, reply: Reply) -> str | None:
        """Send `reply` to the number `chat_id`; return the wamid of the last message.

        A reply can take several WhatsApp messages (long text, file, buttons); if one
        fails the error is raised and the earlier ones stay sent.
        """
        wamid: str | None = None
        for index, part in enumerate(render(reply)):
            try:
                if isinstance(part, MessagePart):
                    wamid = await self.client.send(chat_id, part.message)
                else:
                    wamid = await self._send_media(chat_id, part)
            except OutsideWindow:
                template = self.fallback(chat_id, reply) if self.fallback else None
                if index > 0 or template is None:
                    raise
                log.info("outside the 24-hour window for %s: sending template %s",
                         mask_number(chat_id), template.name)
                return await self.send_template_for(chat_id, template, reply)
        return wamid

    async def send_template_for(
        self, chat_id: str, template: TemplateMessage, reply: Reply
    ) -> str:
        """Send `template` in place of `reply` (its document uploaded for a document header)."""
        header: tuple[str, str] | None = None
        if template.document_header:
            if reply.document is None:
                raise PermanentFailure(f"template {template.name} needs a document")
            header = (await self.upload(reply.document),
                      Path(reply.document.filename).name)
        return await self.send_template(
            chat_id, template.name, template.params, quick_replies=template.quick_replies,
            language=template.language, header_document=header,
        )

    async def send_template(
        self,
        chat_id: str,
        name: str,
        params: Sequence[str] = (),
        *,
        quick_replies: Sequence[str] = (),
        language: str | None = None,
        header_document: tuple[str, str] | None = None,
    ) -> str:
        """Send an approved template; templates may open a conversation at any time."""
        return await self.client.send_template(
            chat_id,
            name,
            language or self.template_language,
            params,
            quick_replies=quick_replies,
            header_document=header_document,
        )

    async def _send_media(self, chat_id: str, part: MediaPart) -> str:
        att = part.attachment
        filename = Path(att.filename).name if att.filename else ""
        if att.content is None and att.file_id and att.file_id.startswith(("https://", "http://")):
            media_id, link = None, att.file_id
        elif att.content is None and att.file_id:
            media_id, link = att.file_id, None
        else:
            media_id, link = await self.upload(att), None
        if part.kind == "image":
            return await self.client.send_image(
                chat_id, media_id=media_id, link=link, caption=part.caption
            )
        return await self.client.send_document(
            chat_id, media_id=media_id, link=link, caption=part.caption, filename=filename
        )

    async def upload(self, att: Attachment) -> str:
        """Upload a file (its bytes, or the file its name points at); return its media id.
        The same bytes are uploaded once (media ids stay valid for 30 days)."""
        data = att.content
        if data is None:
            # The outbox stores no bytes: an attachment may name a file on disk instead.
            path = Path(att.filename)
            if not att.filename or not await asyncio.to_thread(path.is_file):
                raise PermanentFailure(f"attachment {att.filename!r} has no content or file id")
            data = await asyncio.to_thread(path.read_bytes)
        key = hashlib.sha256(data).hexdigest()
        if key in self._uploaded:
            self._uploaded.move_to_end(key)
            return self._uploaded[key]
        pending = self._uploading.get(key)
        if pending is not None:
            # The same file is being uploaded for another recipient: wait for its id.
            return await asyncio.shield(pending)
        pending = self._uploading[key] = asyncio.get_running_loop().create_future()
        try:
            mime = (
                att.mime_type or mimetypes.guess_type(att.filename)[0] or "application/octet-stream"
            )
            media_id = await self.client.upload_media(data, mime, Path(att.filename).name or "file")
        except BaseException as exc:
            pending.set_exception(exc)
            pending.exception()  # retrieved: a failure nobody waits for is not logged as lost
            raise
        finally:
            del self._uploading[key]
        pending.set_result(media_id)
        self._uploaded[key] = media_id
        if len(self._uploaded) > _UPLOAD_CACHE_SIZE:
            self._uploaded.popitem(last=False)
        return media_id
