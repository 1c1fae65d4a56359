"""/pengingat: parsing, toggling, muting, storing, and what the planner then sends."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from core.callbacks import Signer
from core.clock import FixedClock
from db.engine import Sessions
from db.models import Person
from schedules.nudges import NudgeConfig
from schedules.preferences import (
    PrefAction,
    Preferences,
    apply_action,
    parse_command,
    pengingat,
    preferences_reply,
)
from schedules.scheduler import NudgePlanner
from tests.auxil.outbox import add_people, rows


def test_defaults_and_malformed_json_mean_everything_on() -> None:
    assert Preferences.from_json(None) == Preferences()
    odd = Preferences.from_json({"menu": "no", "muted": ["asn-mengaji", "nonsense", 3]})
    assert odd == Preferences(menu=True, reminder=True, muted=frozenset({"asn-mengaji"}))
    prefs = Preferences(menu=False, muted=frozenset({"asn-sehat-bugar", "asn-mengaji"}))
    assert prefs.to_json() == {"menu": False, "reminder": True,
                               "muted": ["asn-mengaji", "asn-sehat-bugar"]}
    assert Preferences.from_json(prefs.to_json()) == prefs


def test_wants() -> None:
    prefs = Preferences(reminder=False, muted=frozenset({"asn-mengaji"}))
    assert prefs.wants("menu", "forum-berbagi-ilmu")
    assert not prefs.wants("menu", "asn-mengaji")
    assert not prefs.wants("reminder", "forum-berbagi-ilmu")


def test_typed_commands() -> None:
    p = Preferences()
    p, err = parse_command(p, "menu off")
    assert err is None and not p.menu
    p, err = parse_command(p, "bisukan Rabu")
    assert err is None and p.muted == {"asn-mengaji"}
    p, err = parse_command(p, "bisukan asn sehat dan bugar")
    assert p.muted == {"asn-mengaji", "asn-sehat-bugar"}
    p, err = parse_command(p, "aktifkan rabu")
    assert p.muted == {"asn-sehat-bugar"}
    p, err = parse_command(p, "semua on")
    assert p.menu and p.reminder
    same, err = parse_command(p, "bisukan sabtu")
    assert same == p and err is not None and "sabtu" in err
    same, err = parse_command(p, "entah apa")
    assert same == p and err == "Perintah tidak dikenali."


def test_buttons_toggle() -> None:
    p = apply_action(Preferences(), PrefAction("m"))
    assert not p.menu
    p = apply_action(p, PrefAction("p", "asn-mengaji"))
    assert p.muted == {"asn-mengaji"}
    p = apply_action(p, PrefAction("p", "asn-mengaji"))
    assert p.muted == frozenset()
    assert apply_action(p, PrefAction("p", "bogus")) == p


def test_reply_buttons_are_signed_and_fit() -> None:
    signer = Signer(b"k" * 32)
    reply = preferences_reply(Preferences(muted=frozenset({"asn-mengaji"})),
                              lambda a: signer.sign("7", a.pack()))
    datas = [b.data for row in reply.buttons for b in row]
    assert len(datas) == 7
    payloads = [signer.verify("7", d) for d in datas]
    assert PrefAction.unpack(payloads[4]) == PrefAction("p", "asn-mengaji")
    assert "Rabu — ASN Mengaji: 🔕 dibisukan" in reply.text


async def test_handler_stores_and_the_planner_obeys(sessions: Sessions) -> None:
    (pid,) = await add_people(sessions, 1)
    async with sessions() as s, s.begin():
        reply = await pengingat(s, pid, "bisukan senin")
    assert "Pengaturan disimpan" in reply.text
    async with sessions() as s, s.begin():
        reply = await pengingat(s, pid, "menu mati")
        stored = (await s.get(Person, pid))
        assert stored is not None
    assert stored.preferences == {"menu": False, "reminder": True,
                                  "muted": ["forum-berbagi-ilmu"]}
    async with sessions() as s, s.begin():
        reply = await pengingat(s, pid, "menu nyala")
    monday = date(2026, 11, 23)
    at = datetime.combine(monday - timedelta(days=1), time(23, 30), UTC)
    planner = NudgePlanner(sessions, FixedClock(at), NudgeConfig(channels=("telegram",)))
    await planner.tick(at)  # Monday's forum is muted
    await planner.tick(at + timedelta(days=1))  # Tuesday's menu comes
    assert [r.idem_key for r in await rows(sessions)] == [f"menu:2026-11-24:{pid}"]
