"""The intent question set: calendar and personal questions, with their expected facts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.auxil.intent_facts import (
    LATER,
    PERSONAL,
    absent_for,
    calendar_rows,
    facts_for,
    load_eval,
)


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return load_eval()


def test_question_set_is_large_and_covers_the_three_zones(data: dict[str, Any]) -> None:
    items = data["items"]
    scored = [i for i in items if i["ask"] not in LATER]
    assert len(scored) >= 150
    assert len({i["q"] for i in items}) == len(items)
    assert {data["people"][i["who"]]["tz"] for i in scored} == {"WIB", "WITA", "WIT"}
    personal = [i for i in scored if i["ask"] in PERSONAL]
    assert len(personal) >= 25 and len(scored) - len(personal) >= 125


def test_facts_are_those_of_the_calendar(data: dict[str, Any]) -> None:
    rows = calendar_rows()
    for item in data["items"]:
        assert item.get("facts", []) == facts_for(item, data["people"], rows), item["q"]
        assert item.get("absent", []) == absent_for(item, rows), item["q"]
        if item["ask"] not in LATER:
            assert item["facts"], item["q"]
