"""The port each platform adapter implements: its description, receiving, and delivering."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from starlette.routing import BaseRoute

from bot.delivery import Sender
from bot.settings import Settings
from core.channels import ChannelInfo

if TYPE_CHECKING:
    from bot.outbox_worker import ChannelLimits
    from bot.runtime import Runtime

__all__ = ["Adapter", "Channel"]


class Channel(Protocol):
    """A running channel, as `dahar-ngopi run` and `worker` drive it."""

    info: ChannelInfo

    async def open(self, stack: contextlib.AsyncExitStack, *, receive: bool) -> None:
        """Open its clients (closed by `stack`); with `receive`, start taking messages."""

    def routes(self) -> Sequence[BaseRoute]:
        """The HTTP routes it serves on the public listener (webhooks); may be none."""

    async def listening(self) -> None:
        """The HTTP server answers now (a webhook may be registered with the platform)."""

    async def outbox(self, stack: contextlib.AsyncExitStack) -> tuple[Sender, ChannelLimits]:
        """What the outbox delivers through on this channel, and at which pace."""


@dataclass(frozen=True)
class Adapter:
    """A channel as the composition root knows it: how it describes itself from the
    settings, and (for a channel `run` starts) how it is built once configured."""

    name: str
    describe: Callable[[Settings], ChannelInfo]
    build: Callable[[Runtime, ChannelInfo], Channel] | None = None
