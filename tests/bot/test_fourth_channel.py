"""A fourth channel needs only its module and a line in the composition root."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from bot.app import run_worker
from bot.channel import Adapter
from bot.runtime import ADAPTERS, build_runtime
from bot.settings import Settings
from core.clock import FixedClock
from tests.auxil import pigeon
from tests.auxil.chat import Chat, text

MONDAY_0630_WIB = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
PIGEON = Adapter("pigeon", pigeon.describe, pigeon.PigeonChannel)


async def test_a_fourth_channel_works_through_the_whole_core(
    make_settings: Callable[..., Settings],
) -> None:
    clock = FixedClock(MONDAY_0630_WIB)
    rt = await build_runtime(make_settings(), clock, migrate=False,
                             adapters=(*ADAPTERS, PIGEON))
    try:
        channel = rt.channels["pigeon"]
        assert isinstance(channel, pigeon.PigeonChannel)
        # Bare command words, as its description says; help lists them without a slash.
        help_text = text(await channel.receive("loft-7", "bantuan"))
        assert "\nmenu — " in help_text and "/menu" not in help_text
        # Registration on the new channel (its buttons pressed as the core made them).
        await Chat(rt, "loft-7", channel="pigeon").register(name="Siti Aminah")
        # Its owners come from its description: the admin list names them with the channel.
        assert "pigeon:loft-1" in text(await channel.receive(pigeon.OWNER, "admin"))
        added = await channel.receive(pigeon.OWNER, "admin tambah pigeon:loft-9")
        assert "kini admin" in text(added)
        # Linking offers every linkable channel, the new one included.
        code_text = text(await channel.receive("loft-7", "hubungkan"))
        assert "Telegram atau WhatsApp" in code_text
        assert "Merpati" in text(await Chat(rt, "555").say("/hubungkan"))
        # Scheduled messages go out through its sender: the worker delivers the morning menu.
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(rt, stop=stop))
        for _ in range(200):
            if channel.sender.sent:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await worker
        assert channel.open_for == [False]  # the worker opens channels without receiving
        [menu] = [r for c, r in channel.sender.sent if c == "loft-7"]
        assert "Forum ASN Berbagi Ilmu" in menu.text
    finally:
        await rt.close()

