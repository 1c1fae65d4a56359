"""Drive the core dispatcher as one person on one channel: type, send files, press buttons."""

from __future__ import annotations

from core.types import Attachment, Button, Incoming, Reply
from handlers.dispatcher import Dispatcher

__all__ = ["Chat"]


class Chat:
    """One person's private chat with the core (no platform in between)."""

    def __init__(self, dispatcher: Dispatcher, user_id: str, channel: str = "telegram") -> None:
        self.dispatcher = dispatcher
        self.user_id = user_id
        self.channel = channel
        self.replies: list[Reply] = []
        self._message_id = 100

    async def _handle(self, inc: Incoming) -> list[Reply]:
        replies = await self.dispatcher.handle(inc)
        self.replies += replies
        return replies

    async def say(self, text: str) -> list[Reply]:
        """Type a message."""
        self._message_id += 1
        return await self._handle(Incoming(self.channel, self.user_id, self.user_id, text=text,  # type: ignore[arg-type]
                                           message_id=str(self._message_id)))

    async def send_photo(self, caption: str = "", file_id: str = "PHOTO-1") -> list[Reply]:
        """Send a photo with a caption."""
        self._message_id += 1
        photo = Attachment("foto.jpg", "image/jpeg", 1234, file_id)
        return await self._handle(Incoming(self.channel, self.user_id, self.user_id,  # type: ignore[arg-type]
                                           text=caption or None, photo=photo,
                                           message_id=str(self._message_id)))

    def button(self, label_part: str) -> Button:
        """The newest button whose label contains `label_part`."""
        for reply in reversed(self.replies):
            for row in reply.buttons:
                for b in row:
                    if label_part in b.label:
                        return b
        raise AssertionError(f"no button {label_part!r}")

    async def press(self, label_part: str | Button, message_id: str = "500") -> list[Reply]:
        """Press a button (or the data of someone else's button)."""
        b = self.button(label_part) if isinstance(label_part, str) else label_part
        return await self._handle(Incoming(self.channel, self.user_id, self.user_id,  # type: ignore[arg-type]
                                           callback=b.data, callback_id="cb",
                                           message_id=message_id))

    @staticmethod
    def text(replies: list[Reply]) -> str:
        """Every text and notice of some replies, joined."""
        return "\n".join(filter(None, [x for r in replies for x in (r.notice, r.text)]))
