"""The terminal channel: the same core, buttons as numbered choices."""

from __future__ import annotations

from collections.abc import Iterable

from bot.console import ConsoleChannel
from bot.runtime import Runtime


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
