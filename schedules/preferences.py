"""/pengingat: what scheduled messages a person wants (morning menu, reminders, muted days)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from core.callbacks import CallbackData
from core.programme import PROGRAMMES, by_key, find_programme
from core.types import Button, Reply
from db.models.people import Person

__all__ = [
    "PENGINGAT_ARGS",
    "PrefAction",
    "Preferences",
    "apply_action",
    "parse_command",
    "pengingat",
    "preferences_reply",
    "update_preferences",
]


@dataclass(frozen=True)
class Preferences:
    """A person's choices; stored in Person.preferences as
    {"menu": bool, "reminder": bool, "muted": [programme keys]}."""

    menu: bool = True
    reminder: bool = True
    muted: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_json(cls, data: Mapping[str, object] | None) -> Preferences:
        """Read the stored form; anything missing or malformed means the default."""
        data = data or {}
        muted_raw = data.get("muted")
        keys = {by_key(k).key for k in muted_raw if isinstance(k, str) and _known(k)} \
            if isinstance(muted_raw, list) else set()
        return cls(
            menu=data.get("menu") is not False,
            reminder=data.get("reminder") is not False,
            muted=frozenset(keys),
        )

    def to_json(self) -> dict[str, object]:
        """The stored form (muted keys in weekday order)."""
        return {
            "menu": self.menu,
            "reminder": self.reminder,
            "muted": [p.key for p in PROGRAMMES if p.key in self.muted],
        }

    def wants(self, kind: str, programme_key: str | None) -> bool:
        """Whether a nudge of `kind` ('menu' or 'reminder') for that programme is wanted."""
        if programme_key is not None and programme_key in self.muted:
            return False
        if kind == "menu":
            return self.menu
        if kind == "reminder":
            return self.reminder
        return True


def _known(key: str) -> bool:
    try:
        by_key(key)
    except KeyError:
        return False
    return True


@dataclass(frozen=True)
class PrefAction(CallbackData):
    """A /pengingat button: toggle the menu ('m') or reminders ('r'), or a programme ('p')."""

    prefix: ClassVar[str] = "pgt"
    what: str
    key: str = ""


def apply_action(prefs: Preferences, action: PrefAction) -> Preferences:
    """The preferences after pressing a /pengingat button (pure)."""
    if action.what == "m":
        return replace(prefs, menu=not prefs.menu)
    if action.what == "r":
        return replace(prefs, reminder=not prefs.reminder)
    if action.what == "p" and _known(action.key):
        muted = set(prefs.muted)
        muted.symmetric_difference_update({action.key})
        return replace(prefs, muted=frozenset(muted))
    return prefs


_ON = {"on", "aktif", "nyala", "ya", "hidupkan", "aktifkan"}
_OFF = {"off", "mati", "nonaktif", "tidak", "matikan", "nonaktifkan"}


def parse_command(prefs: Preferences, args: str) -> tuple[Preferences, str | None]:
    """Apply the words after /pengingat; return the new preferences and an error, if any.

    Understood: "menu on|off", "pengingat on|off", "bisukan <program>",
    "aktifkan <program>" (a programme by name, key, or Indonesian weekday), "semua on|off".
    Empty `args` changes nothing.
    """
    words = args.lower().split()
    if not words:
        return prefs, None
    head, rest = words[0], " ".join(words[1:])
    if head in ("menu", "pengingat", "semua") and rest in _ON | _OFF:
        value = rest in _ON
        if head == "menu":
            return replace(prefs, menu=value), None
        if head == "pengingat":
            return replace(prefs, reminder=value), None
        return replace(prefs, menu=value, reminder=value), None
    if head in ("bisukan", "mute", "aktifkan", "unmute") and rest:
        programme = _programme(rest)
        if programme is None:
            return prefs, f"Program “{rest}” tidak dikenal."
        muted = set(prefs.muted)
        if head in ("bisukan", "mute"):
            muted.add(programme)
        else:
            muted.discard(programme)
        return replace(prefs, muted=frozenset(muted)), None
    return prefs, "Perintah tidak dikenali."


# The shape of the words parse_command understands, for the bare word "pengingat" on channels
# without slashes: "pengingat menu off" is the command, "pengingat saya kok mati" a sentence.
PENGINGAT_ARGS = (
    rf"(menu|pengingat|semua)\s+({'|'.join(sorted(_ON | _OFF))})"
    r"|(bisukan|mute|aktifkan|unmute)\s+\S+(\s+\S+){0,4}"
)

_DAYS = {"senin": 0, "selasa": 1, "rabu": 2, "kamis": 3, "jumat": 4, "jum'at": 4}


def _programme(text: str) -> str | None:
    if text in _DAYS:
        return PROGRAMMES[_DAYS[text]].key
    found = find_programme(text)
    return found.key if found else None


_DAY_NAMES = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat")


def preferences_reply(
    prefs: Preferences, sign: Callable[[PrefAction], str] | None = None,
    *, note: str | None = None,
) -> Reply:
    """The /pengingat screen: current choices and buttons to change them.

    `sign` turns an action into signed callback data for this person (the router's
    signer); without it, the reply explains the typed commands only.
    """
    def onoff(value: bool) -> str:
        return "✅ aktif" if value else "🔕 nonaktif"

    lines = []
    if note:
        lines += [note, ""]
    lines += [
        "<b>Pengaturan pengingat</b>",
        f"☕ Menu pagi: {onoff(prefs.menu)}",
        f"⏰ Pengingat sebelum sesi: {onoff(prefs.reminder)}",
        "",
        "Program per hari:",
    ]
    for p in PROGRAMMES:
        state = "🔕 dibisukan" if p.key in prefs.muted else "✅"
        lines.append(f"{p.emoji} {_DAY_NAMES[p.weekday]} — {p.name}: {state}")
    lines += [
        "",
        "Ketik misalnya: <code>/pengingat menu off</code>, <code>/pengingat pengingat on</code>, "
        "<code>/pengingat bisukan rabu</code>, <code>/pengingat aktifkan rabu</code>.",
    ]
    buttons: list[tuple[Button, ...]] = []
    if sign is not None:
        buttons.append((
            Button(("Matikan" if prefs.menu else "Nyalakan") + " menu pagi",
                   sign(PrefAction("m"))),
            Button(("Matikan" if prefs.reminder else "Nyalakan") + " pengingat",
                   sign(PrefAction("r"))),
        ))
        row: list[Button] = []
        for p in PROGRAMMES:
            # The label says what pressing does: mute a day that sends, unmute a muted one.
            label = (("🔔 Aktifkan " if p.key in prefs.muted else "🔕 Bisukan ")
                     + _DAY_NAMES[p.weekday])
            row.append(Button(label, sign(PrefAction("p", p.key))))
        buttons += [tuple(row[:3]), tuple(row[3:])]
    return Reply("\n".join(lines), buttons=tuple(buttons))


async def update_preferences(
    session: AsyncSession, person_id: int, change: Callable[[Preferences], Preferences]
) -> Preferences:
    """Apply `change` to a person's stored preferences (in the caller's transaction)."""
    person = await session.get(Person, person_id, with_for_update=True)
    if person is None:
        raise LookupError(f"no person {person_id}")
    prefs = change(Preferences.from_json(person.preferences))
    person.preferences = prefs.to_json()
    return prefs


async def pengingat(
    session: AsyncSession, person_id: int, args: str = "", *,
    sign: Callable[[PrefAction], str] | None = None,
) -> Reply:
    """The /pengingat handler: apply typed words (if any) and show the settings."""
    error: list[str] = []

    def change(prefs: Preferences) -> Preferences:
        new, err = parse_command(prefs, args)
        if err:
            error.append(err)
        return new

    prefs = await update_preferences(session, person_id, change)
    note = None
    if error:
        note = f"⚠️ {error[0]}"
    elif args.strip():
        note = "✅ Pengaturan disimpan."
    return preferences_reply(prefs, sign, note=note)
