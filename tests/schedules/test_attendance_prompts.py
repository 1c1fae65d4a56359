"""The attendance prompt: its words, its audience in the outbox, and buttons signed per person."""

from __future__ import annotations

import dataclasses
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.outbox_worker import ChannelLimits, OutboxWorker, WorkerConfig
from core.callbacks import Signer
from core.clock import FixedClock
from db.attendance import record_attendance
from db.engine import Sessions
from db.models import LearningSession, OutboxMessage, Person
from handlers.attendance import AttendPress
from schedules.attendance_prompts import (
    HADIR,
    plan_due_prompts,
    prompt_template,
    render_prompt,
    sign_for,
)
from schedules.nudges import NudgeConfig
from tests.auxil.outbox import RecordingSender
from tests.handlers.attendance_helpers import MONDAY, add_person, add_session, wib

WIB = ZoneInfo("Asia/Jakarta")
CLOSE = time(23, 59)
CONFIG = NudgeConfig(channels=("telegram", "whatsapp"))


async def _session(sessions: Sessions, sid: int) -> LearningSession:
    async with sessions() as s:
        found = await s.get(LearningSession, sid)
    assert found is not None
    return found


async def test_prompt_words_buttons_and_recording(sessions: Sessions) -> None:
    sid = await add_session(sessions, code="P1", start=(13, 0), hours=2, jp=1.5,
                            title="Arsip <Digital>", recording_url="https://youtu.be/x")
    reply = render_prompt(await _session(sessions, sid), "WITA", agency_tz=WIB, close=CLOSE)
    assert reply.text.startswith("🙋 <b>Apakah Bapak/Ibu mengikuti Arsip &lt;Digital&gt;?</b>")
    assert "14.00–16.00 WITA" in reply.text and "(1,5 JP)" in reply.text
    assert "Selasa, 24 November 2026 pukul 00.59 WITA" in reply.text  # 23:59 WIB, in WITA
    assert '<a href="https://youtu.be/x">Tonton rekamannya</a>' in reply.text
    assert [[b.label for b in row] for row in reply.buttons] == [[HADIR], ["📼 Rekaman"]]
    assert reply.buttons[0][0].data == AttendPress(sid).pack() and reply.sign_buttons
    coded = await add_session(sessions, code="P2", attendance_code="K")
    assert "kode presensi" in render_prompt(await _session(sessions, coded), "WIB",
                                            agency_tz=WIB, close=CLOSE).text


def test_sign_for_signs_only_callback_buttons() -> None:
    signer = Signer(b"k" * 32)
    reply = render_prompt(
        LearningSession(id=7, title="T", programme_key="asn-belajar", day=MONDAY,
                        starts_at=wib(MONDAY, 9), ends_at=wib(MONDAY, 10), jp=2,
                        recording_url="https://youtu.be/r", attendance_closes_at=None),
        "WIB", agency_tz=WIB, close=CLOSE)
    signed = sign_for(reply, signer, 42)
    assert signer.verify("42", signed.buttons[0][0].data) == "att:7"
    assert signed.buttons[1][0].url == "https://youtu.be/r" and not signed.buttons[1][0].data
    assert not signed.sign_buttons
    assert sign_for(signed, signer, 43) is signed  # already personal: left alone
    assert sign_for(reply, signer, None) is reply
    # The WhatsApp template sent outside the 24-hour window: its quick reply is signed too.
    with_template = dataclasses.replace(reply, template=prompt_template(
        LearningSession(id=7, title="T", programme_key="asn-belajar")))
    template = sign_for(with_template, signer, 42).template
    assert template is not None
    assert template.kind == "attendance" and template.params == ("ASN Belajar: T",)
    assert [signer.verify("42", q) for q in template.quick_replies] == ["att:7"]


