"""The composition root: builds the database, the core and the channels from the settings."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine

from bot import console
from bot.channel import Adapter, Channel
from bot.delivery import PermanentFailure
from bot.heartbeat import process_name
from bot.readiness import Readiness
from bot.settings import Settings
from bot.telegram import channel as telegram
from bot.whatsapp import channel as whatsapp
from core.callbacks import Signer
from core.channels import Channels
from core.clock import Clock, SystemClock
from core.config import CertificateConfig, CoreConfig
from core.outbox import OutboxBell
from core.types import Reply
from db.engine import Sessions, create_engine, create_sessions
from db.migrate import upgrade_async
from db.models import AppMeta
from db.regions import load_regions
from db.startup import one_at_a_time
from handlers import default_routers
from handlers.dispatcher import Dispatcher
from handlers.faq_store import seed_if_empty
from handlers.router import Deps
from schedules.attendance_prompts import sign_for
from schedules.calendar import ensure_programmes
from schedules.calendar_import import load_sample_calendar
from schedules.calendar_report import SessionChange
from schedules.certificate_delivery import DocumentGone, DocumentMaker
from schedules.certificates import check_changed_sessions
from schedules.changes import ChangeOutcome, notify_session_changes
from schedules.nudges import NudgeConfig

if TYPE_CHECKING:
    from bot.whatsapp.channel import WhatsAppChannel

__all__ = ["ADAPTERS", "Runtime", "build_runtime", "core_config"]

log = logging.getLogger(__name__)

# Every channel the bot knows, in the order they are started. A new channel is a package in
# bot/ and a line here.
ADAPTERS: tuple[Adapter, ...] = (
    Adapter("telegram", telegram.describe, telegram.TelegramChannel),
    Adapter("whatsapp", whatsapp.describe,
            lambda rt, info: whatsapp.WhatsAppChannel(rt.settings, rt.dispatcher, rt.sessions,
                                                      rt.clock, name=rt.name,
                                                      halt=rt.stopping)),
    Adapter("console", console.describe),
)


@dataclass
class Runtime:
    """Everything the channels and jobs share; close it when done."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: Sessions
    deps: Deps
    dispatcher: Dispatcher
    bell: OutboxBell  # rings after a commit in this process that enqueued outbox rows
    # The configured channels that `run` starts, by name, built but not yet started.
    channels: dict[str, Channel] = field(default_factory=dict)
    extras: dict[str, object] = field(default_factory=dict)
    # This process among those sharing the database: its heartbeat, and who holds a claim.
    name: str = field(default_factory=process_name)
    # Set when the process begins to stop: what takes new work (the channels' inbox
    # processors) stops taking it at once, before everything is wound down in order.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    documents: DocumentMaker = field(init=False)
    # What /readyz checks: the parts `run` or `worker` started, and the database.
    readiness: Readiness = field(init=False)

    def __post_init__(self) -> None:
        self.documents = DocumentMaker(self.sessions, self.deps.config, self.clock)
        self.readiness = Readiness(self.sessions, stopping=self.stopping)

    @property
    def whatsapp(self) -> WhatsAppChannel | None:
        """The WhatsApp channel, when every WhatsApp setting is present."""
        from bot.whatsapp.channel import WhatsAppChannel

        found = self.channels.get("whatsapp")
        return found if isinstance(found, WhatsAppChannel) else None

    async def close(self) -> None:
        """Stop the WhatsApp inbox and release the HTTP pool and the database."""
        if self.whatsapp is not None:
            await self.whatsapp.close()
        self.bell.close()
        await self.engine.dispose()

    async def prepare(self, reply: Reply, person_id: int | None) -> Reply:
        """Make the document a payload names (a certificate's PDF) for its recipient: pass
        this as `OutboxWorker(prepare=...)`. A revoked certificate is a permanent failure."""
        try:
            return await self.documents(reply, person_id)
        except DocumentGone as exc:
            raise PermanentFailure(str(exc)) from exc

    def personalise(self, reply: Reply, person_id: int | None) -> Reply:
        """Sign a shared outbox payload's buttons for its recipient: pass this as
        `OutboxWorker(personalise=...)`, or prompts' buttons are refused when pressed."""
        return sign_for(reply, self.deps.signer, person_id)

    def nudge_config(self) -> NudgeConfig:
        """When nudges go out, to the channels that deliver."""
        return NudgeConfig.from_config(self.deps.config, self.deps.channels.delivering())


