"""Every setting is documented in .env.example (the operator's list of what can be set)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def test_every_setting_has_a_line_in_env_example() -> None:
    text = (REPO / ".env.example").read_text()
    documented = {m.lower() for m in re.findall(r"^([A-Z][A-Z0-9_]*)=", text, re.MULTILINE)}
    missing = sorted(name.upper() for name in Settings.model_fields if name not in documented)
    assert missing == []
