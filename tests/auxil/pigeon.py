"""A fourth channel, as small as one can be: carrier pigeons ("merpati"). It exists to show
that a new channel touches only its own module and the composition root (issue 11)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from bot.delivery import Sender
from bot.pacing import ChannelLimits
from bot.settings import Settings
from core.channels import ChannelInfo
from core.types import Incoming, Reply

if TYPE_CHECKING:
    from bot.runtime import Runtime

__all__ = ["PigeonChannel", "PigeonSender", "describe"]

OWNER = "loft-1"  # the owner's pigeon loft


def describe(settings: Settings) -> ChannelInfo:
    """Pigeons carry short notes, cannot take a note back, and nobody types a slash."""
    return ChannelInfo(
        name="pigeon", label="Merpati", can_edit=False, needs_slash=False, shows_slash=False,
        text_limit=500, caption_limit=100, upload_limit=1024, owners=frozenset({OWNER}),
        rate=5.0,
    )


class PigeonSender:
    """Delivers by "releasing a bird": records the notes."""

    channel = "pigeon"

    def __init__(self) -> None:
        self.sent: list[tuple[str, Reply]] = []

    async def deliver(self, chat_id: str, reply: Reply) -> str | None:
        """Send one note."""
        self.sent.append((chat_id, reply))
        return str(len(self.sent))


class PigeonChannel:
    """The running channel: notes in through `receive`, the outbox out through the sender."""

    def __init__(self, rt: Runtime, info: ChannelInfo) -> None:
        self.info = info
        self._rt = rt
        self.sender = PigeonSender()
        self.open_for: list[bool] = []

    async def receive(self, loft: str, text: str) -> list[Reply]:
        """A note arrived from a person's loft."""
        return await self._rt.dispatcher.handle(Incoming("pigeon", loft, loft, text=text))

    async def open(self, stack: contextlib.AsyncExitStack, *, receive: bool) -> None:
        """Nothing to connect to."""
        self.open_for.append(receive)

    def routes(self) -> Sequence[BaseRoute]:
        """Pigeons need no webhook."""
        return []

    async def listening(self) -> None:
        """Nothing to register."""

    async def outbox(self, stack: contextlib.AsyncExitStack) -> tuple[Sender, ChannelLimits]:
        """The recording sender, at the channel's rate."""
        return self.sender, ChannelLimits(self.info.rate, None)
