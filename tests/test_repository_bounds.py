"""No test or benchmark reads outside the repository: a clone made anywhere, with no
folder beside it, passes `make test` (the WhatsApp samples once came from ../shared/).

A static check over every Python file: no path literal climbs with "..", no
`Path(__file__)` chain climbs above the repository's root, and nothing starts from the home
folder."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_CLIMB = re.compile(r"(^|[/\\])\.\.[/\\]|[/\\]\.\.$")


def _python_files() -> list[Path]:
    """The tests and the tools (benchmarks): the bot itself reads what its settings name."""
    listed = subprocess.run(["git", "ls-files", "tests/*.py", "bench/*.py"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    if listed.returncode == 0 and listed.stdout.strip():
        return [ROOT / line for line in listed.stdout.splitlines()]
    return [p for folder in ("tests", "bench") for p in (ROOT / folder).rglob("*.py")]


def _levels_up(node: ast.expr) -> int | None:
    """How far up from the file a `Path(__file__)...` (or os.path.dirname) chain goes; None
    when the expression does not start from __file__."""
    if isinstance(node, ast.Name):
        return 0 if node.id == "__file__" else None
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id == "Path" and node.args:
            return _levels_up(node.args[0])
        if isinstance(func, ast.Attribute):
            if func.attr == "dirname" and node.args:
                inner = _levels_up(node.args[0])
                return None if inner is None else inner + 1
            if func.attr in ("resolve", "absolute"):
                return _levels_up(func.value)
        return None
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        inner = _levels_up(node.value)
        return None if inner is None else inner + 1
    if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute)
            and node.value.attr == "parents" and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, int)):
        inner = _levels_up(node.value.value)
        return None if inner is None else inner + node.slice.value + 1
    return None


def _outside(path: Path, root: Path = ROOT) -> list[str]:
    """Where `path` reaches outside the repository at `root`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    relative = path.relative_to(root)
    to_root = len(relative.parts)  # levels from the file up to the repository's root
    found: list[str] = []
    for node in ast.walk(tree):
        where = f"{relative}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and _CLIMB.search(node.value) and len(node.value) < 300:
            found.append(f"{where}: path climbs with '..': {node.value!r}")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) \
                and isinstance(node.right, ast.Constant) and node.right.value == "..":
            found.append(f"{where}: path climbs with / '..'")
        elif isinstance(node, ast.Attribute | ast.Subscript):
            levels = _levels_up(node)
            if levels is not None and levels > to_root:
                found.append(f"{where}: goes {levels} levels up from the file, "
                             f"above the repository ({to_root})")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("home", "expanduser"):
            found.append(f"{where}: starts from the home folder")
    return sorted(found, key=lambda line: int(line.split(":")[1]))


def test_the_checker_sees_a_path_that_leaves_the_repository(tmp_path: Path) -> None:
    probe = tmp_path / "tests" / "probe.py"  # as if at tests/probe.py of a repository
    probe.parent.mkdir()
    probe.write_text(
        'from pathlib import Path\n'
        'A = Path("../shared/whatsapp-webhook-samples")\n'
        'B = Path(__file__).resolve().parents[2] / "shared"\n'
        'C = Path(__file__).parent.parent / "data"\n'
        'D = Path(__file__).parent.parent / ".."\n'
        'E = f"presensi {A}..{B}"\n'
        'F = Path.home() / "samples"\n',
        encoding="utf-8",
    )
    found = _outside(probe, tmp_path)
    assert [line.split(":")[1] for line in found] == ["2", "3", "5", "7"], found
    assert "climbs with '..'" in found[0] and "3 levels up" in found[1]
    assert "climbs with / '..'" in found[2] and "home folder" in found[3]


def test_no_file_reads_outside_the_repository() -> None:
    found = [line for path in _python_files() if path.is_file() for line in _outside(path)]
    assert found == []
