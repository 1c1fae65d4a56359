"""The terminal channel: the same core, buttons as numbered choices."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from bot.app import run_console
from bot.console import ConsoleChannel
from bot.logs import RedactingFormatter, Redactor, log_to_file
from bot.runtime import Runtime
from core.clock import FixedClock

ROOT = Path(__file__).resolve().parents[2]


class Terminal:
    """Feeds lines to the console channel and keeps what it printed."""

    def __init__(self, rt: Runtime) -> None:
        self.out: list[str] = []
        self.channel = ConsoleChannel(rt.dispatcher, self._never, self.out.append)

    async def _never(self) -> str | None:
        return None

    async def say(self, *lines: str) -> str:
        start = len(self.out)
        for line in lines:
            await self.channel.send(line)
        return "\n".join(self.out[start:])


async def run_script(rt: Runtime, lines: Iterable[str]) -> list[str]:
    """Run the channel's own loop over `lines` (as typed on standard input)."""
    pending = list(lines)
    out: list[str] = []

    async def read() -> str | None:
        return pending.pop(0) + "\n" if pending else None

    await ConsoleChannel(rt.dispatcher, read, out.append).run()
    return out


async def test_register_and_see_todays_menu(runtime: Runtime) -> None:
    term = Terminal(runtime)
    intro = await term.say("/mulai")
    assert "UU No. 27 Tahun 2022" in intro and "[1] ✅ Saya setuju" in intro
    assert "nama lengkap" in await term.say("1")
    assert "NIP" in await term.say("Dra. Siti Aminah, M.Si.")
    assert "instansi" in await term.say("198507142010012003")
    assert "kabupaten/kota" in await term.say("Dinas Pendidikan Kab. Sidoarjo")
    choices = await term.say("sidoarjo")
    assert "[1] Kab. Sidoarjo (Jawa Timur)" in choices
    assert "zona waktu" in await term.say("1")
    done = await term.say("1")  # WIB, suggested first
    assert "Pendaftaran selesai" in done and "Kab. Sidoarjo" in done
    assert "Tombol menu:" in done
    menu = await term.say("menu")  # bare command words work in the terminal
    assert "Senin, 23 November 2026" in menu
    assert "Forum ASN Berbagi Ilmu" in menu


async def test_wrong_nip_is_explained_and_asked_again(runtime: Runtime) -> None:
    term = Terminal(runtime)
    await term.say("/mulai", "1", "Budi Santoso")
    out = await term.say("198502302010012003")
    assert "tanggal lahir" in out and "ketik ulang" in out
    out = await term.say("lewati")
    assert "belum dapat dihitung sebagai JP" in out and "instansi" in out


async def test_script_loop_exits_on_keluar(runtime: Runtime) -> None:
    out = await run_script(runtime, ["/bantuan", "/keluar", "/menu"])
    text = "\n".join(out)
    assert "/mulai — Mulai / daftar berlangganan" in text
    assert "Sampai jumpa" in text
    assert "Forum ASN" not in text  # nothing after /keluar was handled


async def test_a_number_at_a_text_prompt_is_text(runtime: Runtime) -> None:
    term = Terminal(runtime)
    await term.say("/mulai", "1", "Budi Santoso", "198507142010011003",
                   "Dinas Pendidikan Kab. Sidoarjo", "sidoarjo", "1")
    assert "Pendaftaran selesai" in await term.say("1")
    profile = await term.say("/profil")
    assert "[1] ✏️ Ubah nama" in profile and "[3] ✏️ Ubah instansi / OPD" in profile
    assert "instansi / OPD" in await term.say("3")
    # Found: "1" here pressed the old "Ubah nama" button and the next line became the name.
    assert "instansi / OPD dengan huruf" in await term.say("1")
    done = await term.say("BKD Provinsi Jawa Timur")
    assert "Data diperbarui" in done and "Nama: Budi Santoso" in done


class Keyboard:
    """Standard input as a test types it: lines arrive when the test sends them."""

    def __init__(self) -> None:
        self.lines: asyncio.Queue[str | None] = asyncio.Queue()

    async def read(self) -> str | None:
        return await self.lines.get()

    def type(self, line: str) -> None:
        self.lines.put_nowait(line + "\n")


async def _until(out: list[str], needle: str, after: int = 0) -> str:
    """Wait for `needle` in what was printed after line `after`; return that part."""
    for _ in range(300):
        seen = "\n".join(out[after:])
        if needle in seen:
            return seen
        await asyncio.sleep(0.05)
    raise AssertionError(f"{needle!r} never printed; got:\n" + "\n".join(out[after:]))


