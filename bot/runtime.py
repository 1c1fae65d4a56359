"""The composition root: builds the database, the core and the channels from the settings."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock, SystemClock
from bot.settings import Settings
from db.engine import Sessions, create_engine, create_sessions
from db.migrate import upgrade_async
from db.models import AppMeta
from db.regions import load_regions
from handlers import default_routers
from handlers.callbacks import Signer
from handlers.dispatcher import Dispatcher
from handlers.faq_store import FaqService, seed_if_empty
from handlers.router import Deps
from handlers.types import Reply
from schedules.attendance_prompts import sign_for
from schedules.calendar import ensure_programmes
from schedules.calendar_import import load_sample_calendar
from schedules.calendar_report import SessionChange
from schedules.changes import ChangeOutcome, notify_session_changes
from schedules.nudges import NudgeConfig

if TYPE_CHECKING:
    from bot.whatsapp.channel import WhatsAppChannel

__all__ = ["Runtime", "build_runtime", "enabled_channels"]

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything the channels and jobs share; close it when done."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: Sessions
    deps: Deps
    dispatcher: Dispatcher
    extras: dict[str, Any] = field(default_factory=dict)
    whatsapp: WhatsAppChannel | None = None  # set when every WhatsApp setting is present

    async def close(self) -> None:
        """Stop the WhatsApp inbox and release the HTTP pool and the database."""
        if self.whatsapp is not None:
            await self.whatsapp.close()
        await self.engine.dispose()

    def personalise(self, reply: Reply, person_id: int | None) -> Reply:
        """Sign a shared outbox payload's buttons for its recipient: pass this as
        `OutboxDispatcher(personalise=...)`, or prompts' buttons are refused when pressed."""
        return sign_for(reply, self.deps.signer, person_id)


async def _callback_key(sessions: Sessions, settings: Settings) -> bytes:
    if settings.callback_secret is not None:
        return settings.callback_secret.get_secret_value().encode()
    async with sessions() as s, s.begin():
        row = await s.get(AppMeta, "callback_key")
        if row is None:
            row = AppMeta(key="callback_key", value=secrets.token_hex(32))
            s.add(row)
        return row.value.encode()


async def build_runtime(
    settings: Settings, clock: Clock | None = None, *, migrate: bool = True
) -> Runtime:
    """Migrate the database, seed the programme (and sample calendar), build the dispatcher."""
    clock = clock or SystemClock()
    if migrate:
        await upgrade_async(settings.database_url)
    engine = create_engine(settings.database_url)
    sessions = create_sessions(engine)
    async with sessions() as s, s.begin():
        await ensure_programmes(s)
        if settings.sample_calendar:
            report = await load_sample_calendar(s, settings.tz, now=clock.now())
            if report is not None:
                log.info("loaded the sample calendar: %d sessions", report.added)
        seeded = await seed_if_empty(s, clock.now())
        if seeded:
            log.info("loaded the starting FAQ: %d entries", seeded)
    signer = Signer(await _callback_key(sessions, settings))
    deps = Deps(settings=settings, clock=clock, sessions=sessions, signer=signer,
                regions=load_regions())
    dispatcher = Dispatcher(deps, default_routers())
    deps.services["commands"] = dispatcher.commands
    deps.services["main_keyboard"] = dispatcher.main_keyboard()
    # The FAQ matcher; it rebuilds itself when an import or edit changed the stored FAQ.
    deps.services["faq"] = FaqService()
    nudges = NudgeConfig.from_settings(settings, enabled_channels(settings))

    async def on_calendar_change(changes: Sequence[SessionChange]) -> ChangeOutcome:
        return await notify_session_changes(sessions, nudges, changes, now=clock.now())

    deps.services["on_calendar_change"] = on_calendar_change
    rt = Runtime(settings, clock, engine, sessions, deps, dispatcher)
    if settings.whatsapp_enabled and not settings.whatsapp_missing():
        from bot.whatsapp.channel import WhatsAppChannel

        rt.whatsapp = WhatsAppChannel(settings, dispatcher, sessions, clock)
    return rt


def enabled_channels(settings: Settings) -> list[str]:
    """The channels scheduled messages may go to."""
    channels = ["telegram"] if settings.telegram_enabled else []
    if settings.whatsapp_enabled and not settings.whatsapp_missing():
        channels.append("whatsapp")
    return channels
