"""Route one incoming message to the right handler, inside one unit of work."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.callbacks import CallbackData, CallbackError
from core.types import Incoming, Keyboard, Reply
from db.accounts import touch_accounts
from db.models import ConversationState
from db.people import get_or_create_identity, is_db_admin
from handlers.batching import MicroBatcher
from handlers.router import (
    BatchHandler,
    CommandSpec,
    Context,
    Deps,
    FileFetcher,
    Replies,
    Router,
    as_list,
)

__all__ = ["BeforeCommit", "Dispatcher"]

log = logging.getLogger(__name__)

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(@[A-Za-z0-9_]+)?(?:\s+(.*))?$", re.DOTALL)

# Runs inside the dispatcher's unit of work, after the handler, with its replies.
BeforeCommit = Callable[[AsyncSession, list[Reply]], Awaitable[None]]

NOT_ADMIN = "Maaf, perintah ini hanya untuk admin BPSDM."
STALE_BUTTON = "Maaf, tombol ini sudah tidak berlaku. Silakan ketik /menu atau /bantuan."
TOO_LONG = "Maaf, pesan Bapak/Ibu terlalu panjang (maksimal {limit} karakter). Mohon dipersingkat."
GROUP_ONLY_PRIVATE = (
    "Mohon maaf, Dahar Ngopi bot hanya melayani chat pribadi. "
    "Silakan buka chat langsung dengan bot ini."
)
# A button pressed anywhere but the person's own chat with the bot (a group, a forwarded
# message): a toast, and nothing changes.
USE_PRIVATE_CHAT = "Silakan gunakan chat pribadi dengan bot"
# A voice note, a sticker, a location…: the bot reads text.
TEXT_ONLY = (
    "Maaf, bot ini hanya dapat membaca pesan teks; pesan suara, stiker, dan sejenisnya belum "
    "dapat kami proses. 🙏 Silakan ketik pesan Bapak/Ibu, atau /bantuan."
)
UNKNOWN_COMMAND = "Perintah /{name} tidak dikenal. Ketik /bantuan untuk daftar perintah."
NEED_REGISTRATION = "Bapak/Ibu belum terdaftar. Ketik /mulai untuk mendaftar terlebih dahulu."


class Dispatcher:
    """Turns an `Incoming` into replies by asking the feature routers."""

    def __init__(self, deps: Deps, routers: Sequence[Router]) -> None:
        self.deps = deps
        self.routers = list(routers)
        self._commands: dict[str, CommandSpec] = {}
        self._labels: dict[str, CommandSpec] = {}
        for r in self.routers:
            for spec in r.commands:
                for name in spec.names:
                    if name in self._commands:
                        raise ValueError(f"command /{name} registered twice")
                    self._commands[name] = spec
                if spec.label:
                    self._labels[spec.label.lower()] = spec
        self._callbacks = [c for r in self.routers for c in r.callbacks]
        self._flows = {k: v for r in self.routers for k, v in r.flows.items()}
        self._sticky = {name for r in self.routers for name in r.sticky}
        self._documents = [d for r in self.routers for d in r.documents]
        self._fallbacks = [f for r in self.routers for f in r.fallbacks]
        self._batchers: dict[str, MicroBatcher[Incoming, Replies | None]] = {
            cls.prefix: MicroBatcher(self._batch_fn(fn)) for r in self.routers
            for cls, fn in r.batches
        }
        self._command_batchers: dict[str, MicroBatcher[Incoming, Replies | None]] = {
            name: MicroBatcher(self._batch_fn(fn)) for r in self.routers
            for name, fn in r.command_batches
        }

    def _batch_fn(
        self, fn: BatchHandler
    ) -> Callable[[Sequence[Incoming]], Awaitable[list[Replies | None]]]:
        async def process(items: Sequence[Incoming]) -> list[Replies | None]:
            return await fn(self.deps, items)

        return process

    def _batcher(self, incoming: Incoming) -> MicroBatcher[Incoming, Replies | None] | None:
        """The batch path of this press or command, if it has one."""
        if incoming.callback is not None:
            payload = incoming.callback.partition(".")[2]
            return self._batchers.get(payload.split(":", 1)[0])
        if not self._command_batchers or not incoming.text:
            return None
        parsed = self.parse_command(incoming)
        if parsed is None or parsed[1]:
            return None
        spec = self._commands.get(parsed[0])
        return self._command_batchers.get(spec.names[0]) if spec is not None else None

    async def _batched(self, incoming: Incoming) -> list[Reply] | None:
        """Replies from a batch handler for this message, or None to take the usual path."""
        batcher = self._batcher(incoming)
        if batcher is None:
            return None
        try:
            replies = await batcher.submit(incoming)
        except Exception:
            log.exception("a batch of messages failed; handling them one by one")
            return None
        return None if replies is None else as_list(replies)

    @property
    def commands(self) -> list[CommandSpec]:
        """Every command, in registration order, once each."""
        seen: list[CommandSpec] = []
        for spec in self._commands.values():
            if spec not in seen:
                seen.append(spec)
        return seen

    def main_keyboard(self) -> Keyboard:
        """The persistent keyboard: the labelled everyday commands, two or three a row."""
        labels = [s.label for s in self.commands if s.label and not s.admin]
        rows = [tuple(labels[i : i + 2]) for i in range(0, len(labels), 2)]
        return Keyboard(tuple(r for r in rows if r))

    def is_owner(self, incoming: Incoming) -> bool:
        """Owners are named by each channel's description (from the settings)."""
        return self.deps.channels.is_owner(incoming.channel, incoming.user_id)

    def _user_is_chat(self, channel: str) -> bool:
        info = self.deps.channels.get(channel)
        return info is None or info.user_is_chat

    def own_chat(self, incoming: Incoming) -> bool:
        """Whether it came from the person's own private chat with the bot: where a private
        chat's id is the person's id (Telegram, WhatsApp), only a chat with that id is."""
        if not incoming.is_private:
            return False
        return incoming.chat_id == incoming.user_id or not self._user_is_chat(incoming.channel)

    def parse_command(
        self, incoming: Incoming, *, admin: bool = False, in_step: bool = False
    ) -> tuple[str, str] | None:
        """`(name, args)` if the text is a command: /cmd, /cmd@bot, a keyboard label, or, on
        channels whose commands need no slash, a bare command word alone or followed by
        that command's own argument ("hadir 1234", not "hadir jam berapa?").

        A bare admin word is a command only from an admin; inside a conversation step
        (`in_step`) a bare word is a command only when it is the whole message.
        """
        text = (incoming.text or "").strip()
        if not text:
            return None
        m = _COMMAND.match(text)
        if m:
            return m.group(1).lower(), (m.group(3) or "").strip()
        spec = self._labels.get(text.lower())
        if spec:
            return spec.names[0], ""
        if self.deps.channels[incoming.channel].needs_slash:
            return None
        word, _, rest = text.partition(" ")
        name, rest = word.lower(), rest.strip()
        spec = self._commands.get(name)
        if spec is None or (spec.admin and not admin) or (rest and in_step):
            return None
        return (name, rest) if spec.takes(rest) else None

    async def handle(
        self,
        incoming: Incoming,
        fetch_file: FileFetcher | None = None,
        *,
        before_commit: BeforeCommit | None = None,
    ) -> list[Reply]:
        """Handle one message or button press and return what to send back.

        `before_commit(session, replies)` runs in the same unit of work, so a channel
        can record "handled, these are the replies" atomically with what the handler did.
        It is not called where nothing was written (a group redirected) nor on the batch
        paths of the busiest messages (button presses, /menu), whose effects are idempotent
        (one attendance per person and session; the time the account last wrote): handling
        such a message again after a crash is harmless.
        """
        if not self.own_chat(incoming):
            if incoming.callback is not None:
                return [Reply(text="", notice=USE_PRIVATE_CHAT)]
            # Only answer in groups when addressed with a command, and only to redirect.
            return [Reply(GROUP_ONLY_PRIVATE)] if self.parse_command(incoming) else []
        batched = await self._batched(incoming)
        if batched is not None:
            return batched
        now = self.deps.clock.now()
        async with self.deps.sessions() as s, s.begin():
            identity, person = await get_or_create_identity(
                s, incoming.channel, incoming.user_id, incoming.chat_id, now,
                user_is_chat=self._user_is_chat(incoming.channel),
            )
            # Writing again means the chat works again, even if a send once failed with 403
            # (Telegram) or 131026 (WhatsApp).
            person.reachable = True
            # Scheduled messages follow the channel the person last wrote from,
            # unless they pinned one in /profil.
            if not person.channel_pinned or person.preferred_channel is None:
                person.preferred_channel = incoming.channel
            owner = self.is_owner(incoming)
            admin = owner or await is_db_admin(s, incoming.channel, incoming.user_id)
            state = (
                await s.execute(
                    select(ConversationState).where(ConversationState.person_id == person.id)
                )
            ).scalar_one_or_none()
            ctx = Context(
                incoming=incoming, db=s, deps=self.deps, identity=identity, person=person,
                is_admin=admin, is_owner=owner, now=now, state=state, fetch_file=fetch_file,
            )
            replies = as_list(await self._route(ctx))
            # Noted last (nothing reads it meanwhile): on SQLite a unit of work holds the
            # database's one write lock from its first write to its commit. A statement,
            # not the object: the handler may have erased the account (/hapusdata).
            await touch_accounts(s, [identity.id], now)
            if before_commit is not None:
                await before_commit(s, replies)
        # Work that must see this unit of work committed (e.g. notices after an import).
        for job in ctx.after_commit:
            try:
                result = await job()
            except Exception:
                log.exception("a job after the commit failed")
                continue
            # A job may answer too (an export, a chart): its replies follow.
            if isinstance(result, Reply) or (
                isinstance(result, list) and all(isinstance(r, Reply) for r in result)
            ):
                replies += as_list(result)
        return replies

    async def _route(self, ctx: Context) -> Replies:
        inc = ctx.incoming
        if inc.callback is not None:
            return await self._callback(ctx, inc.callback)
        in_step = ctx.state is not None and ctx.state.flow in self._flows
        parsed = self.parse_command(inc, admin=ctx.is_admin, in_step=in_step)
        if parsed:
            return await self._command(ctx, *parsed)
        if inc.document is not None or inc.photo is not None:
            for fn, admin in self._documents:
                if admin and not ctx.is_admin:
                    continue
                replies = await fn(ctx)
                if replies is not None:
                    return replies
            return Reply("Maaf, berkas ini tidak dapat kami proses. Ketik /bantuan untuk bantuan.")
        text = (inc.text or "").strip()
        # Admins may send longer texts in admin flows and as replies (answers to questions).
        long_ok = (ctx.state is not None and ctx.state.flow.startswith("admin")) or (
            ctx.is_admin and inc.reply_to_message_id is not None
        )
        if len(text) > 1000 and not long_ok:
            return Reply(TOO_LONG.format(limit="1.000"))
        if ctx.state is not None and ctx.state.flow in self._flows:
            fn, admin = self._flows[ctx.state.flow]
            if admin and not ctx.is_admin:
                await ctx.clear_state()
                return Reply(NOT_ADMIN)
            replies = await fn(ctx)
            if replies is not None:
                return replies
            # The flow left the message to the free-text path (it had expired, say).
        if not text:
            return Reply(TEXT_ONLY)
        for fallback, admin in self._fallbacks:
            if admin and not ctx.is_admin:
                continue
            replies = await fallback(ctx)
            if replies is not None:
                return replies
        return None

    async def _command(self, ctx: Context, name: str, args: str) -> Replies:
        spec = self._commands.get(name)
        if spec is None:
            return Reply(UNKNOWN_COMMAND.format(name=name))
        if len(args) > spec.max_len:
            return Reply(TOO_LONG.format(limit=f"{spec.max_len:,}".replace(",", ".")))
        if spec.admin and not ctx.is_admin:
            return Reply(NOT_ADMIN)
        if spec.needs_registration and not ctx.person.registered:
            return Reply(NEED_REGISTRATION)
        ctx.command, ctx.args = name, args
        touched = ctx.state_changes
        replies = await spec.handler(ctx)
        # Another command ends the conversation step the person was in (a /tanya question,
        # a profile field…), unless the command itself set or ended a step, or the step is
        # one that resumes (registration): a casual line afterwards is not the step's answer.
        state = ctx.state
        if (state is not None and ctx.state_changes == touched
                and state.flow not in self._sticky):
            await ctx.clear_state()
        return replies

    async def _callback(self, ctx: Context, data: str) -> Replies:
        try:
            payload = self.deps.signer.verify(str(ctx.person.id), data)
        except CallbackError:
            try:
                payload = self.deps.signer.verify("", data)
            except CallbackError:
                log.info("rejected callback with a bad signature from %s", ctx.incoming.channel)
                return Reply(notice=STALE_BUTTON, text="")
        for cls, fn, admin in self._callbacks:
            if cls.matches(payload):
                try:
                    data_obj: CallbackData = cls.unpack(payload)
                except CallbackError:
                    return Reply(notice=STALE_BUTTON, text="")
                if admin and not ctx.is_admin:
                    return Reply(notice=NOT_ADMIN, text="")
                ctx.payload = payload
                return await fn(ctx, data_obj)
        return Reply(notice=STALE_BUTTON, text="")
