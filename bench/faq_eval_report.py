"""Print the FAQ matcher's figures on the labelled eval set and list every miss (for tuning)."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from handlers.faq_match import FaqIndex, default_entries


def main(path: str = "tests/data/faq_eval.yaml") -> None:
    """Run the eval set through the shipped knowledge base and report."""
    index = FaqIndex(default_entries())
    items = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    ins = [(i["q"], i["id"]) for i in items if i["id"]]
    oos = [i["q"] for i in items if not i["id"]]
    right = several_right = 0
    for q, want in ins:
        r = index.match(q)
        if r.kind == "single" and r.ids[0] == want:
            right += 1
            continue
        if r.kind == "several" and want in r.ids:
            several_right += 1
        print(f"MISS {q!r}: want {want}, got {r.kind} {r.ids} {r.score:.2f}  "
              f"top={index.rank(q)[:3]}")
    answered = offered = 0
    for q in oos:
        r = index.match(q)
        if r.kind != "none":
            answered += r.kind == "single"
            offered += r.kind == "several"
            print(f"OOS  {q!r}: got {r.kind} {r.ids} {r.score:.2f}")
    print(f"in scope: {right}/{len(ins)} = {right / len(ins):.1%} clear and right; "
          f"{several_right} more among candidates")
    print(f"out of scope: {answered} answered, {offered} offered candidates, of {len(oos)}")


if __name__ == "__main__":
    main(*sys.argv[1:])
