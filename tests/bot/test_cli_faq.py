"""`dahar-ngopi faq import|export`: validated, atomic, and a round trip of the database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from db.engine import create_engine, create_sessions
from handlers.faq_entries import FaqEntry, default_entries, dump_entries, load_entries
from handlers.faq_store import stored_entries


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The command line on the test database, run from an empty folder (no .env)."""
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


def test_import_replaces_the_faq_and_reports(cli_env: Path, db_url: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
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
    assert "10 entri (1 baru, 1 diubah, 40 dihapus, 8 tetap)" in out
    assert _stored(db_url) == changed


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
