"""The whole bot against the fake Telegram server: channel, outbox dispatcher, announcer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from telegram import Bot

from bot.heartbeat import Heartbeat
from bot.outbox_worker import ChannelLimits, OutboxWorker, WorkerConfig
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings, load_settings
from bot.telegram.channel import TelegramChannel
from bot.telegram.send import TelegramSender
from core.clock import Clock
from schedules.announcer import Announcer
from tests.fakes.telegram_server import FakeTelegram

__all__ = ["Stack", "running_stack"]


@dataclass
class Stack:
    """What a test talks to."""

    tg: FakeTelegram
    rt: Runtime
    channel: TelegramChannel
    bot: Bot
    outbox: OutboxWorker
    announcer: Announcer
    heartbeat: Heartbeat


def stack_settings(tg: FakeTelegram, db_url: str, extra: Mapping[str, str] | None = None
                   ) -> Settings:
    """Settings pointing at the fake, with owner 9001."""
    return load_settings({
        "DATABASE_URL": db_url, "ADMIN_TELEGRAM_IDS": "9001", "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_URL": tg.url, "SAMPLE_CALENDAR": "false", **(extra or {}),
    })


@asynccontextmanager
async def running_stack(
    tg: FakeTelegram,
    db_url: str,
    clock: Clock,
    *,
    rate: float | None = None,
    interval: float = 0.5,
    poll: float = 0.1,
    extra: Mapping[str, str] | None = None,
) -> AsyncIterator[Stack]:
    """Start everything `dahar-ngopi run` starts; stop it all at the end."""
    settings = stack_settings(tg, db_url, extra)
    rt = await build_runtime(settings, clock, migrate=False)
    channel = rt.channels["telegram"]
    assert isinstance(channel, TelegramChannel)
    # The outbox sends through a Bot of its own, as in `dahar-ngopi run`.
    bot = Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url)
    outbox = OutboxWorker(
        rt.sessions, clock, [TelegramSender(bot)],
        limits={"telegram": ChannelLimits(rate=rate, chat_rate=None)},
        config=WorkerConfig(poll_interval=0.05, maintenance_interval=0.2),
    )
    announcer = Announcer(rt.sessions, clock, rt.deps.config, rt.deps.channels,
                          rt.deps.regions, rt.deps.signer, interval=interval, poll=poll)
    rt.deps.announcer = announcer
    heartbeat = Heartbeat(rt.sessions, clock, "run", name=rt.name)
    try:
        async with bot, AsyncExitStack() as stack:
            await channel.open(stack, receive=True)
            await heartbeat.start()
            outbox.start()
            announcer.start()
            try:
                yield Stack(tg, rt, channel, bot, outbox, announcer, heartbeat)
            finally:
                await heartbeat.stop()
                await announcer.stop()
                await outbox.stop()
    finally:
        await rt.close()
