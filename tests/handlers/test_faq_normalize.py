"""FAQ normalisation: slang, stretched letters, punctuation, affixes."""

from __future__ import annotations

import pytest

from handlers.faq_normalize import normalize, squeeze, stem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gmn cara daftar yg bener", "bagaimana cara daftar yang benar"),
        ("sy tdk bs ikut krn blm dpt link", "saya tidak bisa ikut karena belum dapat link"),
        ("kpn acaranya, dmn linknya", "kapan acara mana link"),
        ("udh absen tp ga tercatat", "sudah hadir tetapi tidak catat"),
        ("brp jp utk 1 sesi", "berapa jp untuk 1 sesi"),
        ("knp hrs isi nip", "kenapa hrs isi nip"),
        ("minta e-sertif", "minta sertifikat"),
        ("nonton di yt aja", "tonton di youtube saja"),
    ],
)
def test_chat_abbreviations_expand(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize("word", ["ga", "gak", "gk", "nggak", "enggak", "ngga", "tdk", "ora"])
def test_every_spelling_of_no_is_tidak(word: str) -> None:
    assert normalize(f"bisa {word}") == "bisa tidak"


def test_javanese_flavoured_questions() -> None:
    assert normalize("carane daftar piye") == "cara daftar bagaimana"
    assert normalize("aku iso melu ora") == "saya bisa ikut tidak"
    assert normalize("kodene diumumke neng endi") == "kode umum di mana"
    assert normalize("mbayar piro") == "bayar berapa"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("bisaaa", "bisa"),
        ("kapannnn", "kapan"),
        ("linkk", "link"),
        ("zoooom", "zoom"),
        ("maaaf", "maaf"),  # a real double letter is kept at two
        ("maaf", "maaf"),
        ("saat", "saat"),
        ("tpp", "tpp"),  # an unknown word is not squeezed into the slang "tp"
    ],
)
def test_stretched_letters_are_undone_but_real_doubles_kept(word: str, expected: str) -> None:
    assert squeeze(word) == expected


def test_squeeze_settles_on_a_word_of_the_given_vocabulary() -> None:
    assert squeeze("webinaaar") == "webinar"
    assert squeeze("kopdaaar", vocab={"kopdar"}) == "kopdar"
    assert squeeze("wooow") == "wow"  # unknown, stretched: one letter


def test_punctuation_emoji_case_and_accents_go() -> None:
    assert normalize("Link-nya MANA??? 🙏🙏") == "link mana"
    assert normalize("Jum'at ada apa2 ga?!") == "jumat ada apa tidak"
    assert normalize("Café…  ZOOM!!!") == "cafe zoom"
    assert normalize("target 20JP/thn") == "target 20 jp thn"
    assert normalize("👍👍") == ""
    assert normalize("beda-beda tiap hari") == "beda tiap hari"


@pytest.mark.parametrize(
    ("word", "root"),
    [
        ("pendaftaran", "daftar"),
        ("mendaftar", "daftar"),
        ("kehadirannya", "hadir"),
        ("dikirimkan", "kirim"),
        ("dikirimin", "kirim"),
        ("mengikuti", "ikut"),
        ("bertanya", "tanya"),
        ("pertanyaan", "tanya"),
        ("menonton", "tonton"),
        ("ngirim", "kirim"),
        ("matiin", "mati"),
        ("sertifikatnya", "sertifikat"),
        ("tercatat", "catat"),
        ("mengaji", "kaji"),
        ("pengajian", "kaji"),
        ("kesehatan", "sehat"),
        ("milih", "pilih"),
    ],
)
def test_affixes_are_stripped_to_a_known_root(word: str, root: str) -> None:
    assert stem(word) == root


@pytest.mark.parametrize(
    "word", ["tanya", "berapa", "tetapi", "sekolah", "menu", "senin", "kemarin"]
)
def test_words_that_only_look_affixed_are_left_alone(word: str) -> None:
    assert stem(word) == word


def test_unknown_words_lose_only_nya() -> None:
    assert stem("instagramnya") == "instagram"
    assert stem("cpns") == "cpns"


def test_fixed_phrases() -> None:
    assert normalize("selamat pagi min") == "selamat min"  # a greeting, not the morning menu
    assert normalize("menu pagi belum masuk") == "menu pagi belum masuk"
    assert normalize("terima kasih") == "terimakasih"
    assert normalize("tgl merah ada sesi?") == "libur ada sesi"
    assert normalize("1 jam pelajaran berapa menit") == "1 jp berapa menit"
