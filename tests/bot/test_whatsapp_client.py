"""The real WhatsApp client against the fake Cloud API: each send kind and each error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.delivery import (
    Blocked,
    OutsideWindow,
    PermanentFailure,
    RateLimited,
    TransientFailure,
)
from bot.whatsapp import messages as m
from bot.whatsapp.client import WhatsAppClient
from bot.whatsapp.errors import GraphError, PairRateLimited, map_error
from bot.whatsapp.sender import TemplateMessage, WhatsAppSender
from core.types import Attachment, Button, Reply, TemplateRef
from tests.fakes.whatsapp_server import FakeWhatsApp

TO = "6281234567890"


@pytest.fixture
async def wa() -> AsyncIterator[FakeWhatsApp]:
    async with FakeWhatsApp() as fake:
        yield fake


@pytest.fixture
async def client(wa: FakeWhatsApp) -> AsyncIterator[WhatsAppClient]:
    async with WhatsAppClient(
        token=wa.token, phone_number_id=wa.phone_number_id, api_url=wa.api_url, timeout=2.0
    ) as c:
        yield c


async def test_send_text_returns_wamid_and_sends_real_shape(
    wa: FakeWhatsApp, client: WhatsAppClient
) -> None:
    wamid = await client.send_text(TO, "Selamat pagi, *Bapak/Ibu*", preview_url=True)
    [sent] = wa.messages_to(TO)
    assert wamid == sent.wamid and wamid.startswith("wamid.")
    assert sent.payload == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": TO,
        "type": "text",
        "text": {"body": "Selamat pagi, *Bapak/Ibu*", "preview_url": True},
    }


async def test_reply_to_adds_context(wa: FakeWhatsApp, client: WhatsAppClient) -> None:
    await client.send_text(TO, "Baik", reply_to="wamid.IN1")
    assert wa.sent[0].payload["context"] == {"message_id": "wamid.IN1"}


async def test_send_buttons(wa: FakeWhatsApp, client: WhatsAppClient) -> None:
    await client.send_buttons(
        TO,
        "Apakah Bapak/Ibu hadir?",
        [m.ReplyButton("att:1", "Hadir"), m.ReplyButton("att:0", "Tidak hadir")],
        footer="ASN Dahar Ngopi",
    )
    [sent] = wa.sent
    assert sent.type == "interactive"
    assert sent.choices == [("att:1", "Hadir"), ("att:0", "Tidak hadir")]
    assert sent.payload["interactive"]["footer"] == {"text": "ASN Dahar Ngopi"}


async def test_send_list(wa: FakeWhatsApp, client: WhatsAppClient) -> None:
    rows = [m.ListRow(f"day:{i}", f"Hari {i}", "deskripsi") for i in range(10)]
    await client.send_list(TO, "Pilih hari:", "Lihat pilihan", [m.ListSection(rows, "Pekan ini")])
    [sent] = wa.sent
    assert [c[0] for c in sent.choices] == [f"day:{i}" for i in range(10)]
    assert sent.payload["interactive"]["action"]["button"] == "Lihat pilihan"


async def test_send_template_with_params_and_quick_reply(
    wa: FakeWhatsApp, client: WhatsAppClient
) -> None:
    wa.register_template("dahar_ngopi_presensi", params=1, quick_replies=1)
    await client.send_template(
        TO, "dahar_ngopi_presensi", "id", ["ASN Belajar:\nManajemen   Risiko"],
        quick_replies=["sig.att:12"],
    )
    [sent] = wa.sent
    template = sent.payload["template"]
    assert template["name"] == "dahar_ngopi_presensi"
    assert template["language"] == {"code": "id"}
    # New lines are not allowed in parameters: the client flattens them.
    assert sent.body == "ASN Belajar: Manajemen   Risiko"
    assert template["components"][1] == {
        "type": "button",
        "sub_type": "quick_reply",
        "index": "0",
        "parameters": [{"type": "payload", "payload": "sig.att:12"}],
    }


async def test_template_with_wrong_parameter_count_is_permanent(
    wa: FakeWhatsApp, client: WhatsAppClient
) -> None:
    wa.register_template("dahar_ngopi_menu", params=5)
    with pytest.raises(PermanentFailure) as info:
        await client.send_template(TO, "dahar_ngopi_menu", "id", ["a", "b"])
    assert isinstance(info.value.__cause__, GraphError)
    assert info.value.__cause__.code == 132000


async def test_upload_then_send_document_and_image(
    wa: FakeWhatsApp, client: WhatsAppClient
) -> None:
    media_id = await client.upload_media(b"%PDF-1.4 rekap", "application/pdf", "rekap.pdf")
    upload = wa.uploads[media_id]
    assert (upload.data, upload.mime_type, upload.filename) == (
        b"%PDF-1.4 rekap", "application/pdf", "rekap.pdf"
    )
    await client.send_document(TO, media_id=media_id, caption="Rekap JP", filename="rekap.pdf")
    await client.send_image(TO, link="https://example.org/poster.png", caption="Poster")
    doc, img = wa.sent
    assert doc.payload["document"] == {
        "id": media_id, "caption": "Rekap JP", "filename": "rekap.pdf"
    }
    assert img.payload["image"] == {"link": "https://example.org/poster.png", "caption": "Poster"}


async def test_upload_of_unsupported_type_is_refused(client: WhatsAppClient) -> None:
    with pytest.raises(PermanentFailure, match="types"):
        await client.upload_media(b"MZ", "application/x-msdownload", "virus.exe")


async def test_download_media(wa: FakeWhatsApp, client: WhatsAppClient) -> None:
    wa.add_media("555", b"xlsx-bytes", "application/vnd.ms-excel", "jadwal.xls")
    data, mime = await client.download_media("555")
    assert data == b"xlsx-bytes"
    assert mime == "application/vnd.ms-excel"
    with pytest.raises(PermanentFailure):
        await client.download_media("404")


async def test_mark_read(wa: FakeWhatsApp, client: WhatsAppClient) -> None:
    await client.mark_read("wamid.IN42")
    assert wa.read_marks == ["wamid.IN42"]


async def test_limits_are_checked_before_sending(wa: FakeWhatsApp, client: WhatsAppClient) -> None:
    with pytest.raises(ValueError, match="20"):
        await client.send_buttons(TO, "x", [m.ReplyButton("a", "Judul tombol terlalu panjang")])
    with pytest.raises(ValueError, match="1 to 3"):
        await client.send_buttons(TO, "x", [m.ReplyButton(str(i), str(i)) for i in range(4)])
    assert wa.requests == 0


async def test_fake_refuses_what_meta_refuses(wa: FakeWhatsApp, client: WhatsAppClient) -> None:
    # Bypass the builders to prove the fake validates on its own, with code 100.
    too_long = {"type": "interactive", "interactive": {
        "type": "button", "body": {"text": "x" * 1025},
        "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "A"}}]},
    }}
    for bad in (too_long, {"type": "text", "text": {"body": ""}}, {"type": "fax", "fax": {}}):
        with pytest.raises(PermanentFailure) as info:
            await client.send(TO, bad)
        assert isinstance(info.value.__cause__, GraphError)
        assert info.value.__cause__.code == 100
        assert info.value.__cause__.http_status == 400
    with pytest.raises(PermanentFailure):
        await client.send("not-a-number", m.text_message("x"))
    assert wa.sent == []


@pytest.mark.parametrize(
    ("code", "http_status", "error"),
    [
        (131047, None, OutsideWindow),
        (130429, None, RateLimited),
        (131056, None, PairRateLimited),
        (4, 429, RateLimited),
        (131026, None, Blocked),
        (131000, None, TransientFailure),
        (1, 503, TransientFailure),
        (132001, None, PermanentFailure),
        (190, None, PermanentFailure),
    ],
)
async def test_graph_errors_map_to_neutral_errors(
    wa: FakeWhatsApp,
    client: WhatsAppClient,
    code: int,
    http_status: int | None,
    error: type[Exception],
) -> None:
    wa.fail_next(code, to=TO, http_status=http_status)
    with pytest.raises(error) as info:
        await client.send_text(TO, "Halo")
    assert type(info.value) is error
    cause = info.value.__cause__
    assert isinstance(cause, GraphError)
    assert cause.code == code
    assert cause.fbtrace_id.startswith("AFake")
    # The failure was used up: the next send goes through.
    await client.send_text(TO, "Halo lagi")
    assert [s.body for s in wa.messages_to(TO)] == ["Halo lagi"]


async def test_retry_after_choices(wa: FakeWhatsApp, client: WhatsAppClient) -> None:
    wa.fail_next(130429)
    with pytest.raises(RateLimited) as throughput:
        await client.send_text(TO, "x")
    assert throughput.value.retry_after == 2.0
    wa.fail_next(131056, to=TO)
    with pytest.raises(PairRateLimited) as pair:
        await client.send_text(TO, "x")
    assert pair.value.retry_after == client.pair_interval == 6.0
    assert pair.value.recipient == TO
    wa.fail_next(4, http_status=429, retry_after=17)
    with pytest.raises(RateLimited) as header:
        await client.send_text(TO, "x")
    assert header.value.retry_after == 17.0


async def test_failure_for_another_number_does_not_hit_this_one(
    wa: FakeWhatsApp, client: WhatsAppClient
) -> None:
    wa.fail_next(131026, to="6289999999999")
    await client.send_text(TO, "x")
    with pytest.raises(Blocked):
        await client.send_text("6289999999999", "x")


async def test_bad_token_is_permanent_and_never_logged(
    wa: FakeWhatsApp, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "EAAG-very-secret-token"
    async with WhatsAppClient(
        token=secret, phone_number_id=wa.phone_number_id, api_url=wa.api_url
    ) as bad:
        with pytest.raises(PermanentFailure) as info:
            await bad.send_text(TO, "x")
        assert secret not in repr(bad)
    assert isinstance(info.value.__cause__, GraphError)
    assert info.value.__cause__.code == 190
    assert info.value.__cause__.http_status == 401
    assert "WHATSAPP_ACCESS_TOKEN" in caplog.text
    assert secret not in caplog.text
    assert secret not in str(info.value)


async def test_wrong_phone_number_id_is_permanent(wa: FakeWhatsApp) -> None:
    async with WhatsAppClient(token=wa.token, phone_number_id="999", api_url=wa.api_url) as c:
        with pytest.raises(PermanentFailure) as info:
            await c.send_text(TO, "x")
    assert isinstance(info.value.__cause__, GraphError)
    assert (info.value.__cause__.code, info.value.__cause__.subcode) == (100, 33)


async def test_timeout_is_transient(wa: FakeWhatsApp) -> None:
    wa.stall_next(0.4)
    async with WhatsAppClient(
        token=wa.token, phone_number_id=wa.phone_number_id, api_url=wa.api_url, timeout=0.1
    ) as c:
        with pytest.raises(TransientFailure):
            await c.send_text(TO, "x")


async def test_connection_refused_is_transient() -> None:
    async with WhatsAppClient(
        token="t", phone_number_id="1", api_url="http://127.0.0.1:9/v23.0", timeout=2.0
    ) as c:
        with pytest.raises(TransientFailure):
            await c.send_text(TO, "x")


async def test_concurrent_sends_share_one_session(wa: FakeWhatsApp, client: WhatsAppClient) -> None:
    numbers = [f"62812000000{i:02d}" for i in range(40)]
    ids = await asyncio.gather(*(client.send_text(n, "Menu hari ini") for n in numbers))
    assert len(set(ids)) == 40
    assert sorted(s.to for s in wa.sent) == sorted(numbers)


# --- the Sender on top of client + render -------------------------------------------------


async def test_sender_delivers_a_reply_with_buttons(
    wa: FakeWhatsApp, client: WhatsAppClient
) -> None:
    sender = WhatsAppSender(client)
    reply = Reply("<b>ASN Belajar</b> pukul 09.00 WIB", buttons=[[Button("Hadir", "sig.att:1")]])
    wamid = await sender.deliver(TO, reply)
    [sent] = await wa.wait_for(lambda s: s.to == TO)
    assert wamid == sent.wamid
    assert sent.body == "*ASN Belajar* pukul 09.00 WIB"
    assert sent.choices == [("sig.att:1", "Hadir")]
    assert sender.channel == "whatsapp"


async def test_sender_uploads_a_document_once_for_many_people(
    wa: FakeWhatsApp, client: WhatsAppClient
) -> None:
    sender = WhatsAppSender(client)
    reply = Reply("Rekap kehadiran", document=Attachment("rekap.pdf", "application/pdf",
                                                          content=b"%PDF rekap"))
    await asyncio.gather(*(sender.deliver(f"6281200000{i:03d}", reply) for i in range(5)))
    assert len(wa.uploads) == 1
    [media_id] = wa.uploads
    assert {s.payload["document"]["id"] for s in wa.sent} == {media_id}
    assert wa.sent[0].payload["document"]["caption"] == "Rekap kehadiran"


async def test_sender_sends_a_file_from_disk_and_by_link(
    wa: FakeWhatsApp, client: WhatsAppClient, tmp_path: Path
) -> None:
    path = tmp_path / "jadwal.csv"
    path.write_bytes(b"tanggal,sesi\n")
    sender = WhatsAppSender(client)
    await sender.deliver(TO, Reply(document=Attachment(str(path), "text/csv")))
    await sender.deliver(TO, Reply(photo=Attachment("p.png", file_id="https://x.test/p.png")))
    doc, img = wa.sent
    assert doc.payload["document"]["filename"] == "jadwal.csv"
    assert wa.uploads[doc.payload["document"]["id"]].data == b"tanggal,sesi\n"
    assert img.payload["image"] == {"link": "https://x.test/p.png"}
    with pytest.raises(PermanentFailure):
        await sender.deliver(TO, Reply(document=Attachment("/nonexistent/file.pdf")))


async def test_sender_falls_back_to_a_template_outside_the_window(
    wa: FakeWhatsApp, client: WhatsAppClient
) -> None:
    wa.window_closed(TO)

    def fallback(chat_id: str, reply: Reply) -> TemplateMessage | None:
        if reply.template is None or reply.template.kind != "reminder":
            return None
        return TemplateMessage("dahar_ngopi_pengingat", ["ASN Belajar", "09.00 WIB", "https://z"])

    sender = WhatsAppSender(client, template_language="id", fallback=fallback)
    wamid = await sender.deliver(TO, Reply("Pengingat", template=TemplateRef("reminder")))
    [sent] = wa.messages_to(TO)
    assert sent.type == "template" and sent.wamid == wamid
    assert sent.payload["template"]["language"] == {"code": "id"}
    with pytest.raises(OutsideWindow):
        await sender.deliver(TO, Reply("Jawaban biasa"))
    wa.window_open(TO)
    await sender.deliver(TO, Reply("Jawaban biasa"))
    assert wa.messages_to(TO)[-1].body == "Jawaban biasa"


async def test_sender_sends_nothing_for_an_empty_reply(
    wa: FakeWhatsApp, client: WhatsAppClient
) -> None:
    assert await WhatsAppSender(client).deliver(TO, Reply()) is None
    assert wa.requests == 0


async def test_rate_paces_sends(wa: FakeWhatsApp) -> None:
    loop = asyncio.get_running_loop()
    async with WhatsAppClient(
        token=wa.token, phone_number_id=wa.phone_number_id, api_url=wa.api_url, rate=50
    ) as c:
        started = loop.time()
        await asyncio.gather(*(c.send_text(f"62812000001{i:02d}", "x") for i in range(60)))
        elapsed = loop.time() - started
    # A burst of 50 goes at once; the other 10 wait for the bucket at 50 per second.
    assert elapsed >= 0.15
    assert len(wa.sent) == 60


@pytest.mark.parametrize(
    ("code", "http_status", "error", "retry_after"),
    [
        (470, 400, OutsideWindow, None),
        (131048, 400, RateLimited, 60.0),
        (80007, 400, RateLimited, 60.0),
        (None, 429, RateLimited, 5.0),
        (10, 403, PermanentFailure, None),
        (131016, 503, TransientFailure, None),
        (None, 502, TransientFailure, None),
        (131030, 400, PermanentFailure, None),
        (131026, 0, Blocked, None),  # from a failed status webhook
    ],
)
def test_map_error_table(
    code: int | None, http_status: int, error: type[Exception], retry_after: float | None
) -> None:


    mapped = map_error(GraphError(http_status=http_status, code=code, message="m"))
    assert type(mapped) is error
    if retry_after is not None:
        assert isinstance(mapped, RateLimited) and mapped.retry_after == retry_after


def test_graph_error_from_any_body() -> None:
    err = GraphError.from_body(
        400,
        {"error": {"message": "(#131047) Re-engagement message", "type": "OAuthException",
                   "code": 131047, "error_subcode": "2494010",
                   "error_data": {"messaging_product": "whatsapp", "details": "24 hours"},
                   "fbtrace_id": "Az8"}},
    )
    assert (err.code, err.subcode, err.details) == (131047, 2494010, "24 hours")
    assert str(err) == (
        "WhatsApp code 131047/2494010: (#131047) Re-engagement message (24 hours) [fbtrace Az8]"
    )
    html = GraphError.from_body(502, "<html>Bad gateway</html>")
    assert (html.code, html.http_status, html.message) == (None, 502, "<html>Bad gateway</html>")
