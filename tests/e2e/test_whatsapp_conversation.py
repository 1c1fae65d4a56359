"""A person uses the bot on WhatsApp, over real HTTP: the same handlers as on Telegram."""

from __future__ import annotations

import aiohttp

from tests.e2e.whatsapp_bot import VERIFY_TOKEN, WhatsAppBot, choice, texts

WA_ID = "6281234567890"




async def test_handshake_echoes_the_challenge_only_with_our_token(bot: WhatsAppBot) -> None:
    async with aiohttp.ClientSession() as http:
        params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                  "hub.challenge": "1158201444"}
        async with http.get(bot.webhook_url, params=params) as resp:
            assert resp.status == 200
            assert await resp.text() == "1158201444"
        params["hub.verify_token"] = "guessed"
        async with http.get(bot.webhook_url, params=params) as resp:
            assert resp.status == 403
        async with http.get(bot.base_url + "/healthz") as resp:
            assert resp.status == 200
            assert (await resp.json())["webhooks"] == ["whatsapp"]


async def test_registration_with_buttons_and_a_list(bot: WhatsAppBot) -> None:
    intro = await bot.say(WA_ID, "mulai", name="Siti")
    assert "UU No. 27 Tahun 2022" in texts(intro)
    assert intro[-1].type == "interactive"
    assert [t for _, t in intro[-1].choices] == ["✅ Saya setuju", "Tidak"]
    asked = await bot.press(WA_ID, choice(intro, "Saya setuju"))
    assert "nama lengkap" in texts(asked)
    nip = await bot.say(WA_ID, "Dra. Siti Aminah, M.Si.")
    assert "NIP" in texts(nip)
    assert "*NIP*" in texts(nip)  # <b> became WhatsApp bold
    assert "instansi" in texts(await bot.say(WA_ID, "198507142010012003"))
    assert "kabupaten/kota" in texts(await bot.say(WA_ID, "Dinas Pendidikan Kab. Sidoarjo"))
    regions = await bot.say(WA_ID, "malang")
    # Five results: more than three buttons become a list message.
    assert regions[-1].payload["interactive"]["type"] == "list"
    titles = [t for _, t in regions[-1].choices]
    assert "Kab. Malang (Jawa Timur)" in titles and len(titles) == 5
    zones = await bot.pick(WA_ID, choice(regions, "Kab. Malang"))
    assert "Kab. Malang" in texts(zones) and "zona waktu" in texts(zones)
    done = texts(await bot.press(WA_ID, choice(zones, "WIB")))
    assert "Pendaftaran selesai" in done and "Kab. Malang" in done

    menu = texts(await bot.say(WA_ID, "menu"))
    assert "Senin, 23 November 2026" in menu and "Forum ASN Berbagi Ilmu" in menu
    week = texts(await bot.say(WA_ID, "Jadwal"))
    assert "Jadwal ASN Dahar Ngopi minggu ini" in week and "Jumat" in week
    profile = await bot.say(WA_ID, "/profil")  # with a slash works too
    assert "Dra. Siti Aminah, M.Si." in texts(profile)
    edit = await bot.pick(WA_ID, choice(profile, "Ubah instansi"))
    assert "instansi / OPD" in texts(edit)
    updated = texts(await bot.say(WA_ID, "BPSDM Provinsi Jawa Timur"))
    assert "Data diperbarui" in updated and "BPSDM Provinsi Jawa Timur" in updated


async def test_commands_without_slash_and_help(bot: WhatsAppBot) -> None:
    help_text = texts(await bot.say(WA_ID, "bantuan"))
    assert "menu — Menu Dahar Ngopi hari ini" in help_text
    assert "/menu" not in help_text  # WhatsApp people type the bare word
    assert "Bapak/Ibu belum terdaftar" in texts(await bot.say(WA_ID, "profil"))


async def test_unsupported_message_is_answered_politely(bot: WhatsAppBot) -> None:
    from tests.fakes.whatsapp_webhook import envelope

    sticker = envelope({
        "contacts": [{"profile": {"name": "Budi"}, "wa_id": WA_ID}],
        "messages": [{"from": WA_ID, "id": "wamid.STICKER1", "timestamp": "1764000000",
                      "type": "sticker", "sticker": {"id": "555", "mime_type": "image/webp"}}],
    })
    sent = texts(await bot.send(WA_ID, sticker))
    assert "pesan berupa stiker belum dapat kami proses" in sent


async def test_template_quick_replies_without_a_payload_are_typed_commands(
    bot: WhatsAppBot,
) -> None:
    from tests.fakes.whatsapp_webhook import template_button_body

    await bot.register(WA_ID)
    menu = texts(await bot.send(WA_ID, template_button_body(WA_ID, "Menu", "Menu")))
    assert "Senin, 23 November 2026" in menu
    # A payload that is not our signed data is a stale button, not a command.
    stale = texts(await bot.send(WA_ID, template_button_body(WA_ID, "menu:x", "Menu")))
    assert "tidak berlaku" in stale
