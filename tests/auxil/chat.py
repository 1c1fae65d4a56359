"""A person chatting with the core dispatcher (no channel): type, press buttons, send files."""

from __future__ import annotations

import itertools

from bot.runtime import Runtime
from core.types import Attachment, Incoming, Reply

__all__ = ["Chat", "buttons", "text"]

_ids = itertools.count(1000)


def text(replies: list[Reply]) -> str:
    """Every reply's text (and toast), joined."""
    return "\n".join(part for r in replies for part in (r.notice, r.text) if part)


def buttons(replies: list[Reply]) -> list[str]:
    """Every button label, in order."""
    return [b.label for r in replies for row in r.buttons for b in row]


class Chat:
    """One account on one channel, talking to `rt.dispatcher`."""

    def __init__(self, rt: Runtime, user_id: str, channel: str = "telegram") -> None:
        self.rt = rt
        self.user_id = user_id
        self.channel = channel
        self.last: list[Reply] = []

    async def _send(self, inc: Incoming, files: dict[str, bytes] | None = None) -> list[Reply]:
        async def fetch(att: Attachment) -> bytes:
            return (files or {})[att.file_id or ""]

        self.last = await self.rt.dispatcher.handle(inc, fetch_file=fetch)
        return self.last

    async def say(self, words: str, *, reply_to: str | None = None,
                  reply_to_text: str | None = None) -> list[Reply]:
        """Type a message (optionally as a reply to a bot message)."""
        inc = Incoming(self.channel, self.user_id, self.user_id, text=words,  # type: ignore[arg-type]
                       message_id=str(next(_ids)), reply_to_message_id=reply_to,
                       reply_to_text=reply_to_text)
        return await self._send(inc)

    async def press(self, label: str, replies: list[Reply] | None = None) -> list[Reply]:
        """Press the button labelled `label` among `replies` (default: the last answer)."""
        for reply in replies if replies is not None else self.last:
            for row in reply.buttons:
                for b in row:
                    if b.label == label:
                        inc = Incoming(self.channel, self.user_id,  # type: ignore[arg-type]
                                       self.user_id, callback=b.data, callback_id="cb",
                                       message_id=str(next(_ids)))
                        return await self._send(inc)
        raise AssertionError(f"no button {label!r} in {buttons(replies or self.last)}")

    async def press_data(self, data: str) -> list[Reply]:
        """Send button data as a press (a template's quick reply, a forged button)."""
        inc = Incoming(self.channel, self.user_id, self.user_id,  # type: ignore[arg-type]
                       callback=data, callback_id="cb", message_id=str(next(_ids)))
        return await self._send(inc)

    async def send_file(self, filename: str, content: bytes,
                        caption: str | None = None) -> list[Reply]:
        """Send a document."""
        file_id = f"f{next(_ids)}"
        inc = Incoming(self.channel, self.user_id, self.user_id, text=caption,  # type: ignore[arg-type]
                       document=Attachment(filename, None, len(content), file_id),
                       message_id=str(next(_ids)))
        return await self._send(inc, {file_id: content})

    async def register(self, name: str = "Budi Santoso", nip: str = "198507142010011003",
                       instansi: str = "Dinas Pendidikan Kab. Sidoarjo") -> None:
        """Walk the registration as a person would."""
        await self.say("/mulai")
        await self.press("✅ Saya setuju")
        await self.say(name)
        await self.say(nip)
        await self.say(instansi)
        await self.say("sidoarjo")
        await self.press("Kab. Sidoarjo (Jawa Timur)")
        done = await self.press("✅ WIB (disarankan)")
        assert "Pendaftaran selesai" in text(done), text(done)
