"""The FAQ and ASN Bertanya, BPSDM Menjawab on WhatsApp, end to end over real HTTP."""

from __future__ import annotations

from datetime import timedelta

from core.clock import FixedClock
from tests.e2e.conftest import WA_ADMIN as ADMIN
from tests.e2e.whatsapp_bot import WhatsAppBot, choice, choices, texts
from tests.fakes.whatsapp_server import FakeWhatsApp
from tests.fakes.whatsapp_webhook import template_button_body, text_body

ASKER = "6281234567890"
OTHER = "6281298765432"






async def test_faq_answer_feedback_candidates_and_not_found(wa_bot: WhatsAppBot) -> None:
    bot = wa_bot
    await bot.register(ASKER)
    answer = await bot.say(ASKER, "cara join zoom nya gmn min??")
    assert "*Bagaimana cara ikut lewat Zoom?*" in texts(answer)
    assert [t for _, t in choices(answer)] == ["👍 Ya", "👎 Tidak"]
    thanks = await bot.press(ASKER, choice(answer, "👍"))
    assert texts(thanks) == "Terima kasih atas masukannya! 🙏"  # not the whole answer again
    offer = await bot.say(ASKER, "mau ikut caranya gmn")
    rows = offer[-1].payload["interactive"]["action"]["sections"][0]["rows"]
    # Row titles hold 24 characters: the whole question is the row's description.
    assert rows[0]["description"] == "Bagaimana cara mendaftar?"
    assert rows[-1]["title"] == "📨 Tanyakan ke BPSDM"
    unknown = await bot.say(ASKER, "cara bayar pbb online gimana")
    assert "belum menemukan jawaban" in texts(unknown)
    assert "Kirim ke BPSDM" in str(choices(unknown))


async def test_tanya_reply_relay_grouping_and_the_template_outside_the_window(
    wa_bot: WhatsAppBot, wa: FakeWhatsApp, clock: FixedClock
) -> None:
    bot = wa_bot
    wa.register_template("dahar_ngopi_jawaban", params=2, quick_replies=1)
    await bot.register(ASKER)
    await bot.register(OTHER, name="Budi Santoso", nip="198507142010011003")
    await bot.say(ADMIN, "halo")  # the admin's 24-hour window is open
    received = await bot.say(ASKER, "tanya Apakah ada sesi pada hari Sabtu?")
    assert "nomor *#1*" in texts(received)
    joined = await bot.say(OTHER, "tanya apakah ada sesi pada hari sabtu??")
    assert "#1" in texts(joined)
    # Not an admin: the bare word is no command (their own questions are shown), and with
    # the slash it is refused; nothing is answered.
    mine = await bot.say(OTHER, "jawab 1 Tidak ada.")
    assert "#1" in texts(mine) and "menunggu jawaban" in texts(mine)
    refused = await bot.say(OTHER, "/jawab 1 Tidak ada.")
    assert "hanya untuk admin" in texts(refused)
    (notice,) = await wa.wait_for(lambda m: m.to == ADMIN and "Pertanyaan #1" in m.body)
    assert "Dra. Siti Aminah — Dinas Pendidikan Kab. Sidoarjo" in notice.body
    # A day later the first asker's window has closed; the other wrote again meanwhile.
    clock.advance(timedelta(hours=25))
    await bot.say(OTHER, "halo")
    done = await bot.send(ADMIN, text_body(ADMIN, "Tidak ada; sesi hanya Senin sampai Jumat.",
                                           context_wamid=notice.wamid))
    assert "dikirim kepada 2 penanya" in texts(done)
    (template,) = await wa.wait_for(lambda m: m.to == ASKER and m.type == "template")
    assert template.payload["template"]["name"] == "dahar_ngopi_jawaban"
    assert template.body == ("Apakah ada sesi pada hari Sabtu? | "
                             "Tidak ada; sesi hanya Senin sampai Jumat.")
    (free,) = await wa.wait_for(lambda m: m.to == OTHER and "Jawaban BPSDM" in m.body)
    assert "apakah ada sesi pada hari sabtu??" in free.body
    # "Baca selengkapnya" on the template brings the whole answer as free text.
    buttons = template.payload["template"]["components"]
    payload = next(c for c in buttons if c["type"] == "button")["parameters"][0]["payload"]
    more = await bot.send(ASKER, template_button_body(ASKER, payload, "Baca selengkapnya",
                                                      context_wamid=template.wamid))
    assert "Jawaban BPSDM" in texts(more) and "hanya Senin sampai Jumat" in texts(more)