async def test_planned_for_the_programme_audience_once(sessions: Sessions) -> None:
    sid = await add_session(sessions, code="P3", start=(9, 0), hours=2)
    wanted = [await add_person(sessions, "11"), await add_person(sessions, "12", tz="WITA")]
    muted = await add_person(sessions, "13")
    done = await add_person(sessions, "14")
    async with sessions() as s, s.begin():
        person = await s.get(Person, muted)
        assert person is not None
        person.preferences = {"reminder": True, "muted": ["forum-berbagi-ilmu"]}
        await record_attendance(s, person_id=done, session_id=sid, now=wib(MONDAY, 9, 30),
                                channel="telegram")
    early = await plan_due_prompts(sessions, CONFIG, now=wib(MONDAY, 10, 30), agency_tz=WIB,
                                   close=CLOSE)
    assert early == []  # the session ends at 11:00; the lookahead is 10 minutes
    outcomes = await plan_due_prompts(sessions, CONFIG, now=wib(MONDAY, 10, 55), agency_tz=WIB,
                                      close=CLOSE)
    assert sorted((o.status, o.recipients) for o in outcomes) == [
        ("planned", 0), ("planned", 1), ("planned", 1)]
    async with sessions() as s:
        rows = list(await s.scalars(select(OutboxMessage).order_by(OutboxMessage.person_id)))
    assert [r.person_id for r in rows] == wanted
    assert {(r.kind, r.not_before, r.expires_at, r.ref_type, r.ref_id) for r in rows} == {
        ("attendance", wib(MONDAY, 11), wib(MONDAY, 23, 59), "session", sid)}
    again = await plan_due_prompts(sessions, CONFIG, now=wib(MONDAY, 11, 5), agency_tz=WIB,
                                   close=CLOSE)
    assert {o.status for o in again} == {"exists"}
    late = await plan_due_prompts(sessions, CONFIG, now=wib(MONDAY, 14, 0), agency_tz=WIB,
                                  close=CLOSE)
    assert late == []  # beyond CATCHUP_HOURS nothing new is planned


async def test_delivered_with_a_button_signed_for_each_person(sessions: Sessions) -> None:
    sid = await add_session(sessions, code="P4", start=(9, 0), hours=1)
    people = [await add_person(sessions, str(20 + i)) for i in range(3)]
    await plan_due_prompts(sessions, CONFIG, now=wib(MONDAY, 10), agency_tz=WIB, close=CLOSE)
    signer = Signer(b"s" * 32)
    sender = RecordingSender()
    dispatcher = OutboxWorker(
        sessions, FixedClock(wib(MONDAY, 10, 1)), [sender],
        limits={"telegram": ChannelLimits(rate=None, chat_rate=None)},
        config=WorkerConfig(poll_interval=0.05, maintenance_interval=0.1),
        personalise=lambda reply, pid: sign_for(reply, signer, pid),
    )
    await dispatcher.run_until_idle(limit=10)
    assert sorted(chat for chat, _ in sender.sent) == ["20", "21", "22"]
    for chat, reply in sender.sent:
        person = people[int(chat) - 20]
        assert signer.verify(str(person), reply.buttons[0][0].data) == f"att:{sid}"
        assert not reply.sign_buttons


async def test_nothing_after_attendance_closes(sessions: Sessions) -> None:
    sid = await add_session(sessions, code="P5", start=(9, 0), hours=1,
                            closes_at=wib(MONDAY, 10, 30))
    await add_person(sessions, "31")
    after = wib(MONDAY, 10, 30) + timedelta(minutes=1)
    assert await plan_due_prompts(sessions, CONFIG, now=after, agency_tz=WIB,
                                  close=CLOSE) == []
    assert sid


def test_prompt_renders_on_whatsapp_as_a_reply_button() -> None:
    from bot.whatsapp.render import MessagePart, render

    signer = Signer(b"k" * 32)
    session = LearningSession(
        id=9, title="Kepemimpinan Adaptif", programme_key="asn-belajar", day=MONDAY,
        starts_at=wib(MONDAY, 9), ends_at=wib(MONDAY, 12), jp=3, attendance_closes_at=None,
        recording_url="https://youtu.be/r")
    parts = render(sign_for(render_prompt(session, "WIB", agency_tz=WIB, close=CLOSE),
                            signer, 5))
    [part] = parts
    assert isinstance(part, MessagePart)
    action = part.message["interactive"]["action"]
    [button] = action["buttons"]
    assert button["reply"]["title"] == HADIR
    assert signer.verify("5", button["reply"]["id"]) == "att:9"
    assert "https://youtu.be/r" in part.message["interactive"]["body"]["text"]
