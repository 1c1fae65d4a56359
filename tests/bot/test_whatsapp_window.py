"""The 24-hour window: free-form inside it, the configured template outside (and on 131047)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest

from bot.delivery import OutsideWindow
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.whatsapp.templates import Templates, WindowedSender, template_spec
from core.clock import FixedClock
from core.types import Reply
from db.people import get_or_create_identity
from tests.e2e.whatsapp_bot import whatsapp_env
from tests.fakes.whatsapp_server import FakeWhatsApp

WA_ID = "6281234567890"
MENU = Reply(
    "☀️ <b>Menu hari ini</b>: Forum ASN Berbagi Ilmu",
    template=template_spec(
        "menu", ["Forum ASN Berbagi Ilmu", "Senin, 23 November 2026", "Belum ada sesi", "-", "-"],
        quick_replies=["sig.menu:week"]),
)


@pytest.fixture
async def wa() -> AsyncIterator[FakeWhatsApp]:
    async with FakeWhatsApp() as fake:
        fake.register_template("dahar_ngopi_menu", params=5, quick_replies=1)
        fake.register_template("dahar_ngopi_pengumuman", params=1)
        yield fake


@pytest.fixture
async def rt(
    make_settings: Callable[..., Settings], clock: FixedClock, wa: FakeWhatsApp
) -> AsyncIterator[Runtime]:
    runtime = await build_runtime(make_settings(whatsapp_env(wa)), clock, migrate=False)
    assert runtime.whatsapp is not None
    await runtime.whatsapp.start(process=False)
    yield runtime
    await runtime.close()


async def _wrote(rt: Runtime, ago: timedelta) -> None:
    now = rt.clock.now()
    async with rt.sessions() as s, s.begin():
        ident, _ = await get_or_create_identity(s, "whatsapp", WA_ID, WA_ID, now)
        ident.last_inbound_at = now - ago


def _sender(rt: Runtime) -> WindowedSender:
    assert rt.whatsapp is not None
    return rt.whatsapp.outbox_sender


async def test_inside_the_window_the_full_message_goes(rt: Runtime, wa: FakeWhatsApp) -> None:
    await _wrote(rt, timedelta(hours=23))
    await _sender(rt).deliver(WA_ID, MENU)
    [sent] = wa.messages_to(WA_ID)
    assert sent.type == "text" and "*Menu hari ini*" in sent.body


async def test_outside_the_window_the_template_goes(rt: Runtime, wa: FakeWhatsApp) -> None:
    await _wrote(rt, timedelta(hours=23, minutes=55))  # too close to the end to trust
    wamid = await _sender(rt).deliver(WA_ID, MENU)
    [sent] = wa.messages_to(WA_ID)
    assert sent.wamid == wamid and sent.type == "template"
    template = sent.payload["template"]
    assert (template["name"], template["language"]["code"]) == ("dahar_ngopi_menu", "id")
    assert sent.body.startswith("Forum ASN Berbagi Ilmu | Senin, 23 November 2026")
    assert template["components"][1]["parameters"][0]["payload"] == "sig.menu:week"


async def test_someone_who_never_wrote_gets_the_template(rt: Runtime, wa: FakeWhatsApp) -> None:
    await _sender(rt).deliver(WA_ID, MENU)
    assert [m.type for m in wa.messages_to(WA_ID)] == ["template"]


async def test_131047_despite_the_window_falls_back_to_the_template_once(
    rt: Runtime, wa: FakeWhatsApp
) -> None:
    await _wrote(rt, timedelta(hours=1))  # we think it is open; WhatsApp disagrees
    wa.window_closed(WA_ID)
    await _sender(rt).deliver(WA_ID, MENU)
    assert [m.type for m in wa.messages_to(WA_ID)] == ["template"]
    # A message without a template cannot be carried: the error reaches the outbox.
    with pytest.raises(OutsideWindow):
        await _sender(rt).deliver(WA_ID, Reply("Jawaban panjang"))
    assert len(wa.messages_to(WA_ID)) == 1


async def test_template_names_come_from_the_settings(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings({"WHATSAPP_TEMPLATE_ANNOUNCEMENT": "bpsdm_info"})
    templates = Templates.from_settings(settings)
    reply = Reply("x", template=template_spec("announcement", ["Sesi diundur"]))
    found = templates.for_reply(WA_ID, reply)
    assert found is not None
    assert (found.name, list(found.params)) == ("bpsdm_info", ["Sesi diundur"])
    # The outbox's first spelling of the kind is understood too.
    legacy = Reply.from_dict({"text": "x", "meta": {
        "template": {"name_setting": "answer", "params": ["q", "a"]}}})
    assert templates.for_reply(WA_ID, legacy).name == "dahar_ngopi_jawaban"  # type: ignore[union-attr]
    assert templates.for_reply(WA_ID, Reply("no template")) is None
    with pytest.raises(ValueError, match="unknown template kind"):
        template_spec("promo", [])
