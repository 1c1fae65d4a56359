"""`dahar-ngopi faq import|export`: validated, atomic, and a round trip of the database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.runtime import build_runtime
from bot.settings import load_settings
from db.engine import create_engine, create_sessions
from handlers.faq_entries import FaqEntry, default_entries, dump_entries, load_entries
from handlers.faq_store import stored_entries


async def _first_start(db_url: str) -> None:
    """What the bot's first start does: the starting FAQ (and sample calendar) loaded."""
    rt = await build_runtime(load_settings({"DATABASE_URL": db_url}), migrate=False)
    await rt.close()


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The command line on the test database of a bot started once, run from an empty
    folder (no .env)."""
    asyncio.run(_first_start(db_url))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    return tmp_path


def _stored(db_url: str) -> list[FaqEntry]:
    async def read() -> list[FaqEntry]:
        engine = create_engine(db_url)
        try:
            async with create_sessions(engine)() as s:
                return await stored_entries(s)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_export_writes_the_stored_faq(cli_env: Path, db_url: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = cli_env / "faq-export.yaml"
    assert main(["faq", "export", "-o", str(out)]) == 0
    assert load_entries(out) == default_entries()  # seeded on first start, written back
    assert "49 entri ditulis" in capsys.readouterr().out
    assert main(["faq", "export"]) == 0
    assert capsys.readouterr().out == dump_entries(default_entries())


def test_import_adds_and_updates_and_lists_what_it_keeps(
    cli_env: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    entries = default_entries()
    changed = [*entries[1:10], FaqEntry("parkir", "Di mana parkir?", "Di halaman depan.")]
    changed[0] = FaqEntry(changed[0].id, changed[0].question, "Jawaban baru.",
                          changed[0].phrasings, changed[0].keywords)
    path = cli_env / "faq.yaml"
    path.write_text(dump_entries(changed), encoding="utf-8")
    assert main(["faq", "import", str(path), "--dry-run"]) == 0
    assert "uji coba, tidak ada yang diubah" in capsys.readouterr().out
    assert _stored(db_url) == entries
    assert main(["faq", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert ("50 entri (1 baru, 1 diubah, 0 dihapus, 8 tetap, 40 tidak ada di berkas, "
            "tetap disimpan)") in out
    assert f"(--replace akan menghapusnya): {entries[0].id}, " in out
    after = _stored(db_url)
    assert [e.id for e in after] == [e.id for e in entries] + ["parkir"]
    assert after[1].answer == "Jawaban baru." and after[0] == entries[0]


def test_import_with_replace_makes_the_faq_the_file(
    cli_env: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    entries = default_entries()
    path = cli_env / "faq.yaml"
    path.write_text(dump_entries(entries[1:10]), encoding="utf-8")
    assert main(["faq", "import", str(path), "--replace"]) == 0
    out = capsys.readouterr().out
    assert "9 entri (0 baru, 0 diubah, 40 dihapus, 9 tetap)" in out
    assert f"dihapus: {sorted(e.id for e in [entries[0], *entries[10:]])[0]}, " in out
    assert _stored(db_url) == entries[1:10]


def test_a_file_clashing_with_a_kept_entry_changes_nothing(
    cli_env: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    entries = default_entries()
    clash = FaqEntry("baru", entries[5].question, "Jawaban lain.")  # another entry's question
    path = cli_env / "faq.yaml"
    path.write_text(dump_entries([clash]), encoding="utf-8")
    assert main(["faq", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "tetap menyimpan entri yang tidak ada di berkas" in err
    assert "tidak ada yang diimpor" in err
    assert _stored(db_url) == entries


def test_an_invalid_file_changes_nothing(cli_env: Path, db_url: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    entries = default_entries()
    dup = [*entries[:5], entries[2]]  # a duplicate id at the end of the file
    path = cli_env / "faq.yaml"
    path.write_text(dump_entries(dup), encoding="utf-8")
    assert main(["faq", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "entri 6" in err and "id ganda" in err and "tidak ada yang diimpor" in err
    assert _stored(db_url) == entries
    assert main(["faq", "import", str(cli_env / "missing.yaml")]) == 1
    assert "tidak dapat membaca" in capsys.readouterr().err
