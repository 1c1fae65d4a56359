"""PostgreSQL backups with `pg_dump` (custom format), restores with `pg_restore` and `psql`.

The client tools must be of the server's major version: an older `pg_dump` refuses a
newer server, and a newer one writes archives (and SQL) an older server cannot take.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

__all__ = ["PgTarget", "PgToolError", "archive_revision", "dump", "find_tool", "pg_target",
           "restore", "tool_major"]

# Where distributions put the tools of each major version, besides PATH.
_TOOL_DIRS = ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/opt/homebrew/opt/postgresql@*/bin",
              "/usr/local/opt/postgresql@*/bin")


class PgToolError(Exception):
    """A client tool is missing, of the wrong version, or failed; one line says which."""


@dataclass(frozen=True)
class PgTarget:
    """Where the tools connect: libpq's environment, built from DATABASE_URL."""

    host: str | None
    port: int | None
    user: str | None
    password: str | None
    database: str
    sslmode: str | None = None

    def env(self) -> dict[str, str]:
        """The process environment for a tool (the password never goes on a command line)."""
        env = dict(os.environ)
        for name, value in (("PGHOST", self.host), ("PGPORT", self.port), ("PGUSER", self.user),
                            ("PGPASSWORD", self.password), ("PGDATABASE", self.database),
                            ("PGSSLMODE", self.sslmode)):
            if value is not None:
                env[name] = str(value)
        return env

    def describe(self) -> str:
        """host:port/database, for messages (no password)."""
        return f"{self.host or 'localhost'}:{self.port or 5432}/{self.database}"


def pg_target(url: str) -> PgTarget:
    """The connection of a `postgresql+asyncpg://` URL, for libpq."""
    parsed = make_url(url)
    query = {k: (v[0] if isinstance(v, tuple) else v) for k, v in parsed.query.items()}
    ssl = query.get("sslmode") or query.get("ssl")
    sslmode = {"true": "require", "false": "disable"}.get(str(ssl).lower(), ssl) if ssl else None
    return PgTarget(host=parsed.host or query.get("host"), port=parsed.port,
                    user=parsed.username, password=parsed.password,
                    database=parsed.database or "postgres", sslmode=sslmode)


def tool_major(path: Path | str) -> int | None:
    """The major version of a client tool (`pg_dump (PostgreSQL) 15.8` → 15)."""
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True,
                             timeout=30, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r"\)\s+(\d+)", out)
    return int(found.group(1)) if found else None


def _candidates(name: str) -> list[Path]:
    found: list[Path] = []
    for pattern in _TOOL_DIRS:
        found += sorted(Path(p) / name for p in glob.glob(pattern))
    on_path = shutil.which(name)
    if on_path:
        found.append(Path(on_path))
    return [p for p in dict.fromkeys(found) if p.is_file() and os.access(p, os.X_OK)]


def find_tool(name: str, server_major: int, *, candidates: Sequence[Path] | None = None
              ) -> Path:
    """The `name` tool (pg_dump, pg_restore, psql) of the server's major version, among
    `candidates` (default: the distributions' per-version folders, then PATH)."""
    seen: list[str] = []
    for path in _candidates(name) if candidates is None else candidates:
        major = tool_major(path)
        if major == server_major:
            return path
        seen.append(f"{major or '?'} ({path})")
    package = f"postgresql-client-{server_major}"
    if not seen:
        raise PgToolError(f"{name} not found: install the PostgreSQL {server_major} client "
                          f"tools (Debian/Ubuntu: apt-get install {package})")
    raise PgToolError(
        f"the PostgreSQL server is version {server_major} but {name} here is version "
        f"{', '.join(seen)}; the client's major version must match the server's: install "
        f"{package} (Debian/Ubuntu; PGDG repository for other versions)"
    )


def _first_error(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower() or "fatal" in ln.lower()]
    return (errors or lines or ["no message"])[0][:300]


def dump(target: PgTarget, pg_dump: Path, out_fd: int) -> None:
    """Write a custom-format archive of the whole database to `out_fd` (blocking)."""
    done = subprocess.run(
        [str(pg_dump), "--format=custom", "--no-password", "--dbname", target.database],
        stdout=out_fd, stderr=subprocess.PIPE, env=target.env(), check=False,
    )
    if done.returncode != 0:
        raise PgToolError(f"pg_dump of {target.describe()} failed: "
                          f"{_first_error(done.stderr.decode(errors='replace'))}")


def check_archive(pg_restore: Path, backup: Path) -> None:
    """Refuse a file pg_restore cannot read, before anything is touched."""
    done = subprocess.run([str(pg_restore), "--list", str(backup)], capture_output=True,
                          check=False)
    if done.returncode != 0:
        raise PgToolError(f"{backup} is not a readable pg_dump archive: "
                          f"{_first_error(done.stderr.decode(errors='replace'))}")


def archive_revision(pg_restore: Path, backup: Path) -> str | None:
    """The migration an archive is at: its alembic_version row, read without restoring."""
    check_archive(pg_restore, backup)
    done = subprocess.run(
        [str(pg_restore), "--data-only", "--table=alembic_version", "--file=-", str(backup)],
        capture_output=True, text=True, check=False)
    lines = iter(done.stdout.splitlines())
    for line in lines:
        if line.startswith("COPY ") and "alembic_version" in line:
            row = next(lines, "\\.")
            return None if row == "\\." else row.strip()
    return None


def restore(
    target: PgTarget, pg_restore: Path, psql: Path, backup: Path, drop: Sequence[str]
) -> None:
    """Replace the tables `drop` by the archive's content in ONE transaction (blocking).

    pg_restore turns the archive into SQL; psql runs the drops and that SQL with
    --single-transaction and ON_ERROR_STOP, so a failure leaves the database as it was.
    """
    check_archive(pg_restore, backup)
    drops = ["-c", "DROP TABLE IF EXISTS " + ", ".join(drop) + " CASCADE"] if drop else []
    env = target.env()
    # pg_restore's messages go to a file: a full pipe nobody reads would stall it.
    with tempfile.TemporaryFile() as produced_err, subprocess.Popen(
        [str(pg_restore), "--no-owner", "--no-privileges", "--file=-", str(backup)],
        stdout=subprocess.PIPE, stderr=produced_err, env=env,
    ) as producer:
        assert producer.stdout is not None
        consumer = subprocess.run(
            [str(psql), "--no-psqlrc", "--quiet", "--no-password", "--set", "ON_ERROR_STOP=1",
             "--single-transaction", "--dbname", target.database, *drops, "--file=-"],
            stdin=producer.stdout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env=env, check=False,
        )
        producer.stdout.close()
        producer.wait()
        produced_err.seek(0)
        message = produced_err.read().decode(errors="replace")
    # psql first: when it stops at an error, pg_restore fails too, on the closed pipe.
    if consumer.returncode != 0:
        raise PgToolError(f"restore into {target.describe()} failed, nothing was changed: "
                          f"{_first_error(consumer.stderr.decode(errors='replace'))}")
    if producer.returncode != 0:
        raise PgToolError(f"pg_restore could not read {backup}: {_first_error(message)}")
