"""FAQ matching: a clear answer, a few candidates, or nothing; greetings; typos."""

from __future__ import annotations

import pytest

from handlers.faq_match import FaqEntry, FaqIndex, MatchResult, default_entries

SMALL = [
    FaqEntry("sertifikat", "Apakah ada sertifikat?", "…", ("Dapat e-sertifikat?",),
             ("sertifikat", "piagam")),
    FaqEntry("zoom", "Bagaimana ikut lewat Zoom?", "…", ("Masuk Zoom meeting",), ("zoom",)),
    FaqEntry("youtube", "Bagaimana ikut lewat YouTube?", "…", ("Nonton di YouTube",),
             ("youtube", "siaran")),
    FaqEntry("jp-zoom", "Berapa JP ikut Zoom?", "…", ("JP untuk peserta Zoom",), ("jp",)),
]


@pytest.fixture(scope="module")
def small() -> FaqIndex:
    return FaqIndex(SMALL)


@pytest.fixture(scope="module")
def kb() -> FaqIndex:
    return FaqIndex(default_entries())


def test_a_clear_question_gets_one_answer(small: FaqIndex) -> None:
    result = small.match("sertifikatnya ada gak kak??")
    assert result.kind == "single"
    assert result.entry_id == "sertifikat"
    assert result.score >= small.tuning.single


def test_a_typo_is_read_as_the_known_word(small: FaqIndex) -> None:
    assert small.match("sertifkat ada?").entry_id == "sertifikat"
    assert small.match("serrtifikaat").entry_id == "sertifikat"


def test_a_question_between_entries_offers_candidates(small: FaqIndex) -> None:
    result = small.match("ikut lewat mana?")
    assert result.kind == "several"
    assert result.entry_id is None
    assert set(result.ids) == {"zoom", "youtube"}
    assert len(result.ids) <= 3


def test_an_unrelated_question_gets_nothing(small: FaqIndex) -> None:
    assert small.match("resep rendang padang") == MatchResult("none", score=0.0)
    assert small.match("harga tiket zoo surabaya").kind == "none"


@pytest.mark.parametrize("text", ["halo", "Assalamualaikum wr wb", "selamat pagi min 🙏",
                                  "terima kasih banyak bu", "ok siap"])
def test_greetings_and_thanks_are_flagged_not_answered(kb: FaqIndex, text: str) -> None:
    result = kb.match(text)
    assert (result.kind, result.greeting) == ("none", True)


@pytest.mark.parametrize("text", ["", "   ", "???", "👍"])
def test_empty_messages_get_nothing(kb: FaqIndex, text: str) -> None:
    assert kb.match(text) == MatchResult("none")


def test_a_greeting_before_a_question_does_not_hide_it(kb: FaqIndex) -> None:
    result = kb.match("Selamat pagi min, mohon maaf mengganggu, link zoom hari ini mana nggih")
    assert result.entry_id == "tautan-sesi"


def test_question_words_alone_are_not_answered_outright(kb: FaqIndex) -> None:
    for text in ("gimana caranya?", "kapan", "apa"):
        assert kb.match(text).kind != "single", text


def test_answers_for_common_questions(kb: FaqIndex) -> None:
    assert kb.match("Gimana cara daftarnya min?").entry_id == "cara-daftar"
    assert kb.match("1 JP itu brp menit").entry_id == "apa-itu-jp"
    assert kb.match("mau hapus data pribadi").entry_id == "hapus-data"
    assert kb.match("webinar hari kamis ttg apa").entry_id == "kamis-asn-belajar"


def test_a_long_message_is_cut_not_refused(kb: FaqIndex) -> None:
    assert kb.match("sertifikat " * 5000).entry_id == "sertifikat"


def test_rank_lists_entries_best_first(kb: FaqIndex) -> None:
    ranked = kb.rank("lupa absen kemarin")
    assert ranked[0][0] == "presensi-gagal"
    assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)


def test_entries_are_looked_up_by_id(kb: FaqIndex) -> None:
    assert kb.entry("sertifikat").question == "Apakah peserta mendapat sertifikat?"
    with pytest.raises(KeyError):
        kb.entry("tidak-ada")


def test_an_index_needs_entries() -> None:
    with pytest.raises(ValueError, match="at least one entry"):
        FaqIndex([])
