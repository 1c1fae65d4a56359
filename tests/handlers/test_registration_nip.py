"""An unfinished registration never blocks a NIP: it is checked again when the registration
completes; an interrupted registration still resumes where it stopped."""

from __future__ import annotations

from sqlalchemy import select

from bot.runtime import Runtime
from db.models import Person
from tests.auxil.chat import Chat, text

NIP = "198507142010011003"
OTHER_NIP = "199001012015032004"


async def _up_to_the_nip(chat: Chat, name: str, nip: str) -> None:
    await chat.say("/mulai")
    await chat.press("✅ Saya setuju")
    await chat.say(name)
    asked = await chat.say(nip)
    assert "instansi" in text(asked)


async def _people(rt: Runtime) -> dict[str, Person]:
    async with rt.sessions() as s:
        return {p.full_name or "": p for p in (await s.execute(select(Person))).scalars()}


async def test_a_nip_typed_in_an_unfinished_registration_does_not_block_another(
    runtime: Runtime,
) -> None:
    slow = Chat(runtime, "7001")
    await _up_to_the_nip(slow, "Siti Aminah", NIP)  # then walks away for a while
    quick = Chat(runtime, "7002")
    await quick.register(name="Budi Santoso", nip=NIP)  # refused before: "sudah terdaftar"
    assert (await _people(runtime))["Budi Santoso"].nip == NIP
    # Siti comes back: /mulai resumes where she stopped.
    resumed = await slow.say("/mulai")
    assert "Kita lanjutkan pendaftaran" in text(resumed) and "instansi" in text(resumed)
    await slow.say("Dinas Kesehatan Kota Surabaya")
    await slow.say("surabaya")
    await slow.press("Kota Surabaya (Jawa Timur)")
    at_end = await slow.press("✅ WIB (disarankan)")
    assert "telah didaftarkan oleh akun lain" in text(at_end)
    assert "Pendaftaran selesai" not in text(at_end)
    siti = (await _people(runtime))["Siti Aminah"]
    assert siti.registered_at is None and siti.nip is None
    assert (siti.instansi, siti.region_code, siti.tz) == ("Dinas Kesehatan Kota Surabaya",
                                                          "3578", "WIB")
    done = await slow.say(OTHER_NIP)  # only the NIP again: the other fields are kept
    assert "Pendaftaran selesai" in text(done) and "Dinas Kesehatan Kota Surabaya" in text(done)
    siti = (await _people(runtime))["Siti Aminah"]
    assert siti.registered_at is not None and siti.nip == OTHER_NIP


async def test_the_nip_is_the_persons_once_nobody_took_it(runtime: Runtime) -> None:
    chat = Chat(runtime, "7001")
    await _up_to_the_nip(chat, "Siti Aminah", NIP)
    assert (await _people(runtime))["Siti Aminah"].nip is None  # held by the conversation
    await chat.say("/batal")
    other = Chat(runtime, "7002")
    await other.register(name="Budi Santoso", nip=NIP)  # a cancelled registration holds none
    for answer in ("/mulai", "Siti Aminah", OTHER_NIP, "Dinas Kesehatan", "surabaya"):
        await chat.say(answer)
    await chat.press("Kota Surabaya (Jawa Timur)")
    assert "Pendaftaran selesai" in text(await chat.press("✅ WIB (disarankan)"))
    people = await _people(runtime)
    assert people["Siti Aminah"].nip == OTHER_NIP and people["Budi Santoso"].nip == NIP
