"""The WhatsApp channel: webhook bodies in, the inbox, the core, replies out."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.routing import BaseRoute

from bot.counters import count_rate_limit, count_reply
from bot.delivery import (
    Blocked,
    ChatRateLimited,
    DeliveryError,
    RateLimited,
    TransientFailure,
)
from bot.flow import ChannelFlow
from bot.inbox import InboxProcessor, LostClaim
from bot.pacing import ChannelLimits
from bot.receiving import ReceiveHealth, ReceiveTrouble
from bot.settings import Settings
from bot.whatsapp.client import WhatsAppClient, mask_number
from bot.whatsapp.inbox import KEEP_FOR, split_messages
from bot.whatsapp.numbers import normalize_number
from bot.whatsapp.probe import check_whatsapp
from bot.whatsapp.routes import whatsapp_routes
from bot.whatsapp.sender import WhatsAppSender
from bot.whatsapp.statuses import StatusRecorder
from bot.whatsapp.templates import Templates, WindowedSender
from bot.whatsapp.webhook import (
    StatusEvent,
    Unsupported,
    parse_webhook,
    verify_handshake,
    verify_signature,
)
from core.channels import ChannelInfo
from core.clock import Clock
from core.types import Attachment, Reply
from db.engine import Sessions
from db.inbox import store_inbox
from db.inbox_claims import WHATSAPP, ClaimedMessage, mark_handled
from db.people import get_or_create_identity, rename_identity
from handlers.dispatcher import Dispatcher

__all__ = ["MAX_UPLOAD", "Receipt", "StatusHandler", "WhatsAppChannel", "describe"]

log = logging.getLogger(__name__)

MAX_UPLOAD = 5 * 1024 * 1024  # files people send us (calendar, FAQ); larger ones are refused
SORRY = "Maaf, terjadi gangguan saat memproses pesan Bapak/Ibu. Silakan coba lagi sebentar lagi."
UNSUPPORTED = (
    "Maaf, {what} belum dapat kami proses: bot ini hanya membaca pesan teks. 🙏 Silakan ketik "
    "pesan Bapak/Ibu, misalnya <i>menu</i>, <i>jadwal</i>, atau <i>bantuan</i>."
)
_KIND_WORDS = {
    "sticker": "stiker",
    "location": "lokasi",
    "contacts": "kontak",
    "audio": "pesan suara",
    "video": "video",
    "order": "pesanan",
}
SEND_TRIES = 3
MAX_PAUSE = 30.0  # a reply waits at most this long for a rate limit, then gives up

# Applies delivery statuses to the outbox inside the webhook's own unit of work.
StatusHandler = Callable[[AsyncSession, Sequence[StatusEvent]], Awaitable[None]]


def describe(settings: Settings) -> ChannelInfo:
    """What the core needs to know of WhatsApp."""
    return ChannelInfo(
        name="whatsapp", label="WhatsApp", can_edit=False, needs_slash=False, shows_slash=False,
        has_toasts=False,
        text_limit=4096, caption_limit=1024, upload_limit=100 * 1024 * 1024, basic_html=True,
        templates=True,
        delivers=settings.whatsapp_enabled and not settings.whatsapp_missing(),
        owners=frozenset(settings.admin_whatsapp_numbers), rate=settings.whatsapp_rate,
        parse_user_id=normalize_number,
    )


@dataclass
class Receipt:
    """What one webhook body brought (for the log and for tests)."""

    stored: int = 0  # new messages put in the inbox
    repeated: int = 0  # messages already stored (Meta re-delivered the webhook)
    statuses: int = 0
    malformed: bool = False
    ignored: Counter[str] = field(default_factory=Counter)


class WhatsAppChannel:
    """Everything the bot does on WhatsApp, between the HTTP server and the core."""

    channel = "whatsapp"

    def __init__(
        self,
        settings: Settings,
        dispatcher: Dispatcher,
        sessions: Sessions,
        clock: Clock,
        *,
        client: WhatsAppClient | None = None,
        on_statuses: StatusHandler | None = None,
        name: str = "whatsapp",
        halt: asyncio.Event | None = None,
    ) -> None:
        if not settings.whatsapp_enabled:
            raise ValueError("WhatsApp is not configured: " + ", ".join(
                settings.whatsapp_missing()))
        assert settings.whatsapp_access_token is not None
        assert settings.whatsapp_phone_number_id is not None
        self.phone_number_id = settings.whatsapp_phone_number_id
        self._app_secret = (
            settings.whatsapp_app_secret.get_secret_value() if settings.whatsapp_app_secret
            else ""
        )
        self._verify_token = settings.whatsapp_verify_token or ""
        self.client = client or WhatsAppClient(
            token=settings.whatsapp_access_token.get_secret_value(),
            phone_number_id=self.phone_number_id,
            api_url=settings.whatsapp_api_url,
            rate=settings.whatsapp_rate,
            pair_interval=settings.whatsapp_pair_interval,
        )
        self._rate = settings.whatsapp_rate
        self.templates = Templates.from_settings(settings)
        self.sender = WhatsAppSender(
            self.client, template_language=self.templates.language,
            fallback=self.templates.for_reply,
        )
        # What the outbox delivers through: it knows the 24-hour window.
        self.outbox_sender = WindowedSender(self.sender, self.templates, sessions, clock)
        self.dispatcher = dispatcher
        self.on_statuses = on_statuses or StatusRecorder(
            clock, pair_interval=settings.whatsapp_pair_interval
        )
        self._sessions = sessions
        self._clock = clock
        # `name`: this process's (its heartbeat's), so others free its senders if it dies.
        self._name = name
        # `halt`: set when the process begins to stop (the inbox then takes no new work).
        self.inbox = InboxProcessor(sessions, clock, WHATSAPP, self._process, name=name,
                                    label="WhatsApp", channel="whatsapp", concurrency=32,
                                    keep_for=KEEP_FOR, halt=halt)
        self.flow = ChannelFlow(sessions, "whatsapp", self.outbox_limits)
        self._processing = False
        self.info = describe(settings)
        # The webhook's calls: refused or not stored (bot.alerts reads it).
        self.health = ReceiveHealth(clock, hint=(
            "database menjawab, dan WHATSAPP_APP_SECRET sama dengan App Secret di dasbor Meta "
            "(tanda tangan yang salah ditolak)"))

    @property
    def outbox_limits(self) -> ChannelLimits:
        """Pacing for the outbox: WHATSAPP_RATE per second, one message per
        WHATSAPP_PAIR_INTERVAL seconds to the same person (Meta's pair rate limit)."""
        pair = self.client.pair_interval
        return ChannelLimits(rate=self._rate, chat_rate=1 / pair if pair > 0 else None)

    async def start(self, *, process: bool = True) -> None:
        """Open the HTTP pool and (unless `process=False`) start working through the inbox."""
        await self.client.start()
        if process:
            await self.flow.start()
            self.inbox.start()
            self._processing = True

    async def close(self) -> None:
        """Finish the messages in hand, then close the HTTP pool."""
        await self.inbox.stop()
        if self._processing:
            self._processing = False
            await self.flow.stop()
        await self.client.close()

    # --- the Channel port (bot.channel) ----------------------------------------------------

    async def open(self, stack: contextlib.AsyncExitStack, *, receive: bool) -> None:
        """`start`, closed by `stack`: the client, and (with `receive`) the inbox; first
        check that Meta accepts the token and the phone number ID (else one line, and stop)."""
        await self.client.start()
        stack.push_async_callback(self.close)
        await check_whatsapp(self.client)
        await self.start(process=receive)

    def routes(self) -> Sequence[BaseRoute]:
        """The webhook (stored before 200, so always served while receiving)."""
        return whatsapp_routes(self)

    async def listening(self) -> None:
        """Nothing to do: the webhook URL is set in Meta's app dashboard."""

    @property
    def receiving(self) -> bool:
        """Whether this process receives on WhatsApp (it serves the webhook)."""
        return self._processing

    async def receive_trouble(self, *, longer_than: timedelta,
                              pending_limit: int) -> ReceiveTrouble | None:
        """The webhook refusing or failing to store Meta's calls for `longer_than` (Meta has
        no pending count to ask for)."""
        return self.health.trouble(longer_than=longer_than)

    async def outbox(self, stack: contextlib.AsyncExitStack) -> tuple[WindowedSender,
                                                                       ChannelLimits]:
        """The 24-hour-window sender and its pacing."""
        return self.outbox_sender, self.outbox_limits

    # --- the webhook ---------------------------------------------------------------------

    def signature_ok(self, raw: bytes, header: str | None) -> bool:
        """Whether X-Hub-Signature-256 signs the raw body with our app secret."""
        return verify_signature(self._app_secret, raw, header)

    def handshake(self, params: Mapping[str, str]) -> str | None:
        """The challenge to echo for Meta's subscription GET (None: refuse)."""
        return verify_handshake(params, self._verify_token)

    async def receive(self, raw: bytes) -> Receipt:
        """Store a verified body's messages and apply its statuses, durably, before 200.

        Raises only when the database fails: then the webhook must not answer 200,
        so that Meta delivers it again.
        """
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            log.warning("acknowledged a WhatsApp webhook that is not a JSON object (%d bytes)",
                        len(raw))
            return Receipt(malformed=True)
        events = parse_webhook(body, phone_number_id=self.phone_number_id)
        items = split_messages(body, phone_number_id=self.phone_number_id)
        now = self._clock.now()
        async with self._sessions() as s, s.begin():
            stored = await store_inbox(s, items, now)
            if events.statuses and self.on_statuses is not None:
                await self.on_statuses(s, events.statuses)
        if stored:
            self.inbox.wake()
        receipt = Receipt(stored, len(items) - stored, len(events.statuses), False, events.ignored)
        if receipt.repeated:
            log.info("WhatsApp re-delivered %d message(s) already stored", receipt.repeated)
        if events.ignored:
            log.info("WhatsApp webhook items skipped: %s", dict(events.ignored))
        return receipt

    # --- processing the inbox -------------------------------------------------------------

    async def _process(self, row: ClaimedMessage) -> str | None:
        if row.status == "handled":  # handled before a restart; the replies were not all sent
            replies = [Reply.from_dict(d) for d in row.replies or []]
        else:
            replies = await self._handle(row)
        return await self.send_replies(row.chat, replies)

    async def _handle(self, row: ClaimedMessage) -> list[Reply]:
        events = parse_webhook(row.body)

        async def record(s: AsyncSession, replies: list[Reply]) -> None:
            # Guarded by this process's claim: the core's effects commit once per message.
            if not await mark_handled(s, WHATSAPP, row.key, worker=self._name,
                                      replies=[r.to_dict() for r in replies],
                                      now=self._clock.now()):
                raise LostClaim

        for inc in events.incoming:
            if inc.callback is not None and inc.callback == inc.text:
                # A template quick reply sent without a payload comes back with its text
                # as payload: it is what the person "said" (buttons named Menu, Jadwal…).
                inc = replace(inc, callback=None, callback_id=None)
            try:
                return await self.dispatcher.handle(inc, self.fetch, before_commit=record)
            except LostClaim:
                raise
            except Exception:
                log.exception("handling a WhatsApp %s failed",
                              "button press" if inc.callback else "message")
                replies = [Reply(SORRY)]
                async with self._sessions() as s, s.begin():
                    await record(s, replies)
                return replies
        for item in events.unsupported:
            return await self._unsupported(item, record)
        async with self._sessions() as s, s.begin():
            for change in events.number_changes:
                moved = await rename_identity(s, "whatsapp", change.old_wa_id, change.new_wa_id)
                log.info("a WhatsApp account changed number (%s → %s): %s",
                         mask_number(change.old_wa_id), mask_number(change.new_wa_id),
                         "followed" if moved else "nothing to move")
            await record(s, [])
        return []

    async def _unsupported(
        self, item: Unsupported, record: Callable[[AsyncSession, list[Reply]], Awaitable[None]]
    ) -> list[Reply]:
        what = _KIND_WORDS.get(item.type)
        replies = [Reply(UNSUPPORTED.format(what=f"pesan berupa {what}" if what
                                            else "jenis pesan ini"))]
        now = self._clock.now()
        async with self._sessions() as s, s.begin():
            # Any message opens the 24-hour window, a sticker too.
            identity, _ = await get_or_create_identity(s, "whatsapp", item.wa_id, item.wa_id, now)
            identity.last_inbound_at = now
            await record(s, replies)
        return replies

    async def fetch(self, attachment: Attachment) -> bytes:
        """Download a file a person sent (the FileFetcher of WhatsApp)."""
        if attachment.size is not None and attachment.size > MAX_UPLOAD:
            raise ValueError("file too large")
        if not attachment.file_id:
            raise ValueError("the attachment has no media id")
        data, _mime = await self.client.download_media(attachment.file_id)
        if len(data) > MAX_UPLOAD:
            raise ValueError("file too large")
        return data

    async def send_replies(self, chat_id: str, replies: Sequence[Reply]) -> str | None:
        """Send a conversation's replies in order; return the error that stopped them.

        Every send waits while the channel is paused (a 429 of any sender pauses them all,
        `bot.flow`); a pause longer than MAX_PAUSE gives the reply up."""
        for reply in replies:
            for attempt in range(SEND_TRIES):
                if self.flow.paused_for() > MAX_PAUSE:
                    return "rate limited: the channel is paused"
                await self.flow.wait_unpaused()
                try:
                    await self.sender.deliver(chat_id, reply)
                    count_reply("whatsapp", "sent")
                    break
                except RateLimited as exc:
                    if exc.retry_after > MAX_PAUSE or attempt == SEND_TRIES - 1:
                        count_reply("whatsapp", "failed")
                        return f"rate limited: {exc}"
                    if isinstance(exc, ChatRateLimited):
                        count_rate_limit("whatsapp", "chat")
                        await asyncio.sleep(exc.retry_after)  # this person only
                    else:
                        await self.flow.pause(exc.retry_after)
                except TransientFailure as exc:
                    if attempt == SEND_TRIES - 1:
                        count_reply("whatsapp", "failed")
                        return f"transient: {exc}"
                    await asyncio.sleep(0.5 * 2**attempt)
                except DeliveryError as exc:
                    count_reply("whatsapp", "blocked" if isinstance(exc, Blocked) else "failed")
                    log.warning("a reply to %s was not delivered: %s", mask_number(chat_id), exc)
                    return f"{type(exc).__name__}: {exc}"
        return None

