"""`dahar-ngopi faq import|export`: the stored FAQ from and to a YAML file."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

from bot.runtime import Runtime
from handlers.faq_entries import FaqFormatError, dump_entries, load_entries
from handlers.faq_store import import_entries, stored_entries

__all__ = ["export_cmd", "import_cmd"]


async def import_cmd(rt: Runtime, args: argparse.Namespace) -> int:
    """Validate a FAQ file, then add and update its entries in one transaction (with
    --replace, the FAQ becomes the file: entries it lacks are removed)."""
    path: Path = args.file
    try:
        entries = load_entries(await asyncio.to_thread(path.read_text, encoding="utf-8-sig"))
    except OSError as exc:
        print(f"tidak dapat membaca {path}: {exc.strerror}", file=sys.stderr)
        return 1
    except UnicodeDecodeError:
        print(f"{path}: bukan teks UTF-8; tidak ada yang diimpor", file=sys.stderr)
        return 1
    except FaqFormatError as exc:
        print(f"{path}: {exc}\ntidak ada yang diimpor", file=sys.stderr)
        return 1
    async with rt.sessions() as s, s.begin():
        try:
            report = await import_entries(
                s, entries, now=rt.clock.now(), by=f"cli:{path.name}", replace=args.replace,
                dry_run=args.dry_run,
            )
        except FaqFormatError as exc:
            print(f"{path}: {exc}\ntidak ada yang diimpor", file=sys.stderr)
            return 1
    print(("uji coba, tidak ada yang diubah: " if args.dry_run else "") + report.summary())
    return 0


def _write_atomic(path: Path, text: str) -> None:
    # A reader (or a crash) never sees half a file: write beside it, then rename over it.
    fd, tmp = tempfile.mkstemp(dir=path.parent or Path("."), prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


async def export_cmd(rt: Runtime, args: argparse.Namespace) -> int:
    """Write the stored FAQ as YAML to a file or standard output."""
    async with rt.sessions() as s:
        entries = await stored_entries(s)
    if not entries:
        print("the FAQ is empty: the bot loads its starting FAQ when it first starts",
              file=sys.stderr)
        return 1
    text = dump_entries(entries)
    if args.output:
        await asyncio.to_thread(_write_atomic, args.output, text)
        print(f"{len(entries)} entri ditulis ke {args.output}")
    else:
        sys.stdout.write(text)
    return 0
