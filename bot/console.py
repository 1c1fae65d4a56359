"""The terminal channel: chat with the same core in a terminal (buttons as numbered choices).

With no platform configured it is the whole bot: the scheduler and the outbox deliver to it
(morning menu, reminders, attendance prompts, answers, announcements), and the person at the
keyboard is an owner, since it is their machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sys
import threading
from collections.abc import Awaitable, Callable, Sequence

from starlette.routing import BaseRoute

from bot.delivery import Sender
from bot.pacing import ChannelLimits
from bot.settings import Settings
from bot.stopping import first_of
from core.channels import ChannelInfo
from core.text import plain
from core.types import Button, Incoming, Reply
from handlers.dispatcher import Dispatcher

__all__ = ["LOCAL_USER", "ConsoleChannel", "ConsoleSender", "StdinReader", "describe"]

LOCAL_USER = "local"
BANNER = (
    "Dahar Ngopi bot — obrolan terminal. Ketik /mulai untuk mendaftar, /bantuan untuk "
    "bantuan, /keluar (atau Ctrl-C) untuk keluar. Pilih tombol dengan mengetik nomornya."
)
EXIT_WORDS = {"/keluar", "keluar", "/exit", "exit", "quit"}
BYE = "Sampai jumpa! ☕"


def describe(settings: Settings) -> ChannelInfo:
    """What the core needs to know of the terminal: bare commands. With no platform
    configured it is the whole bot: scheduled messages come to it, and the person at the
    keyboard is an owner (it is their machine). Beside a platform it is a plain chat:
    scheduled messages and admin notices go to the platforms."""
    alone = not settings.telegram_enabled and not (
        settings.whatsapp_enabled and not settings.whatsapp_missing()
    )
    return ChannelInfo(name="console", label="terminal", needs_slash=False, basic_html=True,
                       delivers=alone, linkable=False,
                       owners=frozenset({LOCAL_USER}) if alone else frozenset(), rate=1000.0)


class StdinReader:
    """Lines of standard input, read by a daemon thread: waiting for a line never keeps the
    process from leaving (Ctrl-C leaves at once, even in the middle of a prompt)."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._thread: threading.Thread | None = None

    def _pump(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            while line := sys.stdin.readline():
                loop.call_soon_threadsafe(self._queue.put_nowait, line)
        except (OSError, ValueError):  # standard input closed or not readable: the end
            pass
        finally:
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
                loop.call_soon_threadsafe(self._queue.put_nowait, None)

    async def __call__(self) -> str | None:
        """The next line (None at the end of input)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._pump, args=(asyncio.get_running_loop(),), daemon=True,
                name="stdin")
            self._thread.start()
        return await self._queue.get()


class ConsoleSender:
    """The outbox's way to the terminal: a scheduled message is printed between the lines."""

    channel = "console"

    def __init__(self, show: Callable[[Reply], None]) -> None:
        self._show = show
        self._ids = itertools.count(1)

    async def deliver(self, chat_id: str, reply: Reply) -> str | None:
        """Print `reply`; return a message id of our own."""
        self._show(reply)
        return f"console-{next(self._ids)}"


class ConsoleChannel:
    """Reads lines, passes them to the dispatcher, prints the replies; as the Channel port,
    gives the outbox a sender that prints what the scheduler sends."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        read_line: Callable[[], Awaitable[str | None]],
        write: Callable[[str], None],
        user_id: str = LOCAL_USER,
        info: ChannelInfo | None = None,
    ) -> None:
        self._dispatcher = dispatcher
        self._read = read_line
        self._out = write
        self._user = user_id
        self._choices: list[Button] = []
        self.info = info or ChannelInfo(name="console", label="terminal", needs_slash=False)
        self._prompting = False  # waiting for a line
        self._after_prompt = False  # the last thing written is the prompt

    def _write(self, text: str) -> None:
        self._out(text)
        self._after_prompt = text == "> "

    # --- the Channel port ------------------------------------------------------------

    async def open(self, stack: contextlib.AsyncExitStack, *, receive: bool) -> None:
        """Nothing to open: the terminal is there."""

    def routes(self) -> Sequence[BaseRoute]:
        """No webhook."""
        return []

    async def listening(self) -> None:
        """Nothing to register."""

    async def outbox(self, stack: contextlib.AsyncExitStack) -> tuple[Sender, ChannelLimits]:
        """Scheduled messages are printed as they come, unpaced."""
        return ConsoleSender(self.show), ChannelLimits(rate=None, chat_rate=None)

    # --- the chat ----------------------------------------------------------------------

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Chat until end of input, /keluar, or `stop` (Ctrl-C)."""
        stop = stop or asyncio.Event()
        self._write(BANNER)
        while True:
            self._prompt()
            line = await first_of(self._read(), stop)
            self._prompting = False
            if line is None:
                if stop.is_set():  # Ctrl-C while waiting for a line, not the end of input
                    self._write("\n" + BYE)
                return
            text = line.strip()
            if not text:
                continue
            if text.lower() in EXIT_WORDS:
                self._write(BYE)
                return
            await self.send(text)

    def _prompt(self) -> None:
        self._write("> ")
        self._prompting = True

    async def send(self, text: str) -> list[Reply]:
        """Handle one typed line: a number picks a button of the last message shown, when
        it had buttons; otherwise (a text prompt) a number is text like any other."""
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

    def show(self, reply: Reply) -> None:
        """Print a message the bot sends on its own, between the person's lines (on a line
        of its own, and the prompt again after it when a line is awaited)."""
        if self._after_prompt:
            self._write("\n")
        self._write("📩 " + "─" * 30)
        self._render(reply)
        if self._prompting:
            self._write("> ")

    def _render(self, reply: Reply) -> None:
        if not (reply.text or reply.document or reply.photo or reply.buttons or reply.notice):
            return
        # No toasts here: the text says it in full; a notice alone is shown in brackets.
        if reply.text:
            self._write(plain(reply.text))
        elif reply.notice:
            self._write(f"[{reply.notice}]")
        if reply.document:
            self._write(f"[berkas: {reply.document.filename}]")
        if reply.photo:
            self._write(f"[gambar: {reply.photo.filename}]")
        buttons = [b for row in reply.buttons for b in row]
        # The numbers always belong to the last message shown: one without buttons (a text
        # prompt) takes them away, so "1" typed there is text, not an old button.
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
