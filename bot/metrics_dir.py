"""PROMETHEUS_MULTIPROC_DIR, set by `main` before prometheus-client is first imported.

prometheus-client decides once, at its import, whether metrics live in memory or in files
that any process's /metrics adds up; settings are never read at import, so `main` sets the
variable first thing. An operator may set it (a directory shared by processes served by one
scrape target; clear it before starting them). Otherwise each process gets a directory of
its own under the system's temporary folder, removed when it stops; directories of
processes that died without removing theirs are removed at the next start.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

__all__ = ["ENV", "prepare_multiprocess_dir"]

ENV = "PROMETHEUS_MULTIPROC_DIR"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _remove_stale(base: Path) -> None:
    """Remove the directories of processes that are gone (named `<pid>-...`)."""
    for child in base.iterdir():
        pid, _, _ = child.name.partition("-")
        if child.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(child, ignore_errors=True)


def prepare_multiprocess_dir(
    environ: MutableMapping[str, str] | None = None, base: Path | None = None
) -> Path | None:
    """Set PROMETHEUS_MULTIPROC_DIR in `environ` (default: the process environment) unless
    the operator did; return the directory made for this process (to remove at exit), or
    None when the operator's is used."""
    env = os.environ if environ is None else environ
    given = env.get(ENV, "").strip()
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        return None
    uid = getattr(os, "getuid", lambda: 0)()
    base = base or Path(tempfile.gettempdir()) / f"dahar-ngopi-metrics-{uid}"
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        _remove_stale(base)
    own = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=base))
    env[ENV] = str(own)
    return own
