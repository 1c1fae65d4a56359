"""Which messages are commands: the slash always; a bare command word where commands need no
slash, alone or with that command's own argument; a sentence that starts with one is not."""

from __future__ import annotations

import pytest

from bot.runtime import Runtime
from core.types import Incoming


def parse(rt: Runtime, text: str, channel: str = "whatsapp", *, admin: bool = False,
          in_step: bool = False) -> tuple[str, str] | None:
    inc = Incoming(channel, "1", "1", text=text)
    return rt.dispatcher.parse_command(inc, admin=admin, in_step=in_step)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("menu", ("menu", "")),
        ("Menu", ("menu", "")),
        ("menu besok", ("menu", "besok")),
        ("menu besok apa", None),
        ("hadir", ("hadir", "")),
        ("hadir BLJ7Q2", ("hadir", "BLJ7Q2")),
        ("hadir jam berapa ya", None),
        ("tanya Kapan sertifikat webinar terbit?", ("tanya", "Kapan sertifikat webinar terbit?")),
        ("tanya dong", None),  # under 10 characters: a sentence
        ("hubungkan 123456", ("hubungkan", "123456")),
        ("hubungkan 123-456", ("hubungkan", "123-456")),
        ("hubungkan akun saya gimana", None),
        ("jadwal minggu depan", ("jadwal", "minggu depan")),
        ("jadwal besok apa", None),
        ("pengingat menu off", ("pengingat", "menu off")),
        ("pengingat bisukan rabu", ("pengingat", "bisukan rabu")),
        ("pengingat saya kok mati", None),
        ("profil saya", None),
        ("rekap absen saya", None),
        ("mulai jam berapa acaranya?", None),
        ("berhenti", ("berhenti", "")),
        ("Berhenti sejenak saat kerja itu penting ya, ada sesi soal itu?", None),
        ("bantuan", ("bantuan", "")),
        ("/menu besok", ("menu", "besok")),  # with the slash, always the command
        ("/jp saya berapa", ("jp", "saya berapa")),
        ("📅 Menu hari ini", ("menu", "")),  # a keyboard label
    ],
)
def test_a_person_s_words(runtime: Runtime, text: str, expected: tuple[str, str] | None) -> None:
    assert parse(runtime, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jp", ("jp", "")),
        ("jp 2026", ("jp", "2026")),
        ("jp 2026 csv", ("jp", "2026 csv")),
        ("jp saya berapa", None),
        ("statistik", ("statistik", "")),
        ("statistik 12", ("statistik", "12")),
        ("statistik FBI-2026-11-23", ("statistik", "FBI-2026-11-23")),
        ("statistik kehadiran saya", None),
        ("jawab 12 Sertifikat terbit Senin.", ("jawab", "12 Sertifikat terbit Senin.")),
        ("jawab dong min", None),
        ("koreksi tambah 198507142010012003 FBI1 hadir via Zoom",
         ("koreksi", "tambah 198507142010012003 FBI1 hadir via Zoom")),
        ("koreksi data saya salah", None),
        ("admin tambah whatsapp:6281234567890", ("admin", "tambah whatsapp:6281234567890")),
        ("admin bpsdm nomornya berapa?", None),
        ("pertanyaan", ("pertanyaan", "")),
        ("pertanyaan saya belum dijawab", None),
        ("pengumuman", ("pengumuman", "")),
        ("Pengumuman terbaru apa?", None),
        ("ekspor csv 2026-11", ("ekspor", "csv 2026-11")),
        ("ekspor data saya", None),
        ("faq lihat rekap", ("faq", "lihat rekap")),
        ("faq itu apa", None),
    ],
)
def test_an_admin_s_words(runtime: Runtime, text: str, expected: tuple[str, str] | None) -> None:
    assert parse(runtime, text, admin=True) == expected


def test_bare_admin_words_are_no_commands_for_others(runtime: Runtime) -> None:
    for word in ("jp", "statistik", "pertanyaan", "pengumuman", "jawab 1 Tidak ada.", "admin"):
        assert parse(runtime, word) is None, word
    assert parse(runtime, "/pertanyaan") == ("pertanyaan", "")  # refused later, politely


def test_inside_a_step_only_the_word_alone_is_a_command(runtime: Runtime) -> None:
    assert parse(runtime, "menu", in_step=True) == ("menu", "")
    assert parse(runtime, "hadir 1234", in_step=True) is None
    assert parse(runtime, "pertanyaan saya soal sertifikat", admin=True, in_step=True) is None
    assert parse(runtime, "/batal", in_step=True) == ("batal", "")


def test_channels_that_need_a_slash_take_no_bare_words(runtime: Runtime) -> None:
    assert parse(runtime, "menu", channel="telegram") is None
    assert parse(runtime, "/menu", channel="telegram") == ("menu", "")
    assert parse(runtime, "menu", channel="console") == ("menu", "")  # the terminal: no slash
