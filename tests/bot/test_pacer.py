"""The channel pacer's two rules: `rate` per (1.03 s) window, and a minimum gap."""

from __future__ import annotations

import asyncio
import itertools
import math
import time

import pytest

from bot.pacing import Pacer


def most_in_any_window(times: list[float], width: float) -> int:
    return max(sum(1 for t in times if a <= t < a + width) for a in times)


def test_even_sends_at_the_rate_wait_for_the_window() -> None:
    p = Pacer(30)
    assert p.due() == -math.inf
    for i in range(30):
        p.mark(i / 30)
    # The 31st send waits until 1.03 s after the first, not just 1/30 s after the last.
    assert p.due() == pytest.approx(1.03)


def test_a_late_send_is_caught_up_by_the_gap_not_lost() -> None:
    p = Pacer(30)
    for i in range(29):
        p.mark(i * 1.03 / 30)
    p.mark(29 * 1.03 / 30 + 0.2)  # the loop stalled 200 ms before this one left
    # Spaced from the late send by the gap (0.8/30), not by a whole interval.
    assert p.due() == pytest.approx(29 * 1.03 / 30 + 0.2 + 0.8 / 30)


def test_a_burst_is_held_to_the_gap() -> None:
    p = Pacer(30)
    p.mark(5.0)
    assert p.due() == pytest.approx(5.0 + 0.8 / 30)


def test_slow_rates_keep_one_per_window() -> None:
    p = Pacer(0.5)
    p.mark(0.0)
    assert p.due() == pytest.approx(2.06)


async def test_acquire_never_exceeds_the_rate_in_any_second_even_after_a_stall() -> None:
    loop = asyncio.get_running_loop()
    p = Pacer(50)
    times: list[float] = []
    for i in range(120):
        await p.acquire()
        times.append(loop.time())
        if i == 40:
            time.sleep(0.3)  # noqa: ASYNC251 - the loop stalls on purpose (a long write)
    assert most_in_any_window(times, 1.0) <= 50
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.8 / 50 - 0.002  # measured here, a little after the pacer marked it
