"""The command line never quietly uses another database: commands that only read never create
one, every command names the database it used, and binary never goes to a terminal."""

from __future__ import annotations

import os
import pty
import shutil
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.startup import database_label
from db.migrate import upgrade

READERS = [
    ["absensi", "export"],
    ["absensi", "jp"],
    ["absensi", "audit"],
    ["umumkan", "status"],
    ["faq", "export"],
    ["jadwal", "export"],
    ["faq", "import", "faq.yaml", "--dry-run"],
    ["jadwal", "import", "jadwal.csv", "--dry-run"],
]


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder that is not the bot's, with no DATABASE_URL: the default
    ./data/dahar_ngopi.db points at nothing."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    return folder


@pytest.mark.parametrize("argv", READERS, ids=[" ".join(a[:2]) for a in READERS])
def test_a_command_that_only_reads_never_creates_a_database(
    elsewhere: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    looked = elsewhere / "data" / "dahar_ngopi.db"
    assert f"dahar-ngopi: database {looked}\n" in err
    assert f"no database at {looked}" in err and "set DATABASE_URL" in err
    assert not (elsewhere / "data").exists()  # nothing created, nothing seeded


def test_every_command_names_the_absolute_database_path(
    elsewhere: Path, template_db: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (elsewhere / "rel").mkdir()
    shutil.copy(template_db, elsewhere / "rel" / "bot.db")
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///./rel/bot.db")
    assert main(["absensi", "audit"]) == 0
    assert main(["db", "upgrade"]) == 0
    err = capsys.readouterr().err
    assert err.count(f"dahar-ngopi: database {elsewhere / 'rel' / 'bot.db'}\n") == 2


def test_a_database_url_is_named_without_its_password() -> None:
    url = "postgresql+asyncpg://bot:s3cret-Pass@db.example:5432/dahar"
    assert database_label(url) == "postgresql+asyncpg://bot:***@db.example:5432/dahar"
    assert database_label("sqlite+aiosqlite:///data/x.db") == str(Path("data/x.db").resolve())


def test_a_database_of_an_older_version_is_not_upgraded_by_a_reader(
    elsewhere: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = elsewhere / "old.db"
    upgrade(f"sqlite+aiosqlite:///{db}", "0006")
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    assert main(["faq", "export"]) == 1
    err = capsys.readouterr().err
    assert "is at revision 0006" in err and "dahar-ngopi db upgrade" in err


@pytest.mark.parametrize("argv", [["absensi", "export", "--format", "xlsx"],
                                  ["absensi", "jp", "--format", "xlsx"],
                                  ["jadwal", "export", "--format", "xlsx"]])
def test_xlsx_is_not_written_to_a_terminal(
    elsewhere: Path, argv: list[str], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    leader, follower = pty.openpty()
    terminal = os.fdopen(follower, "w")
    try:
        monkeypatch.setattr(sys, "stdout", terminal)
        assert main(argv) == 2
    finally:
        terminal.close()
        os.close(leader)
    err = capsys.readouterr().err
    assert "not written to the terminal: add -o FILE" in err
    assert not (elsewhere / "data").exists()