def core_config(settings: Settings) -> CoreConfig:
    """The part of the settings the core reads."""
    return CoreConfig(
        tz=settings.tz, morning_time=settings.morning_time,
        reminder_minutes=settings.reminder_minutes, catchup_hours=settings.catchup_hours,
        attendance_close=settings.attendance_close,
        question_max_chars=settings.question_max_chars,
        question_rate_per_hour=settings.question_rate_per_hour,
        announcement_progress_seconds=settings.announcement_progress_seconds,
        announcement_media_dir=Path(settings.announcement_media_dir),
        konsol_url=settings.konsol_url or settings.konsol_local_url,
        konsol_local=settings.konsol_url is None,
        certificates=CertificateConfig(
            public_url=settings.public_url, delay=timedelta(minutes=settings.cert_delay),
            organiser=settings.cert_organiser, signer_name=settings.cert_signer_name,
            signer_position=settings.cert_signer_position, signature=settings.cert_signature,
            background=settings.cert_background, logo=settings.cert_logo,
        ),
    )


async def _callback_key(sessions: Sessions, settings: Settings, *, store: bool) -> bytes:
    if settings.callback_secret is not None:
        return settings.callback_secret.get_secret_value().encode()
    async with sessions() as s, s.begin():
        await one_at_a_time(s)
        row = await s.get(AppMeta, "callback_key")
        if row is None:
            row = AppMeta(key="callback_key", value=secrets.token_hex(32))
            if store:
                s.add(row)
        return row.value.encode()


async def _seed(sessions: Sessions, settings: Settings, clock: Clock) -> None:
    async with sessions() as s, s.begin():
        await one_at_a_time(s)
        await ensure_programmes(s)
        if settings.sample_calendar:
            report = await load_sample_calendar(s, settings.tz, now=clock.now())
            if report is not None:
                log.info("loaded the sample calendar: %d sessions", report.added)
        seeded = await seed_if_empty(s, clock.now())
        if seeded:
            log.info("loaded the starting FAQ: %d entries", seeded)


async def build_runtime(
    settings: Settings,
    clock: Clock | None = None,
    *,
    migrate: bool = True,
    seed: bool = True,
    adapters: Sequence[Adapter] = ADAPTERS,
) -> Runtime:
    """Migrate the database, seed the programme (and sample calendar), build the dispatcher
    and the configured channels. `seed=False` writes nothing at all (commands that only
    read)."""
    clock = clock or SystemClock()
    if migrate:
        await upgrade_async(settings.database_url)
    engine = create_engine(settings.database_url)
    sessions = create_sessions(engine)
    if seed:
        await _seed(sessions, settings, clock)
    signer = Signer(await _callback_key(sessions, settings, store=seed))
    channels = Channels(a.describe(settings) for a in adapters)
    deps = Deps(config=core_config(settings), clock=clock, sessions=sessions, signer=signer,
                regions=load_regions(), channels=channels)
    dispatcher = Dispatcher(deps, default_routers())
    deps.commands = dispatcher.commands
    deps.main_keyboard = dispatcher.main_keyboard()
    rt = Runtime(settings, clock, engine, sessions, deps, dispatcher, OutboxBell(sessions))
    nudges = rt.nudge_config()

    async def on_calendar_change(changes: Sequence[SessionChange]) -> ChangeOutcome:
        outcome = await notify_session_changes(sessions, nudges, changes, now=clock.now())
        # A changed title, date or JP makes issued certificates wrong: the next sweep
        # revokes and replaces them.
        await check_changed_sessions(sessions, changes, clock.now())
        return outcome

    deps.on_calendar_change = on_calendar_change
    for adapter in adapters:
        info = channels[adapter.name]
        if adapter.build is not None and info.delivers:
            rt.channels[adapter.name] = adapter.build(rt, info)
    return rt
