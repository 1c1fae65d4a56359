"""The evaluation asked after attendance: its buttons (typed callback data) and its words.

Shared by the handlers (the confirmation message, edited in place a tap at a time) and the
certificate sweep (a reminder to people whose certificate waits for it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Final

from core.callbacks import CallbackData
from core.text import esc
from core.types import Button

__all__ = [
    "ASPECTS",
    "SKIP",
    "EvalRate",
    "MakeButton",
    "evaluation_question",
    "unsigned",
]

# The three 1-5 ratings, in the order they are asked: (column, label, question).
ASPECTS: Final = (
    ("material", "Materi", "Seberapa baik <b>materi</b> sesi ini?"),
    ("speaker", "Narasumber", "Seberapa baik <b>narasumber</b> menyampaikannya?"),
    ("usefulness", "Manfaat", "Seberapa <b>bermanfaat</b> bagi pekerjaan Bapak/Ibu?"),
)
SKIP: Final = 0  # the score of "Lewati"


@dataclass(frozen=True)
class EvalRate(CallbackData):
    """A rating (1-5, or 0 to skip the evaluation) of one aspect of a session."""

    prefix: ClassVar[str] = "evr"
    session: int
    aspect: int  # index into ASPECTS
    score: int


MakeButton = Callable[[str, CallbackData], Button]
"""Makes a button: signed for the person (a handler), or unsigned for the outbox."""


def unsigned(label: str, data: CallbackData) -> Button:
    """A button with unsigned data: the outbox signs it per recipient (`sign_buttons`)."""
    return Button(label, data.pack())


def evaluation_question(
    session_id: int, aspect: int, make: MakeButton, *, required: bool
) -> tuple[str, list[list[Button]]]:
    """The text and buttons asking one aspect (1/3, 2/3, 3/3)."""
    _column, label, question = ASPECTS[aspect]
    text = (
        f"📝 <b>Evaluasi singkat</b> ({aspect + 1}/{len(ASPECTS)}) · {esc(label)}\n"
        f"{question}\n1 = kurang · 5 = sangat baik"
    )
    rows = [[make(str(score), EvalRate(session_id, aspect, score)) for score in range(1, 6)]]
    if not required:
        rows.append([make("Lewati evaluasi", EvalRate(session_id, aspect, SKIP))])
    return text, rows
