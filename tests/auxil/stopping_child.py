"""A process that stops on signals as `dahar-ngopi run` does, for the stopping tests.

    python -m tests.auxil.stopping_child [--hang | --read]

Prints "ready", waits for SIGTERM/SIGINT, prints "stopping", then exits (with --hang it
never finishes stopping: the watchdog must end it; with --read it waits on a line of
standard input meanwhile, as the terminal chat does).
"""

from __future__ import annotations

import asyncio
import sys

from bot.console import StdinReader
from bot.stopping import first_of, stop_on_signals


async def _main(mode: str) -> None:
    stop = stop_on_signals(limit=30.0 if mode == "--read" else 1.0)
    print("ready", flush=True)
    if mode == "--read":
        read = StdinReader()
        while (line := await first_of(read(), stop)) is not None:
            print(f"read {line.strip()}", flush=True)
    await stop.wait()
    print("stopping", flush=True)
    if mode == "--hang":
        await asyncio.sleep(3600)


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1] if len(sys.argv) > 1 else ""))
