"""A person uses the bot on Telegram: registration, menu, schedule, profile, privacy."""

from __future__ import annotations

from sqlalchemy import select

from db.models import Person
from tests.e2e.conftest import TelegramBot

USER = 5001


async def test_register_then_menu_and_keyboard(telegram_bot: TelegramBot) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    commands = [c["command"] for c in tg.commands()]
    assert {"mulai", "menu", "jadwal", "profil", "berhenti", "hapusdata", "bantuan"} <= set(
        commands
    )
    assert "admin" not in commands  # admin commands are not advertised to everyone
    done = await bot.register(USER)
    assert "Pendaftaran selesai" in (done.text or "")
    keyboard = done.reply_markup or {}
    labels = [b for row in keyboard.get("keyboard", []) for b in row]
    assert "📅 Menu hari ini" in str(labels) and "👤 Profil" in str(labels)
    menu = await bot.say(USER, "📅 Menu hari ini")  # the keyboard button, as typed by Telegram
    assert "Senin, 23 November 2026" in (menu.text or "")
    assert "Forum ASN Berbagi Ilmu" in (menu.text or "")
    assert menu.parse_mode == "HTML"
    async with bot.rt.sessions() as s:
        person = (await s.execute(select(Person).where(Person.nip == "198507142010011003"))
                  ).scalar_one()
    assert person.full_name == "Budi Santoso" and person.region_code == "3515"
    assert person.tz == "WIB" and person.registered_at is not None


async def test_wrong_nips_are_explained(telegram_bot: TelegramBot) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    intro = await bot.say(USER, "/mulai")
    await bot.press(USER, intro, "✅ Saya setuju")
    await tg.next_message(USER)
    await bot.say(USER, "Siti Aminah")
    for nip, why in [
        ("1985071420100120", "18 digit"),
        ("198502302010012003", "tanggal lahir"),
        ("198507142010013003", "jenis kelamin"),
    ]:
        reply = await bot.say(USER, nip)
        assert why in (reply.text or ""), reply.text
    ok = await bot.say(USER, "198507142010012003")
    assert "instansi" in (ok.text or "")


async def test_interrupted_registration_resumes_and_batal_cancels(
    telegram_bot: TelegramBot,
) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    intro = await bot.say(USER, "/mulai")
    await bot.press(USER, intro, "✅ Saya setuju")
    await tg.next_message(USER)
    await bot.say(USER, "Siti Aminah")
    await bot.say(USER, "/menu")  # wanders off mid-way
    resumed = await bot.say(USER, "/mulai")
    assert "lanjutkan pendaftaran" in (resumed.text or "")
    assert "NIP" in ((await tg.next_message(USER)).text or "")
    cancelled = await bot.say(USER, "/batal")
    assert "dibatalkan" in (cancelled.text or "").lower()
    again = await bot.say(USER, "halo")
    # No longer inside the registration: the FAQ greets back instead of taking it as a NIP.
    assert "Ada yang bisa kami bantu" in (again.text or "") and "NIP" not in (again.text or "")


async def test_forged_and_stale_buttons_do_nothing(telegram_bot: TelegramBot) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    intro = await bot.say(USER, "/mulai")
    before = len(tg.callback_answers)
    tg.press(USER, intro, "AAAAAAAA.rgc:1", strict=False)  # forged signature
    await tg.wait_until(lambda: len(tg.callback_answers) > before)
    assert "tidak berlaku" in str(tg.callback_answers[-1].params.get("text"))
    # A real button pressed by another person is not theirs either (it arrives with a chat
    # that is not the presser's own).
    other = 5002
    await bot.say(other, "/mulai")
    data = intro.button("✅ Saya setuju")["callback_data"]
    before = len(tg.callback_answers)
    tg.press(other, intro, data, strict=False, chat_id=USER)
    await tg.wait_until(lambda: len(tg.callback_answers) > before)
    assert "chat pribadi" in str(tg.callback_answers[-1].params.get("text"))
    async with bot.rt.sessions() as s:
        consented = (await s.execute(select(Person).where(Person.consent_at.is_not(None)))).all()
    assert consented == []


async def test_long_message_html_name_group_and_bot_suffix(telegram_bot: TelegramBot) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    too_long = await bot.say(USER, "x" * 5000)
    assert "terlalu panjang" in (too_long.text or "")
    done = await bot.register(USER, name="Dr. Budi Santoso, S.Kom.")
    assert "Dr. Budi Santoso, S.Kom." in (done.text or "")
    suffixed = await bot.say(USER, "/menu@dahar_ngopi_bot")
    assert "Forum ASN Berbagi Ilmu" in (suffixed.text or "")
    group = -100123
    tg.group_message(group, USER, "/menu@dahar_ngopi_bot")
    redirect = await tg.next_message(group)
    assert "chat pribadi" in (redirect.text or "")
    tg.group_message(group, USER, "selamat pagi semua")
    schedule = await bot.say(USER, "/jadwal")  # the group chatter got no answer meanwhile
    assert "Jadwal ASN Dahar Ngopi minggu ini" in (schedule.text or "")
    assert len(tg.messages_to(group)) == 1


async def test_profile_edit_stop_and_erase(telegram_bot: TelegramBot) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    await bot.register(USER)
    profile = await bot.say(USER, "/profil")
    assert "198507142010011003" in (profile.text or "")
    await bot.press(USER, profile, "✏️ Ubah instansi / OPD")
    await tg.next_message(USER)
    updated = await bot.say(USER, "BKD & Diklat <Provinsi> Jawa Timur")
    assert "instansi / OPD dengan huruf" in (updated.text or "")  # no < or >
    updated = await bot.say(USER, "BKD & Diklat Provinsi Jawa Timur")
    assert "BKD &amp; Diklat Provinsi Jawa Timur" in (updated.text or "")  # escaped
    question = await bot.say(USER, "/stop")
    assert "Berhenti menerima" in (question.text or "")  # asked first
    await bot.press(USER, question, "Ya, berhenti")
    await tg.wait_until(lambda: "tidak akan menerima" in tg.message(
        USER, question.message_id).get("text", ""))
    ask = await bot.say(USER, "/hapusdata")
    assert "statistik anonim" in (ask.text or "")
    await bot.press(USER, ask, "🗑 Ya, hapus data saya")
    async with bot.rt.sessions() as s:
        person = (await s.execute(select(Person))).scalars().one()
    assert person.nip is None and person.full_name is None and person.erased_at is not None
    again = await bot.say(USER, "/profil")
    assert "belum terdaftar" in (again.text or "")


async def test_admin_commands_are_checked_in_one_place(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    refused = await bot.say(USER, "/admin tambah telegram:777")
    assert "hanya untuk admin" in (refused.text or "")
    owner = 9001
    # An id names its channel; a bare one (once guessed from its shape) is explained.
    bare = await bot.say(owner, "/admin tambah 5001")
    assert "Tulis ID beserta kanalnya" in (bare.text or "") and "telegram:ID" in (bare.text or "")
    wrong = await bot.say(owner, "/admin tambah telegram:abc")
    assert "ID Telegram tidak valid" in (wrong.text or "")
    added = await bot.say(owner, "/admin tambah telegram:5001")
    assert "kini admin" in (added.text or "")
    listed = await bot.say(USER, "/admin")  # now an admin: may list, not change
    assert "5001" in (listed.text or "")
    denied = await bot.say(USER, "/admin hapus telegram:5001")
    assert "hanya pemilik" in (denied.text or "")
    removed = await bot.say(owner, "/admin hapus telegram:5001")
    assert "bukan admin lagi" in (removed.text or "")
