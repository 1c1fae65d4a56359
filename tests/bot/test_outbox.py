"""The outbox's write side: idempotent keys, shared payloads, bulk planning, wake-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.outbox import (
    OutboxBell,
    Priority,
    Ref,
    enqueue,
    enqueue_audience,
    payload_body,
    store_payload,
)
from core.types import Button, Reply, TemplateRef
from db.engine import Sessions, create_sessions
from db.models import OutboxMessage, OutboxPayload
from schedules.audience import recipients
from tests.auxil.outbox import add_people, rows

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


async def test_same_key_twice_writes_one_row(sessions: Sessions) -> None:
    async with sessions() as s, s.begin():
        first = await enqueue(s, key="menu:2026-11-23:1", person_id=None, channel="telegram",
                              chat_id="42", kind="menu", reply=Reply("Halo"), now=NOW)
        again = await enqueue(s, key="menu:2026-11-23:1", person_id=None, channel="telegram",
                              chat_id="42", kind="menu", reply=Reply("Lain"), now=NOW)
    assert first is not None and again is None
    (row,) = await rows(sessions)
    assert (row.status, row.priority, row.not_before, row.attempts) == (
        "pending", Priority.MENU, NOW, 0)


async def test_payload_is_stored_once_and_keeps_the_template(sessions: Sessions) -> None:
    reply = Reply("Menu <b>hari ini</b>", buttons=((Button("Zoom", url="https://z"),),))
    template = TemplateRef("menu", ("Senin",))
    async with sessions() as s, s.begin():
        for i in range(3):
            await enqueue(s, key=f"k{i}", person_id=None, channel="telegram", chat_id=str(i),
                          kind="announcement", reply=reply, now=NOW, template=template,
                          ref=Ref("announcement", 7))
        count = await s.scalar(select(func.count()).select_from(OutboxPayload))
        body = await s.scalar(select(OutboxPayload.body))
    assert count == 1
    assert body is not None
    stored = Reply.from_dict(body)
    assert stored.text == reply.text and stored.buttons == reply.buttons
    assert stored.template == template
    assert {(r.ref_type, r.ref_id, r.priority) for r in await rows(sessions)} == {
        ("announcement", 7, Priority.ANNOUNCEMENT)}


async def test_unknown_priority_is_refused(sessions: Sessions) -> None:
    async with sessions() as s, s.begin():
        with pytest.raises(ValueError, match="priority"):
            await enqueue(s, key="x", person_id=None, channel="telegram", chat_id="1",
                          kind="reply", reply=Reply("x"), now=NOW, priority=5)


async def test_audience_is_planned_in_batches_and_idempotently(sessions: Sessions) -> None:
    wib = await add_people(sessions, 23)
    await add_people(sessions, 4, zone="WITA", first_chat=5000)
    await add_people(sessions, 2, first_chat=7000, subscribed=False)
    await add_people(sessions, 2, first_chat=7100, reachable=False)
    await add_people(sessions, 2, first_chat=7200, registered=False)
    await add_people(sessions, 2, first_chat=7300, preferences={"menu": False})
    await add_people(sessions, 2, first_chat=7400, preferences={"muted": ["asn-mengaji"]})
    async with sessions() as s, s.begin():
        pid = await store_payload(s, payload_body(Reply("Menu")), now=NOW)

    async def plan(programme: str) -> int:
        return await enqueue_audience(
            sessions, audience=recipients(["telegram"], zone="WIB", want="menu",
                                          programme_key=programme),
            key_prefix=f"menu:{programme}:", kind="menu", payload_id=pid, now=NOW,
            not_before=NOW + timedelta(minutes=5), batch_size=5)

    assert await plan("forum-berbagi-ilmu") == 23 + 2  # the muted-Wednesday two get Monday
    assert await plan("forum-berbagi-ilmu") == 0
    assert await plan("asn-mengaji") == 23
    monday = await rows(sessions, kind="menu")
    assert {r.person_id for r in monday if r.idem_key.startswith("menu:forum")} >= set(wib)
    assert all(r.not_before == NOW + timedelta(minutes=5) for r in monday)


async def test_preferred_channel_wins_over_the_latest_identity(sessions: Sessions) -> None:
    (pid,) = await add_people(sessions, 1, first_chat=10, preferred_channel="whatsapp")
    from db.models import Identity

    async with sessions() as s, s.begin():
        s.add(Identity(person_id=pid, channel="whatsapp", external_id="628123",
                       chat_id="628123", created_at=NOW))
    async with sessions() as s:
        both = (await s.execute(recipients(["telegram", "whatsapp"]))).all()
        only_tg = (await s.execute(recipients(["telegram"]))).all()
    assert [tuple(r) for r in both] == [(pid, "whatsapp", "628123")]
    assert [tuple(r) for r in only_tg] == [(pid, "telegram", "10")]


async def test_wake_listener_fires_after_commit_only(sessions: Sessions) -> None:
    calls: list[str] = []

    def listener() -> None:
        calls.append("woke")

    bell = OutboxBell(sessions)
    bell.subscribe(listener)
    try:
        async with sessions() as s:
            async with s.begin():
                await enqueue(s, key="a", person_id=None, channel="telegram", chat_id="1",
                              kind="reply", reply=Reply("x"), now=NOW)
                assert calls == []  # not before the row is visible to others
            assert calls == ["woke"]
            async with s.begin():  # a commit that enqueued nothing
                await s.scalar(select(OutboxMessage.id))
        assert calls == ["woke"]
    finally:
        bell.close()


async def test_a_bell_listens_to_its_own_session_factory_only(sessions: Sessions) -> None:
    other = create_sessions(sessions.kw["bind"])
    calls: list[str] = []
    bell = OutboxBell(other)
    bell.subscribe(lambda: calls.append("woke"))
    try:
        async with sessions() as s, s.begin():
            await enqueue(s, key="b", person_id=None, channel="telegram", chat_id="1",
                          kind="reply", reply=Reply("x"), now=NOW)
        assert calls == []  # another factory's commit
        async with other() as s, s.begin():
            await enqueue(s, key="c", person_id=None, channel="telegram", chat_id="1",
                          kind="reply", reply=Reply("x"), now=NOW)
        assert calls == ["woke"]
    finally:
        bell.close()
