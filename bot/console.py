"""The terminal channel: chat with the same core in a terminal (buttons as numbered choices)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

from bot.settings import Settings
from core.channels import ChannelInfo
from core.text import plain
from core.types import Button, Incoming, Reply
from handlers.dispatcher import Dispatcher

__all__ = ["ConsoleChannel", "describe", "stdin_reader"]

BANNER = (
    "Dahar Ngopi bot — obrolan terminal. Ketik /mulai untuk mendaftar, /bantuan untuk "
    "bantuan, /keluar untuk keluar. Pilih tombol dengan mengetik nomornya."
)


def describe(settings: Settings) -> ChannelInfo:
    """What the core needs to know of the terminal: bare commands, nothing scheduled yet."""
    return ChannelInfo(name="console", label="terminal", needs_slash=False, basic_html=True,
                       delivers=False, linkable=False)


async def stdin_reader() -> str | None:
    """Read a line from standard input without blocking the event loop (None at EOF)."""
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return line if line else None


class ConsoleChannel:
    """Reads lines, passes them to the dispatcher, prints the replies."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        read_line: Callable[[], Awaitable[str | None]],
        write: Callable[[str], None],
        user_id: str = "local",
    ) -> None:
        self._dispatcher = dispatcher
        self._read = read_line
        self._write = write
        self._user = user_id
        self._choices: list[Button] = []

    async def run(self) -> None:
        """Chat until EOF or /keluar."""
        self._write(BANNER)
        while True:
            self._write("> ")
            line = await self._read()
            if line is None:
                break
            text = line.strip()
            if not text:
                continue
            if text.lower() in {"/keluar", "keluar", "/exit", "exit", "quit"}:
                self._write("Sampai jumpa! ☕")
                break
            await self.send(text)

    async def send(self, text: str) -> list[Reply]:
        """Handle one typed line (a number picks a button of the last message)."""
        inc: Incoming
        if text.isdigit() and 1 <= int(text) <= len(self._choices):
            button = self._choices[int(text) - 1]
            inc = Incoming("console", self._user, self._user, callback=button.data)
        else:
            inc = Incoming("console", self._user, self._user, text=text)
        replies = await self._dispatcher.handle(inc)
        for reply in replies:
            self._render(reply)
        return replies

    def _render(self, reply: Reply) -> None:
        if reply.notice:
            self._write(f"[{reply.notice}]")
        if reply.text:
            self._write(plain(reply.text))
        if reply.document:
            self._write(f"[berkas: {reply.document.filename}]")
        if reply.photo:
            self._write(f"[gambar: {reply.photo.filename}]")
        buttons = [b for row in reply.buttons for b in row]
        if buttons:
            self._choices = [b for b in buttons if not b.url]
            n = 0
            for b in buttons:
                if b.url:
                    self._write(f"    {b.label}: {b.url}")
                else:
                    n += 1
                    self._write(f"  [{n}] {b.label}")
        if reply.keyboard and reply.keyboard.rows:
            labels = " | ".join(label for row in reply.keyboard.rows for label in row)
            self._write(f"(Tombol menu: {labels})")
