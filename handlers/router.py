"""Feature routers and the context a handler receives (aiogram-style, channel-agnostic)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from core.callbacks import CallbackData, Signer
from core.channels import Channels
from core.clock import Clock
from core.config import CoreConfig
from core.types import Attachment, Button, Incoming, Keyboard, Reply
from db.engine import Sessions
from db.models import ConversationState, Identity, Person
from db.regions import Regions
from handlers.faq_store import FaqService
from schedules.calendar_report import SessionChange
from schedules.changes import ChangeOutcome

__all__ = [
    "BatchHandler",
    "CommandSpec",
    "Context",
    "Deps",
    "FileFetcher",
    "Handler",
    "OnCalendarChange",
    "Replies",
    "Router",
    "Waker",
    "as_list",
]

Replies = Reply | Sequence[Reply] | None
Handler = Callable[["Context"], Awaitable[Replies]]
CD = TypeVar("CD", bound=CallbackData)
CallbackHandler = Callable[["Context", CD], Awaitable[Replies]]
# Many presses of one kind at once: one reply per press, or None for "take the usual path".
BatchHandler = Callable[["Deps", Sequence[Incoming]], Awaitable[list[Replies | None]]]


# Notices to people already told of sessions an import changed (after it committed).
OnCalendarChange = Callable[[Sequence[SessionChange]], Awaitable[ChangeOutcome]]


class Waker(Protocol):
    """A background job that can be told to look for new work now (the announcer)."""

    def wake(self) -> None: ...


class FileFetcher(Protocol):
    """Downloads a file a person sent (provided by the channel adapter)."""

    async def __call__(self, attachment: Attachment) -> bytes: ...


@dataclass
class Deps:
    """Services handlers may use; built once by the runtime and injected."""

    config: CoreConfig
    clock: Clock
    sessions: Sessions
    signer: Signer
    regions: Regions
    channels: Channels
    # The FAQ matcher; it rebuilds itself when an import or edit changed the stored FAQ.
    faq: FaqService = field(default_factory=FaqService)
    commands: list[CommandSpec] = field(default_factory=list)  # for /bantuan
    main_keyboard: Keyboard = field(default_factory=Keyboard)
    on_calendar_change: OnCalendarChange | None = None
    announcer: Waker | None = None  # woken when an admin confirms or stops a broadcast


@dataclass
class Context:
    """Everything a handler needs about one incoming message, inside one unit of work."""

    incoming: Incoming
    db: AsyncSession  # the unit of work's database session
    deps: Deps
    identity: Identity
    person: Person
    is_admin: bool
    is_owner: bool
    now: datetime
    command: str | None = None
    args: str = ""
    payload: str | None = None  # verified callback payload
    state: ConversationState | None = None
    fetch_file: FileFetcher | None = None
    # Jobs run once this unit of work has committed (notices after an import; exports and
    # charts, slow work that must not hold the transaction, and with it SQLite's write
    # lock, while it runs: they open their own sessions). A job may return replies: they
    # follow the handler's.
    after_commit: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    # Bumped whenever a handler sets or clears the conversation step (the dispatcher ends a
    # step a command did not touch).
    state_changes: int = 0

    def button(self, label: str, data: CallbackData, *, anyone: bool = False) -> Button:
        """A button whose data is signed for this person (or for anyone)."""
        owner = "" if anyone else str(self.person.id)
        return Button(label, self.deps.signer.sign(owner, data.pack()))

    async def set_state(self, flow: str, step: str, data: dict[str, object] | None = None) -> None:
        """Put the person at a step of a conversation (kept in the database)."""
        if self.state is None:
            self.state = ConversationState(
                person_id=self.person.id, flow=flow, step=step, data=dict(data or {}),
                updated_at=self.now,
            )
            self.db.add(self.state)
        else:
            self.state.flow, self.state.step = flow, step
            self.state.data = dict(data if data is not None else self.state.data)
            self.state.updated_at = self.now
        self.state_changes += 1
        await self.db.flush()

    async def clear_state(self) -> None:
        """Leave any conversation."""
        await self.db.execute(
            delete(ConversationState).where(ConversationState.person_id == self.person.id)
        )
        self.state = None
        self.state_changes += 1


@dataclass(frozen=True)
class CommandSpec:
    """A registered command.

    `args` is the shape of what may follow the command word where commands need no slash
    (WhatsApp, the terminal): "hadir 1234" is the command, "hadir jam berapa?" a sentence
    that goes to the answering path. None: the bare word takes nothing after it.
    """

    names: tuple[str, ...]
    handler: Handler
    admin: bool
    description: str | None  # shown in /bantuan and the platform's command menu
    label: str | None  # main keyboard button that runs it
    max_len: int
    needs_registration: bool
    args: re.Pattern[str] | None = None

    def takes(self, rest: str) -> bool:
        """Whether `rest`, typed after the bare command word, is this command's argument."""
        return not rest or (self.args is not None and self.args.fullmatch(rest) is not None)


