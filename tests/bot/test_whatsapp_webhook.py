"""Webhook signature, handshake and parsing, checked against real Cloud API bodies.

The sample bodies are in `tests/data/whatsapp-webhook-samples/` (with their licence):
they are the test data of the open-source `pywa` project (tests/data/updates/, MIT License,
Copyright (c) 2026 David Lev), copied unchanged.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.delivery import Blocked
from bot.whatsapp.client import WhatsAppClient
from bot.whatsapp.errors import map_error
from bot.whatsapp.webhook import (
    SIGNATURE_HEADER,
    StatusEvent,
    Unsupported,
    WebhookEvents,
    parse_webhook,
    verify_handshake,
    verify_signature,
)
from core.types import Incoming
from tests.fakes.whatsapp_server import FakeWhatsApp
from tests.fakes.whatsapp_webhook import (
    button_reply_body,
    document_body,
    image_body,
    list_reply_body,
    post_signed,
    sign,
    status_body,
    template_button_body,
    text_body,
)

SAMPLES = Path(__file__).parents[1] / "data" / "whatsapp-webhook-samples"
SECRET = "test-app-secret"
WA_ID = "6281234567890"


def _samples() -> Iterator[tuple[str, dict[str, Any]]]:
    files = sorted(SAMPLES.glob("*.json"))
    assert files, f"no webhook samples in {SAMPLES.resolve()}"
    for path in files:
        for case, body in json.loads(path.read_text()).items():
            yield f"{path.stem}:{case}", body


CASES = list(_samples())


def _sample(name: str) -> dict[str, Any]:
    return next(body for case, body in CASES if case == name)


# --- signature and handshake --------------------------------------------------------------


def test_signature_good_bad_missing() -> None:
    raw = b'{"object":"whatsapp_business_account","entry":[]}'
    good = sign(raw, SECRET)
    assert good.startswith("sha256=") and len(good) == 7 + 64
    assert verify_signature(SECRET, raw, good)
    assert verify_signature(SECRET.encode(), raw, good.upper().replace("SHA256=", "sha256="))
    assert not verify_signature(SECRET, raw + b" ", good)  # body altered
    assert not verify_signature("other-secret", raw, good)
    assert not verify_signature(SECRET, raw, None)
    assert not verify_signature(SECRET, raw, "")
    assert not verify_signature(SECRET, raw, good.removeprefix("sha256="))  # no prefix
    assert not verify_signature(SECRET, raw, "sha1=" + good[7:])
    assert not verify_signature("", raw, sign(raw, ""))  # no secret configured: refuse


def test_handshake() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "kopi", "hub.challenge": "1158201444"}
    assert verify_handshake(params, "kopi") == "1158201444"
    assert verify_handshake({**params, "hub.verify_token": "teh"}, "kopi") is None
    assert verify_handshake({**params, "hub.mode": "unsubscribe"}, "kopi") is None
    assert verify_handshake({"hub.challenge": "1"}, "kopi") is None
    assert verify_handshake(params, "") is None


# --- every real sample body ---------------------------------------------------------------


def _expect(body: dict[str, Any], events: WebhookEvents) -> None:
    """Check each message and status of a real body landed where it belongs."""
    incoming = {i.message_id: i for i in events.incoming}
    statuses = {(s.wamid, s.status): s for s in events.statuses}
    for entry in body["entry"]:
        for change in entry["changes"]:
            value = change["value"]
            if change["field"] != "messages":
                assert events.ignored[f"field:{change['field']}"] >= 1
                continue
            names = {c["wa_id"]: c["profile"]["name"] for c in value.get("contacts", [])}
            for msg in value.get("messages", []):
                kind, wamid, sender = msg["type"], msg["id"], msg["from"]
                sub = msg.get("interactive", {}).get("type")
                if kind in ("text", "button", "document", "image") or sub in (
                    "button_reply", "list_reply"
                ):
                    got = incoming[wamid]
                    assert (got.channel, got.user_id, got.chat_id) == ("whatsapp", sender, sender)
                    assert got.display_name == names.get(sender, "")
                    if kind == "text":
                        assert got.text == msg["text"]["body"] and got.callback is None
                    elif kind == "button":
                        assert got.callback == msg["button"]["payload"]
                        assert got.text == msg["button"]["text"]
                        assert got.callback_id == wamid
                    elif kind == "interactive":
                        assert got.callback == msg["interactive"][sub]["id"]
                        assert got.callback_id == wamid and got.text is None
                    else:
                        att = got.document if kind == "document" else got.photo
                        assert att is not None and att.file_id == msg[kind]["id"]
                        assert att.mime_type == msg[kind]["mime_type"]
                        assert got.text == msg[kind].get("caption")
                elif kind in ("sticker", "location", "contacts", "order", "audio", "video",
                              "unsupported") or (kind == "interactive" and sub is None):
                    assert Unsupported(sender, wamid, kind) in events.unsupported
                elif kind == "system" and msg["system"]["type"] == "user_changed_number":
                    assert [(c.old_wa_id, c.new_wa_id) for c in events.number_changes] == [
                        (sender, msg["system"]["wa_id"])
                    ]
                else:
                    assert sum(events.ignored.values()) >= 1, kind
                assert wamid not in {u.wamid for u in events.unsupported} or wamid not in incoming
            for st in value.get("statuses", []):
                if st["status"] in ("sent", "delivered", "read", "failed"):
                    got_status = statuses[(st["id"], st["status"])]
                    assert got_status.recipient == st["recipient_id"]
                    assert got_status.timestamp.tzinfo is not None
                    assert got_status.timestamp == datetime.fromtimestamp(
                        int(st["timestamp"]), UTC
                    )
                    assert [e.code for e in got_status.errors] == [
                        e["code"] for e in st.get("errors", [])
                    ]
                else:
                    assert events.ignored[f"status:{st['status']}"] >= 1


def _count(body: dict[str, Any]) -> int:
    total = 0
    for entry in body["entry"]:
        for change in entry["changes"]:
            value = change["value"]
            if change["field"] != "messages":
                total += 1
            else:
                total += len(value.get("messages", [])) + len(value.get("statuses", [])) or 1
    return total


@pytest.mark.parametrize(("case", "body"), CASES, ids=[c for c, _ in CASES])
def test_every_sample_is_parsed_and_classified(case: str, body: dict[str, Any]) -> None:
    events = parse_webhook(body)
    assert events.total == _count(body), events
    assert events.ignored["malformed"] == 0
    _expect(body, events)


def test_samples_cover_every_kind() -> None:
    assert len({c.split(":")[0] for c, _ in CASES}) >= 19
    merged = WebhookEvents()
    for _, body in CASES:
        events = parse_webhook(body)
        merged.incoming += events.incoming
        merged.unsupported += events.unsupported
        merged.statuses += events.statuses
        merged.ignored.update(events.ignored)
    assert len(merged.incoming) == 13  # 5 texts, 3 media, 3 buttons, 2 list replies
    assert {u.type for u in merged.unsupported} >= {
        "sticker", "location", "contacts", "order", "audio", "video", "unsupported"
    }
    assert {s.status for s in merged.statuses} == {"sent", "delivered", "read", "failed"}
    assert merged.ignored["field:account_update"] == 17
    assert merged.ignored["message:reaction"] == 3


def test_sample_text_message() -> None:
    [msg] = parse_webhook(_sample("message:text")).incoming
    assert msg == Incoming(
        channel="whatsapp",
        user_id="972987654321",
        chat_id="972987654321",
        text="Body Text",
        display_name="Test Name",
        message_id="wamid.xyzxyz",
    )


def test_sample_reply_keeps_the_quoted_message() -> None:
    [msg] = parse_webhook(_sample("message:reply")).incoming
    assert msg.reply_to_message_id == "wamid.xyzxyz=="
    assert msg.text == "replied text"


def test_sample_template_quick_reply() -> None:
    [msg] = parse_webhook(_sample("callback_button:quick_reply")).incoming
    assert (msg.callback, msg.text, msg.callback_id) == ("callback_data", "title", "wamid.xsidjw")


def test_sample_list_reply_with_description() -> None:
    [msg] = parse_webhook(_sample("callback_selection:description")).incoming
    assert (msg.callback, msg.callback_id, msg.text) == ("callback_data", "wamid.zyzxyz", None)


def test_sample_document() -> None:
    [msg] = parse_webhook(_sample("message:document")).incoming
    assert msg.document is not None
    assert (msg.document.filename, msg.document.mime_type, msg.document.file_id) == (
        "filename.pdf", "application/pdf", "1234567890987654321"
    )
    assert msg.text == "caption"


def test_sample_failed_status() -> None:
    [status] = parse_webhook(_sample("message_status:failed")).statuses
    assert status == StatusEvent(
        wamid="wamid.xyzxyz",
        recipient="972987654321",
        status="failed",
        timestamp=datetime(2023, 7, 15, 0, 20, 58, tzinfo=UTC),
        errors=status.errors,
    )
    [error] = status.errors
    assert error.code == 130472
    assert error.title == "User's number is part of an experiment"
    assert "experiment" in error.details


def test_sample_unsupported_and_ignored() -> None:
    sticker = parse_webhook(_sample("message:static_sticker"))
    assert sticker.unsupported == [Unsupported("972987654321", "wamid.xyzxyz", "sticker")]
    assert sticker.incoming == []
    reaction = parse_webhook(_sample("message:reaction"))
    assert reaction.ignored == {"message:reaction": 1} and reaction.unsupported == []
    template = parse_webhook(_sample("template_status_update:approved"))
    assert template.ignored == {"field:message_template_status_update": 1}
    calls = parse_webhook(_sample("call_status:call_status"))
    assert calls.statuses == [] and calls.ignored == {"field:calls": 1}


# --- robustness ---------------------------------------------------------------------------


def test_malformed_items_are_counted_not_raised() -> None:
    body = text_body(WA_ID, "menu")
    value = body["entry"][0]["changes"][0]["value"]
    value["messages"].append({"type": "text", "text": {"body": "no sender"}})
    value["statuses"] = [{"id": "wamid.1", "status": "sent", "timestamp": "soon"}]
    events = parse_webhook(body)
    assert [i.text for i in events.incoming] == ["menu"]
    assert events.ignored == {"malformed": 2}
    assert parse_webhook({"object": "page", "entry": []}).ignored == {"object:page": 1}
    assert parse_webhook({"object": "whatsapp_business_account", "entry": "x"}).total == 0


def test_other_business_number_is_skipped() -> None:
    body = text_body(WA_ID, "menu", phone_number_id="111")
    assert parse_webhook(body, phone_number_id="111").incoming
    skipped = parse_webhook(body, phone_number_id="222")
    assert skipped.incoming == [] and skipped.ignored == {"other_number": 1}


def test_commands_without_slash_stay_text() -> None:
    events = parse_webhook(text_body(WA_ID, "jadwal"))
    assert [(i.text, i.callback) for i in events.incoming] == [("jadwal", None)]


def test_builders_match_the_parser() -> None:
    events = parse_webhook(button_reply_body(WA_ID, "sig.att:3:1", "Hadir"))
    assert [(i.callback, i.reply_to_message_id) for i in events.incoming] == [
        ("sig.att:3:1", "wamid.OUT000000000001")
    ]
    [row] = parse_webhook(list_reply_body(WA_ID, "d:2", "Rabu", "ASN Mengaji")).incoming
    assert row.callback == "d:2"
    [tpl] = parse_webhook(template_button_body(WA_ID, "sig.att:9", "Saya hadir")).incoming
    assert (tpl.callback, tpl.text) == ("sig.att:9", "Saya hadir")
    [doc] = parse_webhook(document_body(WA_ID, "77", "jadwal.xlsx", caption="Jadwal")).incoming
    assert doc.document is not None and doc.document.file_id == "77" and doc.text == "Jadwal"
    [img] = parse_webhook(image_body(WA_ID, "78")).incoming
    assert img.photo is not None and img.photo.file_id == "78" and img.text is None


def test_failed_status_maps_to_a_neutral_error() -> None:
    [status] = parse_webhook(status_body("wamid.OUT1", WA_ID, "failed", error_code=131026)).statuses
    assert isinstance(map_error(status.errors[0].graph_error()), Blocked)


# --- over HTTP: a minimal receiver like the one the bot mounts ----------------------------


@dataclass
class Receiver:
    url: str
    events: list[WebhookEvents] = field(default_factory=list)
    refused: int = 0


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver(url="")

    async def handle(request: web.Request) -> web.Response:
        raw = await request.read()
        if not verify_signature(SECRET, raw, request.headers.get(SIGNATURE_HEADER)):
            state.refused += 1
            return web.Response(status=401)
        state.events.append(parse_webhook(json.loads(raw)))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/webhooks/whatsapp", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.url = f"http://127.0.0.1:{runner.addresses[0][1]}/webhooks/whatsapp"
    try:
        yield state
    finally:
        await runner.cleanup()


async def test_post_signed_good_bad_missing(receiver: Receiver) -> None:
    body = text_body(WA_ID, "hadir")
    assert await post_signed(receiver.url, body, SECRET) == (200, "ok")
    assert (await post_signed(receiver.url, body, SECRET, signature="bad"))[0] == 401
    assert (await post_signed(receiver.url, body, SECRET, signature="missing"))[0] == 401
    assert receiver.refused == 2
    [events] = receiver.events
    assert [i.text for i in events.incoming] == ["hadir"]


async def test_every_sample_posted_signed_is_accepted(receiver: Receiver) -> None:
    for _, body in CASES:
        # As the samples' README suggests: address them to our number and sender.
        body = copy.deepcopy(body)
        for entry in body["entry"]:
            for change in entry["changes"]:
                metadata = change["value"].get("metadata")
                if metadata:
                    metadata["phone_number_id"] = "1122334455667"
        assert (await post_signed(receiver.url, body, SECRET))[0] == 200
    assert len(receiver.events) == len(CASES)
    assert sum(len(e.incoming) for e in receiver.events) == 13


async def test_fake_server_posts_status_webhooks(receiver: Receiver) -> None:
    async with FakeWhatsApp(app_secret=SECRET) as wa:
        async with WhatsAppClient(
            token=wa.token, phone_number_id=wa.phone_number_id, api_url=wa.api_url
        ) as client:
            wamid = await client.send_text(WA_ID, "Menu hari ini")
        assert await wa.post_status(receiver.url, wamid, "delivered") == 200
        assert await wa.post_status(receiver.url, wamid, "failed", error_code=131047) == 200
    delivered, failed = (e.statuses[0] for e in receiver.events)
    assert (delivered.wamid, delivered.recipient, delivered.status) == (wamid, WA_ID, "delivered")
    assert failed.status == "failed" and [e.code for e in failed.errors] == [131047]
