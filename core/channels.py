"""What the core knows of a channel: each adapter describes itself; the core never names one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

__all__ = ["ChannelInfo", "Channels", "UnknownChannel"]


class UnknownChannel(KeyError):
    """A channel name no adapter described."""


def _same(value: str) -> str:
    return value.strip()


@dataclass(frozen=True)
class ChannelInfo:
    """A channel's description, registered by its adapter in bot/."""

    name: str  # the key stored with identities and outbox rows ("telegram")
    label: str  # how people call it ("Telegram")
    can_edit: bool = False  # it can replace the text of a message it sent
    needs_slash: bool = True  # commands start with "/"; without, a bare command word is one
    shows_slash: bool = True  # the bot writes commands with "/" (people there type them so)
    has_toasts: bool = False  # a button press can be answered with a short notice alone
    text_limit: int = 4096  # characters of one message
    caption_limit: int = 1024  # characters of a photo's or document's caption
    upload_limit: int = 50 * 1024 * 1024  # bytes of a document the bot sends
    delivers: bool = True  # scheduled messages may go to it (the outbox has a sender for it)
    linkable: bool = True  # a person may link it to another channel with /hubungkan
    user_is_chat: bool = True  # a person's private chat id is their user id
    basic_html: bool = False  # renders only <b>, <i>, <a> (underline and the like are dropped)
    # Outside a window the platform keeps, only approved templates may be sent: messages to
    # it carry their template (`Reply.template`).
    templates: bool = False
    owners: frozenset[str] = frozenset()  # user ids of the owners on this channel
    rate: float = 30.0  # messages per second it delivers broadcasts at
    # A person's id as typed by an admin ("0812…" → "62812…"); raises ValueError if it is
    # not an id of this channel.
    parse_user_id: Callable[[str], str] = field(default=_same, compare=False)

    def command(self, name: str) -> str:
        """How a person types command `name` on this channel."""
        return f"/{name}" if self.shows_slash else name


class Channels(Mapping[str, ChannelInfo]):
    """The channels of this runtime, by name, in the order the adapters registered them."""

    def __init__(self, infos: Iterable[ChannelInfo] = ()) -> None:
        self._infos: dict[str, ChannelInfo] = {}
        for info in infos:
            self.add(info)

    def add(self, info: ChannelInfo) -> None:
        """Register a channel's description (once per name)."""
        if info.name in self._infos:
            raise ValueError(f"channel {info.name!r} registered twice")
        self._infos[info.name] = info

    def __getitem__(self, name: str) -> ChannelInfo:
        try:
            return self._infos[name]
        except KeyError:
            raise UnknownChannel(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._infos)

    def __len__(self) -> int:
        return len(self._infos)

    def label(self, name: str) -> str:
        """A channel's label, or its name when no adapter described it."""
        info = self._infos.get(name)
        return info.label if info is not None else name

    def is_owner(self, channel: str, user_id: str) -> bool:
        """Whether `user_id` is an owner on `channel`."""
        info = self._infos.get(channel)
        return info is not None and user_id in info.owners

    def owners(self) -> list[tuple[str, str]]:
        """Every owner as (channel, user id)."""
        return [(c.name, o) for c in self._infos.values() for o in sorted(c.owners)]

    def delivering(self) -> list[str]:
        """Channels scheduled messages may go to."""
        return [c.name for c in self._infos.values() if c.delivers]

    def linkable(self) -> list[ChannelInfo]:
        """Channels a person can link to each other."""
        return [c for c in self._infos.values() if c.linkable]

    def parse_admin_id(self, text: str) -> tuple[str, str]:
        """`telegram:123` → ("telegram", "123"); raises ValueError with an Indonesian
        message when the channel is unknown or the id is not one of that channel."""
        name, colon, raw = text.strip().partition(":")
        info = self._infos.get(name.strip().lower()) if colon else None
        if info is None:
            names = ", ".join(f"{c}:ID" for c in self._infos if self._infos[c].linkable)
            raise ValueError(f"Tulis ID beserta kanalnya, misalnya {names}.")
        try:
            return info.name, info.parse_user_id(raw)
        except ValueError as exc:
            raise ValueError(f"ID {info.label} tidak valid: {raw.strip()!r}.") from exc