async def test_the_terminal_is_the_whole_bot(runtime: Runtime, clock: FixedClock) -> None:
    """No platform configured: the morning menu arrives on start, and the local user, an
    owner, can ask a question, get its notice, answer it and receive the answer."""
    assert runtime.deps.channels["console"].delivers
    clock.set(datetime(2026, 11, 23, 0, 0, tzinfo=UTC))  # Monday 07:00 WIB: the menu is due
    term = Terminal(runtime)
    await term.say("/mulai", "1", "Budi Santoso", "198507142010011003",
                   "Dinas Pendidikan Kab. Sidoarjo", "sidoarjo", "1", "1")
    keys, out = Keyboard(), []
    stop, started = asyncio.Event(), asyncio.Event()
    chat = asyncio.create_task(run_console(runtime, stop=stop, started=started,
                                           read_line=keys.read, write=out.append))
    try:
        await asyncio.wait_for(started.wait(), 10)
        menu = await _until(out, "Senin, 23 November 2026")
        assert "📩" in menu and "Forum ASN Berbagi Ilmu" in menu
        mark = len(out)
        keys.type("/tanya Kapan sertifikat webinar kemarin terbit ya?")
        notice = await _until(out, "📨 Pertanyaan #1", mark)
        assert "nomor #1" in notice and "Dari: Budi Santoso" in notice
        mark = len(out)
        keys.type("jawab 1 Sertifikat terbit hari Jumat.")  # a bare admin word: an owner
        answer = await _until(out, "Jawaban BPSDM", mark)
        assert "dikirim kepada penanya" in answer and "Sertifikat terbit hari Jumat." in answer
        keys.type("/keluar")
        await asyncio.wait_for(chat, 10)
        assert out[-1] == "Sampai jumpa! ☕"
    finally:
        stop.set()
        await asyncio.wait_for(chat, 10)


async def test_ctrl_c_leaves_at_once_even_in_the_middle_of_a_prompt(runtime: Runtime) -> None:
    never = asyncio.Event()

    async def blocked() -> str | None:
        await never.wait()  # nobody types
        return None

    out: list[str] = []
    stop, started = asyncio.Event(), asyncio.Event()
    chat = asyncio.create_task(run_console(runtime, stop=stop, started=started,
                                           read_line=blocked, write=out.append))
    await asyncio.wait_for(started.wait(), 10)
    stop.set()  # what SIGINT does
    await asyncio.wait_for(chat, 10)
    assert out[-1] == "\nSampai jumpa! ☕"


def test_log_lines_go_to_the_file_while_the_chat_runs(tmp_path: Path) -> None:
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    stream = io.StringIO()
    terminal = logging.StreamHandler(stream)
    terminal.setFormatter(RedactingFormatter(Redactor(["sekret-token-123"])))
    root.handlers[:] = [terminal]
    root.setLevel(logging.INFO)
    try:
        with log_to_file(tmp_path / "logs" / "bot.log"):
            logging.getLogger("x").info("sent with %s", "sekret-token-123")
        logging.getLogger("x").info("after the chat")
    finally:
        root.handlers[:], root.level = saved, level
    logged = (tmp_path / "logs" / "bot.log").read_text()
    assert logged.endswith(" INFO x: sent with ***\n") and logged.count("\n") == 1
    assert "sekret" not in logged  # the same redaction as on the terminal
    assert stream.getvalue().endswith(" INFO x: after the chat\n")
    assert "sent with" not in stream.getvalue()


async def test_chat_at_a_moment_in_a_real_process(
    runtime: Runtime, tmp_path: Path, db_url: str
) -> None:
    """`dahar-ngopi chat --at`: the clock starts there (the morning menu of that Monday
    arrives), the log goes to LOG_FILE, and SIGINT ends it within seconds."""
    await Terminal(runtime).say("/mulai", "1", "Budi Santoso", "198507142010011003",
                                "Dinas Pendidikan Kab. Sidoarjo", "sidoarjo", "1", "1")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "WHATSAPP_", "ADMIN_"))}
    log = tmp_path / "chat.log"
    env.update(DATABASE_URL=db_url, LOG_FILE=str(log), PYTHONPATH=str(ROOT))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "chat", "--at", "2026-11-23 07:00", cwd=tmp_path, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stdin is not None
    printed = ""
    try:
        while "Forum ASN Berbagi Ilmu" not in printed:
            chunk = await asyncio.wait_for(proc.stdout.read(4096), 30)
            assert chunk, printed
            printed += chunk.decode()
        proc.send_signal(signal.SIGINT)
        rest, err = await asyncio.wait_for(proc.communicate(), 10)
    finally:
        if proc.returncode is None:
            proc.kill()
    printed += rest.decode()
    assert "📩" in printed and "Senin, 23 November 2026" in printed
    assert printed.rstrip().endswith("Sampai jumpa! ☕")
    assert " INFO " not in printed and " INFO " not in err.decode()  # not between the lines
    assert "scheduler started" in log.read_text()
