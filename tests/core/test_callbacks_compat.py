"""Buttons already in people's hands keep working after an upgrade: every callback prefix of
the release before the restructuring (commit 124cd00) still exists with the same fields, and
its signed data is byte-identical (literals made with that release's own code)."""

from __future__ import annotations

from dataclasses import fields
from typing import get_type_hints

import pytest

from core.callbacks import CallbackData, Signer
from handlers import default_routers

# prefix -> (class name then, fields in order with their types), read from 124cd00's source.
RELEASED: dict[str, list[tuple[str, type]]] = {
    "aex": [("period", str), ("fmt", str)],
    "ana": [("ann", int), ("kind", str)],
    "anc": [("ann", int), ("when", str)],
    "anp": [("ann", int), ("key", str), ("value", str)],
    "ans": [("ann", int)],
    "anx": [("ann", int)],
    "ast": [("session", int)],
    "att": [("session", int)],
    "chm": [],
    "chp": [("channel", str)],
    "del": [("yes", bool)],
    "fqd": [("entry", str), ("yes", bool)],
    "fqe": [("entry", str), ("field", str)],
    "fqn": [("lookup", int)],
    "fqp": [("lookup", int), ("entry", str)],
    "fqv": [("lookup", int), ("helpful", bool)],
    "lnk": [("code_id", int), ("keep_code_side", bool)],
    "pfe": [("field", str)],
    "pgt": [("what", str), ("key", str)],
    "qa": [("question", int)],
    "qf": [("question", int)],
    "qr": [("question", int)],
    "qs": [("lookup", int)],
    "rgc": [("yes", bool)],
    "rgr": [("code", str)],
    "rgs": [],
    "rgt": [("tz", str)],
}

# (owner, payload, the signed data 124cd00's Signer made with the key below)
SIGNED = [
    ("42", "att:17", "6awC8bXz.att:17"),
    ("", "anc:3:now", "gO9i6cEC.anc:3:now"),
    ("7", "fqv:120:1", "t1OV8HcJ.fqv:120:1"),
    ("42", "rgr:3578", "AtEaTpZ5.rgr:3578"),
]


def _current() -> dict[str, type[CallbackData]]:
    # Every router's callback classes, as the dispatcher registers them.
    assert default_routers()
    found: dict[str, type[CallbackData]] = {}
    todo = list(CallbackData.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        prefix = getattr(cls, "prefix", None)
        if isinstance(prefix, str) and not cls.__module__.startswith("tests."):
            assert prefix not in found or found[prefix] is cls, f"prefix {prefix!r} used twice"
            found[prefix] = cls
    return found


@pytest.mark.parametrize("prefix", sorted(RELEASED))
def test_every_released_prefix_keeps_its_fields(prefix: str) -> None:
    cls = _current().get(prefix)
    assert cls is not None, f"buttons with prefix {prefix!r} would stop working"
    hints = get_type_hints(cls)
    now = [(f.name, hints[f.name]) for f in fields(cls)]
    assert now == RELEASED[prefix]


@pytest.mark.parametrize(("owner", "payload", "data"), SIGNED)
def test_signed_data_is_byte_identical(owner: str, payload: str, data: str) -> None:
    signer = Signer(b"release-key-2026")
    assert signer.sign(owner, payload) == data
    assert signer.verify(owner, data) == payload
    cls = _current()[payload.split(":", 1)[0]]
    assert cls.unpack(payload).pack() == payload
