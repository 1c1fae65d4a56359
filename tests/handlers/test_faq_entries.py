"""Loading, validating and exporting FAQ entries (the YAML behind `faq import` / `faq export`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from handlers.faq_entries import (
    MAX_ID,
    FaqEntry,
    FaqFormatError,
    default_entries,
    dump_entries,
    load_entries,
)

GOOD = """
- id: cara-daftar
  question: Bagaimana cara mendaftar?
  answer: Ketik /mulai.
  phrasings: [Cara registrasi]
  keywords: [daftar]
- id: rekap
  question: Bagaimana melihat rekap?
  answer: |-
    Ketik <b>/rekap</b>.

    Isinya JP tahun ini.
"""

# Commands the bot has (DOMAIN.md and the issues); an answer must not send people elsewhere.
COMMANDS = {
    "mulai", "menu", "jadwal", "hadir", "rekap", "tanya", "bantuan", "berhenti",
    "profil", "pengingat", "hapusdata", "start", "help", "sertifikat",
}


def test_valid_text_loads_into_entries() -> None:
    entries = load_entries(GOOD)
    assert entries[0] == FaqEntry(
        "cara-daftar",
        "Bagaimana cara mendaftar?",
        "Ketik /mulai.",
        ("Cara registrasi",),
        ("daftar",),
    )
    assert entries[1].phrasings == ()
    assert entries[1].answer == "Ketik <b>/rekap</b>.\n\nIsinya JP tahun ini."


def test_a_path_is_read_as_a_file(tmp_path: Path) -> None:
    path = tmp_path / "faq.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert [e.id for e in load_entries(path)] == ["cara-daftar", "rekap"]


def _entry(**fields: object) -> str:
    """A file of a valid entry 'ok' followed by entry 'x' with `fields` changed (None: left out)."""
    second: dict[str, object] = {"id": "x", "question": "Q?", "answer": "A."}
    second.update(fields)
    first = {"id": "ok", "question": "Ok?", "answer": "Ok."}
    return yaml.safe_dump([first, {k: v for k, v in second.items() if v is not None}])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_entry(answer=None), "entri 2 (id 'x'): kolom 'answer' tidak ada"),
        (_entry(question=None), "entri 2 (id 'x'): kolom 'question' tidak ada"),
        (_entry(id=None), "entri 2: kolom 'id' tidak ada"),
        (_entry(question="  "), "entri 2 (id 'x'): kolom 'question' harus berisi teks"),
        (_entry(answer=["a", "b"]), "entri 2 (id 'x'): kolom 'answer' harus berisi teks"),
        (_entry(id="ok"), "entri 2 (id 'ok'): id ganda"),
        (_entry(id="Cara Daftar"), "id hanya boleh huruf kecil, angka, dan '-'"),
        (_entry(id="a" * (MAX_ID + 1)), f"kolom 'id' lebih dari {MAX_ID} karakter"),
        (_entry(phrasing=["x"]), "entri 2 (id 'x'): kolom 'phrasing' tidak dikenal"),
        (_entry(phrasings="satu saja"), "kolom 'phrasings' harus berupa daftar teks"),
        (_entry(keywords=["daftar", ""]), "kolom 'keywords' harus berupa daftar teks"),
        (_entry(answer="<script>x</script>"), "jawaban memakai tag <script>"),
        (_entry(answer="<b>tebal"), "jawaban membiarkan <b> terbuka"),
        (_entry(answer="<b>x</i>"), "menutup </i> tanpa tag pembuka yang cocok"),
        (_entry(phrasings=["OK?"]), "entri 2 (id 'x'): 'OK?' sudah ditanyakan oleh 'ok'"),
        ("- just text\n", "entri 1: harus berisi kolom id"),
        ("id: x\nquestion: q\n", "FAQ harus berupa daftar entri yang tidak kosong"),
        ("", "FAQ harus berupa daftar entri yang tidak kosong"),
        ("- id: [unclosed\n", "bukan YAML yang valid"),
    ],
)
def test_invalid_files_name_the_entry_and_the_problem(text: str, message: str) -> None:
    with pytest.raises(FaqFormatError, match=re.escape(message)):
        load_entries(text)


def test_export_reads_back_to_the_same_entries() -> None:
    entries = default_entries()
    text = dump_entries(entries)
    assert load_entries(text) == entries
    assert "answer: |-" in text  # multi-line answers stay readable for people editing them


def test_the_shipped_knowledge_base_is_complete_and_points_to_real_commands() -> None:
    entries = default_entries()
    assert len(entries) >= 35
    for e in entries:
        assert len(e.phrasings) >= 3, e.id
        assert e.keywords, e.id
        assert "Bapak/Ibu" in e.answer or "/" in e.answer, e.id
        for command in re.findall(r"(?<![\w<])/([a-z]+)", e.answer):
            assert command in COMMANDS, (e.id, command)
    ids = {e.id for e in entries}
    assert {"senin-berbagi-ilmu", "selasa-asn-bertanya", "rabu-asn-mengaji",
            "kamis-asn-belajar", "jumat-sehat-bugar", "apa-itu-jp", "target-20-jp",
            "hapus-data", "cara-presensi", "sertifikat"} <= ids


def test_the_knowledge_base_states_the_rules_of_the_field() -> None:
    answers = {e.id: e.answer for e in default_entries()}
    assert "1 JP = 45 menit" in answers["apa-itu-jp"]
    assert "20 JP per tahun" in answers["target-20-jp"]
    assert "PP Nomor 17 Tahun 2020" in answers["target-20-jp"]
    assert "UU Nomor 27 Tahun 2022" in answers["hapus-data"]
    assert "/hapusdata" in answers["hapus-data"]
    assert "seluruh ASN di Indonesia" in answers["siapa-boleh-ikut"]
    # No phone numbers or web addresses invented: people reach the admins through /tanya.
    for answer in answers.values():
        assert not re.search(r"\d{4,}[- ]?\d{3,}|https?://|www\.", answer)
