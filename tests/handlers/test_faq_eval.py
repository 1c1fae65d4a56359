"""The FAQ matcher measured on the labelled eval set: right answers in scope, none out of scope.

Run with `-s` to see the figures. Strict scoring: an in-scope question counts as right only
when the matcher gives a clear single answer with the labelled entry (offering candidates
counts as wrong); an out-of-scope question counts as a false answer whenever the matcher
returns anything but "none" (a single answer or candidates).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from handlers.faq_match import FaqIndex, default_entries
from handlers.faq_normalize import normalize

EVAL = Path(__file__).resolve().parents[1] / "data" / "faq_eval.yaml"
MIN_ACCURACY = 0.90
MAX_FALSE_ANSWERS = 0.05


@pytest.fixture(scope="module")
def index() -> FaqIndex:
    return FaqIndex(default_entries())


@pytest.fixture(scope="module")
def items() -> list[dict[str, Any]]:
    data = yaml.safe_load(EVAL.read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


def test_eval_set_is_large_and_labelled_with_real_entries(
    index: FaqIndex, items: list[dict[str, Any]]
) -> None:
    ids = {e.id for e in index.entries}
    in_scope = [i for i in items if i["id"] is not None]
    assert len(in_scope) >= 170
    assert len(items) - len(in_scope) >= 35
    assert {i["id"] for i in in_scope} == ids  # every entry is asked about, no unknown label
    assert len({i["q"] for i in items}) == len(items)


def test_eval_questions_are_not_the_entries_own_wording(
    index: FaqIndex, items: list[dict[str, Any]]
) -> None:
    own = {normalize(t) for e in index.entries for t in (e.question, *e.phrasings)}
    copied = [i["q"] for i in items if normalize(i["q"]) in own]
    assert copied == []


def test_accuracy_in_scope_and_false_answers_out_of_scope(
    index: FaqIndex, items: list[dict[str, Any]]
) -> None:
    right = offered_right = 0
    misses: list[str] = []
    in_scope = [i for i in items if i["id"] is not None]
    out_of_scope = [i["q"] for i in items if i["id"] is None]
    for item in in_scope:
        result = index.match(item["q"])
        if result.kind == "single" and result.ids == (item["id"],):
            right += 1
        else:
            offered_right += result.kind == "several" and item["id"] in result.ids
            misses.append(f"  {item['q']!r}: want {item['id']}, got {result.kind} {result.ids}")
    answered = [(q, index.match(q)) for q in out_of_scope]
    false = [f"  {q!r}: got {r.kind} {r.ids}" for q, r in answered if r.kind != "none"]
    accuracy = right / len(in_scope)
    false_rate = len(false) / len(out_of_scope)
    print(f"\nFAQ eval: in scope {right}/{len(in_scope)} = {accuracy:.1%} clear and right "
          f"({offered_right} more offered among candidates, counted wrong)")
    print(f"FAQ eval: out of scope {len(false)}/{len(out_of_scope)} = {false_rate:.1%} "
          "not answered with 'none'")
    print("misses:", *misses, sep="\n")
    print("false answers:", *false, sep="\n")
    assert accuracy >= MIN_ACCURACY
    assert false_rate <= MAX_FALSE_ANSWERS
