"""Questions filed to the agency: what counts as the same question, grouping, recipients."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from db.models import Admin, Identity, Person
from db.people import get_or_create_identity
from handlers.questions_store import (
    admin_recipients,
    asks_since,
    file_question,
    open_questions,
    question_key,
)
from tests.conftest import MONDAY_MORNING


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Kapan sertifikat ASN Belajar tanggal 5 Maret bisa diunduh?",
         "kapan sertifikat asn belajar tgl 5 maret bs di unduh??"),
        ("Bagaimana cara menjadi narasumber?", "gimana caranya jd narasumber min?"),
        ("Apakah ada sesi hari libur nasional?", "apakah ada sesi di hari libur nasional"),
    ],
)
def test_the_same_question_in_other_words_has_the_same_key(a: str, b: str) -> None:
    assert question_key(a) == question_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Sertifikat ASN Belajar 5 Maret kapan bisa diunduh?",
         "Sertifikat ASN Belajar 6 Maret kapan bisa diunduh?"),
        ("Jadwal ASN Belajar hari Kamis?", "Jadwal ASN Belajar hari Jumat?"),
        ("Kapan sertifikat bisa diunduh?", "Bagaimana sertifikat bisa diunduh?"),
        ("Zoom di Sidoarjo?", "Zoom di Surabaya?"),  # place names matter here
    ],
)
def test_different_questions_have_different_keys(a: str, b: str) -> None:
    assert question_key(a) != question_key(b)


def test_a_question_of_particles_only_still_has_a_key() -> None:
    assert question_key("  Ya  dong?? ") == "ya dong??"


async def _person(rt: Runtime, user: str) -> Person:
    async with rt.sessions() as s, s.begin():
        _ident, person = await get_or_create_identity(s, "telegram", user, user, MONDAY_MORNING)
        person.full_name, person.registered_at = f"Orang {user}", MONDAY_MORNING
        return person


async def test_filing_groups_open_questions_and_counts_asks(runtime: Runtime) -> None:
    a, b = await _person(runtime, "11"), await _person(runtime, "12")
    now = MONDAY_MORNING
    async with runtime.sessions() as s, s.begin():
        first = await file_question(s, person=a, text="Link zoom hari ini mana?",
                                    channel="telegram", chat_id="11", now=now)
        again = await file_question(s, person=a, text="link zoom hari ini mana ya",
                                    channel="telegram", chat_id="11", now=now)
        joined = await file_question(s, person=b, text="mana link zoom hari ini?",
                                     channel="telegram", chat_id="12", now=now)
        other = await file_question(s, person=b, text="Sertifikat kapan terbit?",
                                    channel="telegram", chat_id="12",
                                    now=now + timedelta(minutes=5))
    assert (first.kind, again.kind, joined.kind, other.kind) == ("new", "again", "joined", "new")
    assert first.question.id == again.question.id == joined.question.id != other.question.id
    async with runtime.sessions() as s:
        found, total = await open_questions(s, 10)
        assert total == 2
        assert [(o.question.id, o.askers) for o in found] == [
            (first.question.id, 2), (other.question.id, 1)
        ]
        assert found[0].first is not None and found[0].first.full_name == "Orang 11"
        assert len(await asks_since(s, b.id, now - timedelta(hours=1))) == 2
        assert await asks_since(s, b.id, now + timedelta(minutes=1)) == [
            now + timedelta(minutes=5)
        ]


async def test_an_answered_question_is_not_joined(runtime: Runtime) -> None:
    a, b = await _person(runtime, "11"), await _person(runtime, "12")
    async with runtime.sessions() as s, s.begin():
        first = await file_question(s, person=a, text="Link zoom?", channel="telegram",
                                    chat_id="11", now=MONDAY_MORNING)
        first.question.status = "answered"
        later = await file_question(s, person=b, text="link zoom", channel="telegram",
                                    chat_id="12", now=MONDAY_MORNING)
    assert later.kind == "new" and later.question.id != first.question.id


async def test_recipients_are_owners_and_admins_with_an_identity(runtime: Runtime) -> None:
    await _person(runtime, "777")  # an admin added from the chat who has written to the bot
    async with runtime.sessions() as s, s.begin():
        for ident in ("777", "888"):  # 888 never wrote: only its user id is known
            s.add(Admin(channel="telegram", external_id=ident, added_by="9001",
                        created_at=MONDAY_MORNING))
        s.add(Admin(channel="whatsapp", external_id="6281200000001", added_by="9001",
                    created_at=MONDAY_MORNING))
    async with runtime.sessions() as s:
        found = await admin_recipients(s, runtime.deps.channels)
        ident = await s.scalar(select(Identity.person_id).where(Identity.external_id == "777"))
    assert [(r.channel, r.chat_id) for r in found] == [
        ("telegram", "9001"), ("telegram", "777"), ("telegram", "888"),
        ("whatsapp", "6281200000001"),
    ]
    assert found[1].person_id == ident and found[0].person_id is None
