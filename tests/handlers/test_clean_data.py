"""Clean data at registration and in /profil: names, instansi, the NIP's TMT, the time zone."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update

from bot.runtime import Runtime
from db.models import Person
from db.regions import load_regions, titled
from handlers.nip import NipError, parse_nip
from handlers.profile_fields import check_instansi, check_name
from tests.auxil.chat import Chat, buttons, text

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    "name",
    ["Dr. Sri Wahyuni, S.Kom., M.M.", "Ni Luh Putu Ayu", "Ma'ruf Amin", "Siti Nur-Aini",
     "Dra. Hj. R.A. Kartini, M.Si.", "I Gusti Ngurah Rai (Gusti)"],
)
def test_names_with_degrees_and_marks_are_accepted(name: str) -> None:
    assert check_name(name) is None


@pytest.mark.parametrize(
    "name",
    ["😀 🙏", "<b>Sri</b> & <i>Wahyuni</i> <script>", "Sri <Wahyuni>", "12345", "A.",
     "Budi 2", "x" * 121, "...", "Sri & Wahyuni"],
)
def test_names_without_letters_or_with_markup_are_refused(name: str) -> None:
    assert check_name(name) is not None


def test_instansi_may_not_be_only_digits() -> None:
    assert check_instansi("198507142010012003") is not None
    assert check_instansi("Dinas <b>Pendidikan</b>") is not None
    assert check_instansi("BKD & Diklat Kab. Sidoarjo") is None
    assert check_instansi("UPT SMAN 1 Surabaya") is None


def test_the_tmt_may_not_be_in_the_future_nor_before_eighteen() -> None:
    with pytest.raises(NipError, match="belum terjadi"):
        parse_nip("198507142030012003", TODAY)  # appointed in January 2030
    with pytest.raises(NipError, match="sebelum usia 18 tahun"):
        parse_nip("198507142003062003", TODAY)  # June 2003: not yet 18 (born July 1985)
    assert parse_nip("198507142003072003", TODAY) == "198507142003072003"  # the month of 18
    assert parse_nip("198507142026112003", TODAY) == "198507142026112003"  # this month


def test_region_names_keep_their_capitals() -> None:
    regions = load_regions()
    jakarta = regions.get("3101")
    assert jakarta is not None and jakarta.label == "Kab. Kepulauan Seribu (DKI Jakarta)"
    jogja = regions.get("3471")
    assert jogja is not None and jogja.label == "Kota Yogyakarta (DI Yogyakarta)"
    assert titled("KABUPATEN PANGKAJENE DAN KEPULAUAN") == "Kabupaten Pangkajene dan Kepulauan"
    assert titled("KOTA B A T A M") == "Kota Batam"


async def _to_name_step(chat: Chat) -> None:
    await chat.say("/mulai")
    await chat.press("✅ Saya setuju")


async def test_registration_refuses_and_explains(runtime: Runtime) -> None:
    chat = Chat(runtime, "5001")
    await _to_name_step(chat)
    for bad in ("😀 🙏", "<b>Sri</b> & <i>Wahyuni</i> <script>"):
        out = text(await chat.say(bad))
        assert "nama lengkap dengan huruf" in out and "Dr. Sri Wahyuni, S.Kom., M.M." in out
    assert "NIP" in text(await chat.say("Dr. Sri Wahyuni, S.Kom., M.M."))
    future = text(await chat.say("198507142030012003"))
    assert "TMT CPNS pada NIP (Januari 2030) belum terjadi" in future
    assert "instansi" in text(await chat.say("198507142010012003"))
    digits = text(await chat.say("198507142010012003"))
    assert "instansi / OPD dengan huruf" in digits
    assert "kabupaten/kota" in text(await chat.say("Dinas Kominfo Kota Malang"))


async def test_the_zone_of_the_kabupaten_comes_first_and_a_mismatch_is_asked_once(
    runtime: Runtime,
) -> None:
    chat = Chat(runtime, "5001")
    await _to_name_step(chat)
    for answer in ("Sri Wahyuni", "198507142010012003", "Dinas Kominfo Kota Malang"):
        await chat.say(answer)
    await chat.say("kota malang")
    zones = await chat.press("Kota Malang (Jawa Timur)")
    assert buttons(zones) == ["✅ WIB (disarankan)", "WITA (UTC+8)", "WIT (UTC+9)"]
    assert "Untuk Kota Malang disarankan <b>WIB</b>" in text(zones)
    asked = await chat.press("WITA (UTC+8)")
    assert "Kota Malang biasanya memakai <b>WIB</b>" in text(asked)
    assert buttons(asked) == ["Ya, pakai WITA", "Pakai WIB"]
    done = await chat.press("Ya, pakai WITA")
    assert "Pendaftaran selesai" in text(done) and "Zona waktu: WITA" in text(done)
    # Typed rather than pressed: asked once, then the second answer stands.
    profile = await chat.say("/profil")
    await chat.press("✏️ Ubah zona waktu", profile)
    assert "biasanya memakai" in text(await chat.say("wit"))
    assert "Zona waktu: WIT" in text(await chat.say("WIT"))


async def test_a_papua_office_gets_wit_first(runtime: Runtime) -> None:
    chat = Chat(runtime, "5001")
    await _to_name_step(chat)
    for answer in ("Yohanes Kambuaya", "lewati", "Dinas Kesehatan Kota Jayapura"):
        await chat.say(answer)
    await chat.say("jayapura")
    zones = await chat.press("Kota Jayapura (Papua)")
    assert buttons(zones)[0] == "✅ WIT (disarankan)"
    assert "Pendaftaran selesai" in text(await chat.press("✅ WIT (disarankan)"))


async def test_old_records_stay_and_profil_offers_to_fix_them(runtime: Runtime) -> None:
    chat = Chat(runtime, "5001")
    await chat.register()
    async with runtime.sessions() as s, s.begin():
        await s.execute(update(Person).values(
            full_name="<b>Sri</b> & <i>Wahyuni</i>", instansi="198507142010012003",
            nip="198507142030012003"))
    profile = await chat.say("/profil")
    out = text(profile)
    assert "&lt;b&gt;Sri&lt;/b&gt;" in out  # kept, and shown escaped
    assert "⚠️ <b>Mohon diperbaiki</b>" in out
    assert "nama memuat tanda" in out and "instansi / OPD tanpa huruf" in out
    assert "belum terjadi" in out
    assert buttons(profile)[:3] == ["✏️ Ubah nama", "✏️ Ubah NIP", "✏️ Ubah instansi / OPD"]
    await chat.press("✏️ Ubah nama", profile)
    fixed = text(await chat.say("Sri Wahyuni, S.Kom."))
    assert "Data diperbarui" in fixed
    assert "nama memuat tanda" not in text(await chat.say("/profil"))
