"""Merging two people moves every row of the dropped one; duplicates give way, nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from db.engine import Sessions
from db.merge import PERSON_TABLES, merge_people, person_columns, register_person_table
from db.models import ConversationState, Identity, LinkCode, Person

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


@pytest.fixture
def attendance_table() -> Iterator[None]:
    # A feature table that keeps person ids without a foreign key, registered by hand.
    register_person_table("t_attendance", unique_with=(("session_id",),))
    yield None
    PERSON_TABLES.pop(("t_attendance", "person_id"))


def test_person_columns_are_found_by_foreign_key() -> None:
    found = {(c.table, c.column): c.unique_with for c in person_columns()}
    assert found[("identities", "person_id")] == ()
    assert found[("conversation_states", "person_id")] == ((),)  # one state per person
    assert ("link_codes", "person_id") in found


async def test_merge_moves_everything_and_drops_duplicates_only(
    sessions: Sessions, attendance_table: None
) -> None:
    async with sessions() as s, s.begin():
        await s.execute(text(
            "CREATE TABLE t_attendance (id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL, "
            "session_id INTEGER NOT NULL, UNIQUE (person_id, session_id))"
        ))
        keep = Person(full_name="Keep", created_at=NOW, preferences={})
        drop = Person(full_name="Drop", created_at=NOW, preferences={})
        s.add_all([keep, drop])
        await s.flush()
        s.add_all([
            Identity(person_id=keep.id, channel="telegram", external_id="1", chat_id="1",
                     created_at=NOW),
            Identity(person_id=drop.id, channel="whatsapp", external_id="62811", chat_id="62811",
                     created_at=NOW),
            ConversationState(person_id=keep.id, flow="profile", step="name", data={},
                              updated_at=NOW),
            ConversationState(person_id=drop.id, flow="registration", step="nip", data={},
                              updated_at=NOW),
            LinkCode(code_hash="x" * 64, person_id=drop.id, channel="whatsapp", created_at=NOW,
                     expires_at=NOW),
        ])
        pairs = ((keep, 1), (keep, 2), (drop, 2), (drop, 3))
        for row_id, (person, session_id) in enumerate(pairs, start=1):
            # Ids given: an INTEGER PRIMARY KEY counts by itself on SQLite only.
            await s.execute(text("INSERT INTO t_attendance (id, person_id, session_id) VALUES "
                                 "(:i, :p, :s)"), {"i": row_id, "p": person.id, "s": session_id})
        keep_id, drop_id = keep.id, drop.id

    async with sessions() as s, s.begin():
        moved = await merge_people(s, keep_id, drop_id)
    assert moved == {"identities.person_id": 1, "link_codes.person_id": 1,
                     "t_attendance.person_id": 1}

    async with sessions() as s:
        assert [p.id for p in (await s.execute(select(Person))).scalars()] == [keep_id]
        owners = {i.channel: i.person_id for i in (await s.execute(select(Identity))).scalars()}
        assert owners == {"telegram": keep_id, "whatsapp": keep_id}
        state = (await s.execute(select(ConversationState))).scalar_one()
        assert (state.person_id, state.flow) == (keep_id, "profile")  # the kept one's
        rows = (await s.execute(text(
            "SELECT person_id, session_id FROM t_attendance ORDER BY session_id"))).all()
        # Session 2 was confirmed by both: one row remains; session 3 came over.
        assert [tuple(r) for r in rows] == [(keep_id, 1), (keep_id, 2), (keep_id, 3)]


async def test_merging_a_person_into_themselves_is_refused(sessions: Sessions) -> None:
    async with sessions() as s:
        with pytest.raises(ValueError, match="themselves"):
            await merge_people(s, 1, 1)