class Router:
    """A feature's handlers; `admin=True` makes every handler in it admin-only."""

    def __init__(self, name: str, *, admin: bool = False) -> None:
        self.name = name
        self.admin = admin
        self.commands: list[CommandSpec] = []
        self.callbacks: list[tuple[type[CallbackData], Callable[..., Awaitable[Replies]], bool]]
        self.callbacks = []
        self.flows: dict[str, tuple[Handler, bool]] = {}
        self.sticky: set[str] = set()  # flows a command does not end (registration)
        self.documents: list[tuple[Handler, bool]] = []
        self.fallbacks: list[tuple[Handler, bool]] = []
        self.batches: list[tuple[type[CallbackData], BatchHandler]] = []
        self.command_batches: list[tuple[str, BatchHandler]] = []

    def command(
        self,
        *names: str,
        description: str | None = None,
        label: str | None = None,
        max_len: int = 1000,
        registered: bool = False,
        admin: bool | None = None,
        args: str | None = None,
    ) -> Callable[[Handler], Handler]:
        """Register a command (first name is canonical; others are aliases). `args` is a
        regular expression for what may follow the bare command word (see CommandSpec)."""
        pattern = re.compile(args, re.IGNORECASE | re.DOTALL) if args is not None else None

        def deco(fn: Handler) -> Handler:
            self.commands.append(
                CommandSpec(
                    tuple(names), fn, self.admin if admin is None else admin,
                    description, label, max_len, registered, pattern,
                )
            )
            return fn

        return deco

    def callback(
        self, cls: type[CD], *, admin: bool | None = None
    ) -> Callable[[CallbackHandler[CD]], CallbackHandler[CD]]:
        """Register the handler of a typed callback."""

        def deco(fn: CallbackHandler[CD]) -> CallbackHandler[CD]:
            self.callbacks.append((cls, fn, self.admin if admin is None else admin))
            return fn

        return deco

    def batch(self, cls: type[CallbackData]) -> Callable[[BatchHandler], BatchHandler]:
        """Register a fast path for presses of `cls` that arrive together (not for admin
        routers): the handler gets the raw presses (signatures unchecked: it checks them),
        handles many in one unit of work, and returns None for any it leaves to the usual
        `callback` handler."""
        if self.admin:
            raise ValueError("batch handlers are for everyone's buttons, not admin ones")

        def deco(fn: BatchHandler) -> BatchHandler:
            self.batches.append((cls, fn))
            return fn

        return deco

    def batch_command(self, name: str) -> Callable[[BatchHandler], BatchHandler]:
        """Register a fast path for command `name` (typed without arguments) sent by many
        people at once: the handler gets the messages, handles many in one unit of work,
        and returns None for any it leaves to the command's usual handler. Its effects must
        be idempotent: a channel does not record such a message as handled."""
        if self.admin:
            raise ValueError("batch handlers are for everyone's commands, not admin ones")

        def deco(fn: BatchHandler) -> BatchHandler:
            self.command_batches.append((name, fn))
            return fn

        return deco

    def flow(
        self, name: str, *, admin: bool | None = None, sticky: bool = False
    ) -> Callable[[Handler], Handler]:
        """Register the handler of texts sent while a person is in conversation `name`
        (returning None leaves the text to the free-text handlers). Another command ends
        the conversation unless it is `sticky` (registration resumes where it was)."""

        def deco(fn: Handler) -> Handler:
            self.flows[name] = (fn, self.admin if admin is None else admin)
            if sticky:
                self.sticky.add(name)
            return fn

        return deco

    def document(self, *, admin: bool | None = None) -> Callable[[Handler], Handler]:
        """Register a handler for files people send."""

        def deco(fn: Handler) -> Handler:
            self.documents.append((fn, self.admin if admin is None else admin))
            return fn

        return deco

    def fallback(self, *, admin: bool | None = None) -> Callable[[Handler], Handler]:
        """Register a handler for free text that nothing else took (returns None to pass)."""

        def deco(fn: Handler) -> Handler:
            self.fallbacks.append((fn, self.admin if admin is None else admin))
            return fn

        return deco


def as_list(replies: Replies) -> list[Reply]:
    """Replies as a list, whichever form a handler returned."""
    if replies is None:
        return []
    if isinstance(replies, Reply):
        return [replies]
    return list(replies)
