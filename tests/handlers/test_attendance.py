"""Attendance, the person's side, through the core dispatcher: presses, codes, windows, NIPs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest

from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from core.clock import FixedClock
from db.attendance import MAX_WRONG_CODES
from handlers.attendance import AttendPress, progress_bar
from handlers.profile import EditField
from tests.handlers.attendance_helpers import (
    MONDAY,
    Chat,
    add_person,
    add_session,
    attendance_rows,
    text_of,
    wib,
)

NIP = "198507142010012003"
NIP2 = "199001012015022001"


@pytest.fixture
async def rt(make_settings: Callable[..., Settings], clock: FixedClock) -> AsyncIterator[Runtime]:
    """The core without the sample calendar (each test puts its own sessions)."""
    runtime = await build_runtime(make_settings({"SAMPLE_CALENDAR": "false"}), clock,
                                  migrate=False)
    yield runtime
    await runtime.close()


async def test_press_records_once_and_a_second_press_says_when(
    rt: Runtime, clock: FixedClock
) -> None:
    # No evaluation: the toast alone says it all (see test_evaluation.py for the rest).
    sid = await add_session(rt.sessions, code="FBI-1", start=(9, 0), title="Arsip Digital",
                            evaluation="tidak")
    pid = await add_person(rt.sessions, "501", nip=NIP)
    siti = Chat(rt, "501")
    clock.set(wib(MONDAY, 11, 5))
    first = await siti.press(await siti.button_for(sid))
    assert "Kehadiran tercatat" in text_of(first) and "+2 JP" in text_of(first)
    assert first[0].notice == (
        "✅ Kehadiran tercatat (11.05 WIB). +2 JP. Terima kasih! Rekap: /rekap")
    assert first[0].notice_only and not first[0].alert  # the toast alone, no message
    clock.set(wib(MONDAY, 11, 30))
    again = await siti.press(await siti.button_for(sid))
    assert "sudah tercatat" in text_of(again) and "11.05 WIB" in text_of(again)
    assert again[0].notice == (
        "ℹ️ Sudah tercatat pada 23/11/2026 11.05 WIB. Tidak perlu menekan lagi.")
    rows = await attendance_rows(rt.sessions)
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in rows] == [
        (pid, sid, wib(MONDAY, 11, 5), "telegram", "self")
    ]


async def test_old_button_next_day_repeats_the_original_time(
    rt: Runtime, clock: FixedClock
) -> None:
    sid = await add_session(rt.sessions, code="FBI-2", start=(13, 0))
    await add_person(rt.sessions, "502", nip=NIP)
    budi = Chat(rt, "502")
    clock.set(wib(MONDAY, 15, 0))
    data = await budi.button_for(sid)
    await budi.press(data)
    clock.set(wib(MONDAY + timedelta(days=1), 8, 0))  # window closed at 23:59 Monday
    stale = await budi.press(data)
    assert "sudah tercatat" in text_of(stale) and "Senin, 23 November 2026 pukul 15.00" in \
        text_of(stale)
    assert len(await attendance_rows(rt.sessions)) == 1


async def test_outside_the_window_says_when_it_was_open(rt: Runtime, clock: FixedClock) -> None:
    sid = await add_session(rt.sessions, code="FBI-3", start=(13, 0))
    await add_person(rt.sessions, "503", nip=NIP, tz="WITA")
    ani = Chat(rt, "503")
    data = await ani.button_for(sid)
    clock.set(wib(MONDAY, 12, 0))
    early = text_of(await ani.press(data))
    assert "belum dibuka" in early
    # Shown in the person's zone: 13.00 WIB is 14.00 WITA; 23.59 WIB is 00.59 WITA next day.
    assert "pukul 14.00 WITA" in early and "Selasa, 24 November 2026 pukul 00.59 WITA" in early
    clock.set(wib(MONDAY, 23, 59) + timedelta(seconds=30))
    assert "tercatat" in text_of(await ani.press(data))  # the closing minute still counts
    await add_person(rt.sessions, "504", nip=NIP2)
    late = Chat(rt, "504")
    clock.set(wib(MONDAY, 23, 59) + timedelta(seconds=61))
    assert "sudah ditutup" in text_of(await late.press(await late.button_for(sid)))
    assert len(await attendance_rows(rt.sessions)) == 1


async def test_session_closing_time_overrides_the_setting(rt: Runtime, clock: FixedClock) -> None:
    sid = await add_session(rt.sessions, code="FBI-4", start=(9, 0),
                            closes_at=wib(MONDAY, 12, 0))
    await add_person(rt.sessions, "505", nip=NIP)
    dewi = Chat(rt, "505")
    clock.set(wib(MONDAY, 12, 30))
    out = text_of(await dewi.press(await dewi.button_for(sid)))
    assert "sudah ditutup" in out and "pukul 12.00 WIB" in out


async def test_attendance_close_setting(
    make_settings: Callable[..., Settings], clock: FixedClock
) -> None:
    settings = make_settings({"SAMPLE_CALENDAR": "false", "ATTENDANCE_CLOSE": "18:00"})
    runtime = await build_runtime(settings, clock, migrate=False)
    try:
        sid = await add_session(runtime.sessions, code="FBI-5", start=(9, 0))
        await add_person(runtime.sessions, "506", nip=NIP)
        eko = Chat(runtime, "506")
        clock.set(wib(MONDAY, 18, 1))
        assert "sudah ditutup" in text_of(await eko.press(await eko.button_for(sid)))
    finally:
        await runtime.close()


async def test_forged_and_foreign_buttons_record_nothing(rt: Runtime, clock: FixedClock) -> None:
    sid = await add_session(rt.sessions, code="FBI-6", start=(9, 0))
    await add_person(rt.sessions, "507", nip=NIP)
    await add_person(rt.sessions, "508", nip=NIP2)
    owner, other = Chat(rt, "507"), Chat(rt, "508")
    clock.set(wib(MONDAY, 10, 0))
    # The owner's button pressed by someone else (forwarded, or copied by a modified client).
    foreign = await other.press(await owner.button_for(sid))
    assert foreign[0].notice and "tidak berlaku" in foreign[0].notice
    # Forged data: no signature, a made-up one, a signature for another session.
    for data in (
        AttendPress(sid).pack(),
        "AAAAAAAA." + AttendPress(sid).pack(),
        (await other.button_for(sid + 1)).split(".")[0] + "." + AttendPress(sid).pack(),
    ):
        replies = await other.press(data)
        assert replies[0].notice and "tidak berlaku" in replies[0].notice
    assert await attendance_rows(rt.sessions) == []


async def test_code_session_asks_for_the_code(rt: Runtime, clock: FixedClock) -> None:
    sid = await add_session(rt.sessions, code="BLJ-1", start=(9, 0), attendance_code="KOPI26",
                            programme="asn-belajar", jp=3)
    await add_person(rt.sessions, "509", nip=NIP)
    rina = Chat(rt, "509")
    clock.set(wib(MONDAY, 10, 0))
    asked = text_of(await rina.press(await rina.button_for(sid)))
    assert "kode presensi" in asked
    assert await attendance_rows(rt.sessions) == []
    wrong = text_of(await rina.say("TEH26"))
    assert "Kode presensi salah" in wrong and f"sisa {MAX_WRONG_CODES - 1} percobaan" in wrong
    right = text_of(await rina.say(" kopi 26 "))  # case and spaces do not matter
    assert "Kehadiran tercatat" in right and "+3 JP" in right
    assert len(await attendance_rows(rt.sessions)) == 1
    # The conversation ended: the next text is not taken as a code.
    assert "Kode" not in text_of(await rina.say("KOPI26"))


async def test_hadir_with_the_code(rt: Runtime, clock: FixedClock) -> None:
    await add_session(rt.sessions, code="BLJ-2", start=(9, 0), attendance_code="KOPI26")
    await add_person(rt.sessions, "510", nip=NIP)
    tono = Chat(rt, "510")
    clock.set(wib(MONDAY, 9, 30))
    assert "Kode presensi salah" in text_of(await tono.say("/hadir SALAH"))
    assert "Kehadiran tercatat" in text_of(await tono.say("/hadir kopi26"))
    assert "sudah tercatat" in text_of(await tono.say("/hadir KOPI26"))
    assert len(await attendance_rows(rt.sessions)) == 1


async def test_repeated_wrong_codes_are_throttled(rt: Runtime, clock: FixedClock) -> None:
    await add_session(rt.sessions, code="BLJ-3", start=(9, 0), attendance_code="KOPI26")
    await add_person(rt.sessions, "511", nip=NIP)
    joko = Chat(rt, "511")
    clock.set(wib(MONDAY, 10, 0))
    for _ in range(MAX_WRONG_CODES - 1):
        assert "Kode presensi salah" in text_of(await joko.say("/hadir NGAWUR"))
    last = text_of(await joko.say("/hadir NGAWUR"))
    assert "Terlalu banyak" in last and "10.15 WIB" in last
    # Even the right code waits out the pause.
    assert "Terlalu banyak" in text_of(await joko.say("/hadir KOPI26"))
    assert await attendance_rows(rt.sessions) == []
    clock.set(wib(MONDAY, 10, 16))
    assert "Kehadiran tercatat" in text_of(await joko.say("/hadir KOPI26"))


async def test_hadir_lists_open_sessions_with_buttons(rt: Runtime, clock: FixedClock) -> None:
    first = await add_session(rt.sessions, code="A", start=(8, 0), title="Pagi")
    second = await add_session(rt.sessions, code="B", start=(10, 0), title="Siang",
                               programme="asn-belajar")
    await add_session(rt.sessions, code="C", start=(14, 0), title="Sore")  # not open yet
    await add_person(rt.sessions, "512", nip=NIP)
    lia = Chat(rt, "512")
    clock.set(wib(MONDAY, 11, 0))
    listed = await lia.say("/hadir")
    labels = [b.label for row in listed[0].buttons for b in row]
    assert labels == ["08.00 Pagi", "10.00 Siang"]
    await lia.press(listed[0].buttons[1][0].data)
    rows = await attendance_rows(rt.sessions)
    assert [r[1] for r in rows] == [second] and first != second
    # With one session open, /hadir records it directly.
    clock.set(wib(MONDAY + timedelta(days=1), 0, 30))
    out = text_of(await lia.say("/hadir"))
    assert "tidak ada sesi yang dibuka" in out


async def test_hadir_without_open_sessions_shows_todays_windows(
    rt: Runtime, clock: FixedClock
) -> None:
    await add_session(rt.sessions, code="D", start=(13, 0), title="Forum Siang")
    await add_person(rt.sessions, "513", nip=NIP)
    clock.set(wib(MONDAY, 8, 0))
    out = text_of(await Chat(rt, "513").say("/hadir"))
    assert "tidak ada sesi yang dibuka" in out and "Forum Siang — presensi 13.00–23.59 WIB" in out


async def test_no_nip_is_kept_and_credited_when_the_nip_is_added(
    rt: Runtime, clock: FixedClock
) -> None:
    sid = await add_session(rt.sessions, code="FBI-7", start=(9, 0), jp=1.5,
                            evaluation="tidak")
    await add_person(rt.sessions, "514", nip=None, name="Rudi Hartono")
    rudi = Chat(rt, "514")
    clock.set(wib(MONDAY, 10, 0))
    confirmed = await rudi.press(await rudi.button_for(sid))
    assert "NIP Bapak/Ibu belum diisi" in text_of(confirmed)
    assert len(await attendance_rows(rt.sessions)) == 1
    rekap = text_of(await rudi.say("/rekap"))
    assert "Total: 0 JP" in rekap and "1,5 JP dari kehadiran di atas belum dihitung" in rekap
    # The button under the confirmation edits the NIP.
    edit = confirmed[0].buttons[0][0]
    assert rt.deps.signer.verify(str(await rudi.person_id()), edit.data) == EditField("nip").pack()
    assert "NIP" in text_of(await rudi.press(edit.data))
    assert "Data diperbarui" in text_of(await rudi.say(NIP))
    rekap = text_of(await rudi.say("/rekap"))
    assert "Total: 1,5 JP" in rekap and "belum dihitung" not in rekap


async def test_rekap_groups_by_programme_and_lists_what_is_coming(
    rt: Runtime, clock: FixedClock
) -> None:
    a = await add_session(rt.sessions, code="E1", day=MONDAY - timedelta(days=7), jp=2,
                          title="Forum Lalu")
    b = await add_session(rt.sessions, code="E2", day=MONDAY - timedelta(days=4), jp=3,
                          programme="asn-belajar", title="Belajar Lalu")
    await add_session(rt.sessions, code="E3", day=MONDAY + timedelta(days=3),
                      programme="asn-belajar", title="Belajar Nanti", jp=2)
    await add_session(rt.sessions, code="E4", day=MONDAY.replace(month=12, day=3),
                      title="Desember")
    await add_person(rt.sessions, "515", nip=NIP)
    nur = Chat(rt, "515")
    for sid, day in ((a, MONDAY - timedelta(days=7)), (b, MONDAY - timedelta(days=4))):
        clock.set(wib(day, 10, 0))
        await nur.press(await nur.button_for(sid))
    clock.set(wib(MONDAY, 8, 0))
    out = text_of(await nur.say("/rekap"))
    assert "Forum ASN Berbagi Ilmu</b> — 1 sesi, 2 JP" in out
    assert "ASN Belajar</b> — 1 sesi, 3 JP" in out
    assert out.index("Forum Lalu") < out.index("Belajar Lalu")
    assert "Total: 5 JP</b> dari target 20 JP" in out and progress_bar(5) in out
    # The next few sessions, in the coming 30 days (not only this month).
    assert "Sesi berikutnya" in out and out.index("Belajar Nanti") < out.index("Desember (2 JP)")


def test_progress_bar() -> None:
    assert progress_bar(0) == "▱" * 20 + " 0%"
    assert progress_bar(9) == "▰" * 9 + "▱" * 11 + " 45%"
    assert progress_bar(26) == "▰" * 20 + " 130%"


async def test_unregistered_people_are_sent_to_registration(
    rt: Runtime, clock: FixedClock
) -> None:
    sid = await add_session(rt.sessions, code="FBI-8", start=(9, 0))
    stranger = Chat(rt, "516")
    assert "/mulai" in text_of(await stranger.say("/hadir"))
    clock.set(wib(MONDAY, 10, 0))
    data = rt.deps.signer.sign("", AttendPress(sid).pack())  # even a button for anyone
    assert "/mulai" in text_of(await stranger.press(data))
    assert await attendance_rows(rt.sessions) == []


async def test_cancelled_session_records_nothing(rt: Runtime, clock: FixedClock) -> None:
    sid = await add_session(rt.sessions, code="FBI-9", start=(9, 0), status="batal")
    await add_person(rt.sessions, "517", nip=NIP)
    putri = Chat(rt, "517")
    clock.set(wib(MONDAY, 10, 0))
    assert "dibatalkan" in text_of(await putri.press(await putri.button_for(sid)))
    assert await attendance_rows(rt.sessions) == []


async def test_whatsapp_person_side(rt: Runtime, clock: FixedClock) -> None:
    """The same scenarios on WhatsApp: bare command words, buttons, codes, no NIP."""
    sid = await add_session(rt.sessions, code="WA-1", start=(9, 0), attendance_code="KOPI")
    await add_person(rt.sessions, "6281234567890", nip=None, channel="whatsapp")
    wa = Chat(rt, "6281234567890", channel="whatsapp")
    clock.set(wib(MONDAY, 9, 30))
    assert "kode presensi" in text_of(await wa.press(await wa.button_for(sid)))
    assert "Kode presensi salah" in text_of(await wa.say("TEH"))
    done = text_of(await wa.say("kopi"))
    assert "Kehadiran tercatat" in done and "NIP Bapak/Ibu belum diisi" in done
    assert "sudah tercatat" in text_of(await wa.say("hadir"))  # bare word, no slash
    assert "sudah tercatat" in text_of(await wa.press(await wa.button_for(sid)))
    rows = await attendance_rows(rt.sessions)
    assert len(rows) == 1 and rows[0][3] == "whatsapp"
    assert "Total: 0 JP" in text_of(await wa.say("rekap"))


async def test_presses_arriving_together_are_batched_exactly_once(
    rt: Runtime, clock: FixedClock
) -> None:
    """Concurrent presses go through the batch path: one row each, doubles told the time,
    and whatever it cannot decide (forged, code, unknown) still gets the usual answer."""
    open_id = await add_session(rt.sessions, code="B-OPEN", start=(9, 0))
    coded = await add_session(rt.sessions, code="B-CODE", start=(9, 0), attendance_code="K1",
                              programme="asn-belajar")
    closed = await add_session(rt.sessions, code="B-OLD", day=MONDAY - timedelta(days=1),
                               start=(9, 0), programme="asn-mengaji")
    chats = []
    for i in range(40):
        nip = f"1985071420100120{i:02d}" if i % 2 else None
        await add_person(rt.sessions, f"9{i:03d}", nip=nip)
        chats.append(Chat(rt, f"9{i:03d}"))
    clock.set(wib(MONDAY, 10, 0))
    data = [await c.button_for(open_id) for c in chats]
    presses = [c.press(d) for c, d in zip(chats, data, strict=True)]
    presses += [chats[0].press(data[0]), chats[1].press(data[1])]  # doubles in the same burst
    presses += [chats[2].press(data[3])]  # someone else's button
    presses += [chats[4].press(await chats[4].button_for(coded))]
    presses += [chats[5].press(await chats[5].button_for(closed))]
    presses += [Chat(rt, "stranger").press(data[6])]
    batcher = rt.dispatcher._batchers[AttendPress.prefix]
    before = batcher.batches
    replies = await asyncio.gather(*presses)
    assert batcher.batches - before < len(presses) / 4  # they really went together
    texts = [text_of(r) for r in replies]
    assert sum("Kehadiran tercatat" in t for t in texts[:40]) + \
        sum("Kehadiran tercatat" in t for t in texts[40:42]) == 40
    assert all("sudah tercatat" in t or "Sudah tercatat" in t for t in
               [texts[i] for i in range(42) if "Kehadiran tercatat" not in texts[i]])
    assert "NIP Bapak/Ibu belum diisi" in texts[0] and "+2 JP" in texts[1]
    assert "tidak berlaku" in texts[42]
    assert "kode presensi" in texts[43]
    assert "sudah ditutup" in texts[44]
    assert "tidak berlaku" in texts[45]  # a stranger with someone's button
    rows = await attendance_rows(rt.sessions)
    assert len(rows) == 40 and {r[1] for r in rows} == {open_id}
    assert len({r[0] for r in rows}) == 40
