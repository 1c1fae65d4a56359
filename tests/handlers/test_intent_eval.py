"""The intent question set: calendar and personal questions, with their expected facts."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from core.clock import FixedClock
from core.text import plain
from db.models import Attendance, Identity, LearningSession, Person
from schedules.calendar_import import import_calendar
from schedules.certificates import CertificateSweep
from tests.auxil.chat import Chat, text
from tests.auxil.intent_facts import (
    CALENDAR,
    HOLDOUT,
    PERSONAL,
    absent_for,
    calendar_rows,
    facts_for,
    load_eval,
)


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return load_eval()


def test_question_set_is_large_and_covers_the_three_zones(data: dict[str, Any]) -> None:
    items = scored = data["items"]
    assert len(scored) >= 150
    assert len({i["q"] for i in items}) == len(items)
    assert {data["people"][i["who"]]["tz"] for i in scored} == {"WIB", "WITA", "WIT"}
    personal = [i for i in scored if i["ask"] in PERSONAL]
    assert len(personal) >= 25 and len(scored) - len(personal) >= 125


def test_facts_are_those_of_the_calendar(data: dict[str, Any]) -> None:
    rows = calendar_rows()
    for item in data["items"]:
        assert item.get("facts", []) == facts_for(item, data["people"], rows), item["q"]
        assert item.get("absent", []) == absent_for(item, rows), item["q"]
        assert item["facts"], item["q"]


# --- scoring the chat path -------------------------------------------------------------

MIN_RIGHT = 0.95
MIN_RIGHT_HELD_OUT = 0.90
_TIME = re.compile(r"^(\d\d\.\d\d) (WIB|WITA|WIT)$")


def contains_fact(text: str, fact: str) -> bool:
    """Whether `text` states `fact` (case aside); a start time may be written as a range
    ("14.00 WITA" or "14.00–15.00 WITA")."""
    m = _TIME.match(fact)
    if m is None:
        return fact.lower() in text.lower()
    start, tz = m.groups()
    return fact in text or re.search(rf"{re.escape(start)}–\d\d\.\d\d {tz}\b", text) is not None


async def _setup(rt: Runtime, data: dict[str, Any]) -> dict[str, str]:
    """Import the eval calendar and put the three people in; return their WhatsApp ids."""
    now = datetime.fromisoformat(data["clock"])
    rows = calendar_rows()
    ids: dict[str, str] = {}
    async with rt.sessions() as db, db.begin():
        await import_calendar(db, CALENDAR.read_bytes(), now=now, tz=rt.settings.tz)
        by_code = {s.code: s.id for s in await db.scalars(select(LearningSession))}
        for n, (key, p) in enumerate(data["people"].items()):
            person = Person(
                full_name=p["name"], nip=p["nip"], instansi=p["instansi"],
                region_code=p["region"], tz=p["tz"], consent_at=now, registered_at=now,
                subscribed=True, reachable=True, preferred_channel="whatsapp", created_at=now,
            )
            db.add(person)
            await db.flush()
            ids[key] = f"62812000000{n}"
            db.add(Identity(person_id=person.id, channel="whatsapp", external_id=ids[key],
                            chat_id=ids[key], created_at=now))
            for code in p["attended"]:
                db.add(Attendance(person_id=person.id, session_id=by_code[code],
                                  reported_at=rows[code].starts_at, channel="whatsapp",
                                  source="self"))
    return ids


async def score(
    make_settings: Callable[..., Settings], clock: FixedClock, data: dict[str, Any]
) -> tuple[int, int, list[str]]:
    """Ask every scored item through the chat (WhatsApp, where commands need no slash);
    return how many were right, how many were asked, and what was wrong."""
    clock.set(datetime.fromisoformat(data["clock"]))
    # With certificates on (a public address for their QR codes), issued by the real sweep
    # for what the people attended: "sertifikat saya" lists them.
    rt = await build_runtime(make_settings({"SAMPLE_CALENDAR": "false",
                                            "PUBLIC_URL": "https://bot.example.go.id"}),
                             clock, migrate=False)
    try:
        ids = await _setup(rt, data)
        await CertificateSweep(rt.sessions, rt.deps.config, ["whatsapp"]).run(clock.now())
        right: list[str] = []
        wrong: list[str] = []
        scored = data["items"]
        for item in scored:
            replies = await Chat(rt, ids[item["who"]], "whatsapp").say(item["q"])
            answer = plain(text(replies))
            missing = [f for f in item["facts"] if not contains_fact(answer, f)]
            leaked = [a for a in item.get("absent", []) if a in answer]
            (wrong if missing or leaked else right).append(item["q"])
            if missing or leaked:
                wrong[-1] += f"\n    missing {missing} leaked {leaked}\n    " + \
                    answer.replace("\n", "\n    ")[:900]
    finally:
        await rt.close()
    return len(right), len(scored), wrong


async def test_intent_answers_are_right(
    make_settings: Callable[..., Settings], clock: FixedClock, data: dict[str, Any]
) -> None:
    right, asked, wrong = await score(make_settings, clock, data)
    print(f"\nintent eval: {right}/{asked} = {right / asked:.1%} right")
    print("wrong:", *wrong, sep="\n  ")
    assert right / asked >= MIN_RIGHT


async def test_held_out_answers(make_settings: Callable[..., Settings], clock: FixedClock) -> None:
    """Questions written after the intent layer: how it does on words it was not shaped on."""
    right, asked, wrong = await score(make_settings, clock, load_eval(HOLDOUT))
    print(f"\nheld-out intent eval: {right}/{asked} = {right / asked:.1%} right")
    print("wrong:", *wrong, sep="\n  ")
    assert right / asked >= MIN_RIGHT_HELD_OUT
