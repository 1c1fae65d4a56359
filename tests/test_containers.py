"""The container files: docker-compose.yml holds what it must, and the Dockerfile's install
and entry steps work, run outside a container (no engine or base image here)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import signal
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.auxil.databases import PG_URL, database
from tests.fakes.telegram_server import FakeTelegram

REPO = Path(__file__).resolve().parents[1]


def _dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined: (INSTRUCTION, arguments)."""
    joined = re.sub(r"\\\n\s*", " ", (REPO / "Dockerfile").read_text())
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def _args(instruction: str) -> list[str]:
    """The JSON (exec) form of ENTRYPOINT, CMD, HEALTHCHECK ... CMD."""
    value = json.loads(instruction[instruction.index("["):])
    assert isinstance(value, list)
    return [str(v) for v in value]


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_the_dockerfile_is_slim_non_root_and_checks_its_health() -> None:
    steps = _dockerfile()
    kinds = [k for k, _ in steps]
    assert steps[0][0] == "FROM" and re.fullmatch(r"python:3\.11-slim(-\w+)?", steps[0][1])
    users = [v for k, v in steps if k == "USER"]
    assert users and users[-1] not in ("root", "0")
    # The install runs as root, the process does not.
    assert max(i for i, k in enumerate(kinds) if k == "RUN") < kinds.index("USER")
    entry = _args(next(v for k, v in steps if k == "ENTRYPOINT"))
    script = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert entry == [next(iter(script))] == ["dahar-ngopi"]
    assert _args(next(v for k, v in steps if k == "CMD")) == ["run"]
    health = next(v for k, v in steps if k == "HEALTHCHECK")
    assert "--interval=" in health and _args(health.split(" CMD ", 1)[1]) == [
        "dahar-ngopi", "health"]
    # Every package the project installs is copied into the image.
    copied = {shlex.split(v)[0] for k, v in steps if k == "COPY"}
    found = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {p.rstrip("*") for p in found["packages"]["find"]["include"]}
    assert packages <= copied and {"pyproject.toml", "README.md"} <= {
        w for v in (v for k, v in steps if k == "COPY") for w in shlex.split(v)}


def test_the_compose_file_runs_the_bot_a_worker_and_postgresql_15() -> None:
    compose = _compose()
    services = compose["services"]
    assert services["bot"]["command"] == ["run"]
    assert services["worker"]["command"] == ["worker"]
    db = services["db"]
    assert db["image"].startswith("postgres:15")
    # The client tools in the image are of the same major version (backups need it).
    client = re.search(r"postgresql-client-(\d+)", (REPO / "Dockerfile").read_text())
    assert client is not None and db["image"].startswith(f"postgres:{client.group(1)}")
    volume, _, mount = db["volumes"][0].partition(":")
    assert mount == "/var/lib/postgresql/data" and volume in compose["volumes"]  # named
    assert "healthcheck" in db
    for name in ("bot", "worker", "migrate"):
        service = services[name]
        assert service["env_file"] == ".env" and service["build"] == "."
        assert "@db:5432/" in service["environment"]["DATABASE_URL"]
        assert "${POSTGRES_PASSWORD" in service["environment"]["DATABASE_URL"]
        backups = service["environment"]["BACKUP_DIR"]
        assert any(v.split(":")[0] in compose["volumes"] and v.endswith(f":{backups}")
                   for v in service["volumes"])
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("bot", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == \
            "service_completed_successfully"
        assert services[name]["restart"] == "unless-stopped"
    # The public listener is published to this host only, for the reverse proxy.
    assert all(p.startswith("127.0.0.1:") for p in services["bot"]["ports"])
    assert "ports" not in services["worker"]
    # What compose reads from .env is documented there.
    assert "POSTGRES_PASSWORD=" in (REPO / ".env.example").read_text()


async def _run(*cmd: str, env: dict[str, str], cwd: Path,
               timeout: float = 900) -> tuple[int, str]:  # noqa: ASYNC109 - a deadline
    proc = await asyncio.create_subprocess_exec(
        *cmd, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode or 0, out.decode(errors="replace")


def _context(target: Path) -> None:
    """The build context as the Dockerfile's COPY lines leave it in WORKDIR."""
    for kind, value in _dockerfile():
        if kind != "COPY":
            continue
        *sources, dest = shlex.split(value)
        for source in sources:
            src = REPO / source
            to = target / (dest if not dest.endswith("/") and dest != "./"
                           else Path(dest) / src.name)
            if src.is_dir():
                shutil.copytree(src, to, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                to.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(src, to)


async def _wait_healthy(bin_dir: Path, env: dict[str, str], cwd: Path,
                        worker: asyncio.subprocess.Process) -> str:
    for _ in range(120):
        assert worker.returncode is None, "the worker stopped"
        code, out = await _run(str(bin_dir / "dahar-ngopi"), "health", env=env, cwd=cwd,
                               timeout=60)
        if code == 0:
            return out
        await asyncio.sleep(0.5)
    raise AssertionError(f"never healthy: {out}")


@pytest.mark.slow
@pytest.mark.timeout(1200)
async def test_the_images_install_and_entry_steps_work(tmp_path: Path) -> None:
    app, venv = tmp_path / "app", tmp_path / "venv"
    _context(app)
    code, out = await _run(sys.executable, "-m", "venv", str(venv), env=dict(os.environ),
                           cwd=tmp_path)
    assert code == 0, out
    # The venv's pip takes the Dockerfile's place of the image's; no PYTHONPATH to the repo.
    env = {"PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '')}",
           "HOME": os.environ.get("HOME", str(tmp_path)), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    for kind, value in _dockerfile():
        if kind == "RUN" and value.startswith("pip "):
            code, out = await _run(*shlex.split(value), env=env, cwd=app)
            assert code == 0, out[-3000:]
    bin_dir = venv / "bin"
    code, out = await _run(str(bin_dir / "dahar-ngopi"), "--help", env=env, cwd=tmp_path)
    assert code == 0 and "backup" in out and "worker" in out

    backend = "postgres" if PG_URL else "sqlite"
    async with database(backend, tmp_path, migrated=False) as url, FakeTelegram() as tg:
        env |= {"DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": tg.token, "ADMIN_HTTP_PORT": "0",
                "TELEGRAM_API_URL": tg.url, "BACKUP_DIR": str(tmp_path / "backups")}
        # The compose file's `migrate` service, then its `worker`, from the installed package.
        code, out = await _run(str(bin_dir / "dahar-ngopi"), "db", "upgrade", env=env,
                               cwd=tmp_path)
        assert code == 0 and "database is up to date" in out, out
        worker = await asyncio.create_subprocess_exec(
            str(bin_dir / "dahar-ngopi"), "worker", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        try:
            said = (await _wait_healthy(bin_dir, env, tmp_path, worker)).splitlines()
            # Every command names its database first (on stderr), then says what it found.
            assert said[0].startswith("dahar-ngopi: database ") and said[-1].startswith(
                "ok: worker pid")
            code, out = await _run(str(bin_dir / "dahar-ngopi"), "backup", env=env,
                                   cwd=tmp_path)
            assert code == 0 and "backup written" in out, out
        finally:
            if worker.returncode is None:
                worker.send_signal(signal.SIGTERM)
            log, _ = await asyncio.wait_for(worker.communicate(), 30)
        assert worker.returncode == 0, log.decode()[-3000:]
        code, out = await _run(str(bin_dir / "dahar-ngopi"), "health", env=env, cwd=tmp_path)
        assert code == 1 and "no run or worker process" in out
