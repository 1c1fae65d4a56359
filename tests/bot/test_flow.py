"""One flow control per channel, shared through the database: pauses and the broadcast rate."""

from __future__ import annotations

import asyncio
import time

from bot.flow import ChannelFlow
from bot.pacing import ChannelLimits, ChatPacer
from db.engine import Sessions, create_engine, create_sessions


def second_process(sessions: Sessions) -> tuple[Sessions, object]:
    """Another engine on the same database: what a second process would have."""
    engine = create_engine(sessions.kw["bind"].url.render_as_string(hide_password=False))
    return create_sessions(engine), engine


async def test_a_429_pauses_every_sender_of_the_channel(sessions: Sessions) -> None:
    other_sessions, engine = second_process(sessions)
    here = ChannelFlow(sessions, "telegram", ChannelLimits(), refresh=0.05)
    there = ChannelFlow(other_sessions, "telegram", ChannelLimits(), refresh=0.05)
    whatsapp = ChannelFlow(other_sessions, "whatsapp", ChannelLimits(), refresh=0.05)
    for flow in (here, there, whatsapp):
        await flow.start()
    try:
        await here.pause(2.0)
        assert here.paused_for() > 1.5
        for _ in range(100):  # the other process reads the shared row
            if there.paused_for() > 0:
                break
            await asyncio.sleep(0.02)
        assert 1.0 < there.paused_for() <= 2.0
        assert whatsapp.paused_for() == 0  # another channel goes on
        await there.pause(0.5)  # a shorter pause does not cut the longer one short
        assert there.paused_for() > 1.0
    finally:
        for flow in (here, there, whatsapp):
            await flow.stop()
        await engine.dispose()  # type: ignore[attr-defined]


async def test_the_broadcast_rate_holds_for_all_processes_together(sessions: Sessions) -> None:
    other_sessions, engine = second_process(sessions)
    flows = [ChannelFlow(s, "telegram", ChannelLimits(rate=40, chat_rate=None))
             for s in (sessions, other_sessions, sessions)]
    sent: list[float] = []

    async def send_for(flow: ChannelFlow, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            await flow.broadcast_slot()
            sent.append(time.monotonic())

    try:
        await asyncio.gather(*(send_for(flow, 2.0) for flow in flows))
    finally:
        await engine.dispose()  # type: ignore[attr-defined]
    sent.sort()
    # Three senders at 40/s each would send ~240 in 2 s; together they keep to 40/s.
    assert 60 <= len(sent) <= 95
    busiest = max(sum(1 for t in sent if a <= t < a + 1.0) for a in sent)
    assert busiest <= 44


def test_a_chat_gets_a_short_burst_then_its_pace() -> None:
    pacer = ChatPacer(1.0)
    assert [pacer.book("c", 10.0, burst=3) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert pacer.book("c", 10.0, burst=3) == 1.0
    assert pacer.delay("d", 10.0) == 0.0  # another chat does not wait
    strict = ChatPacer(0.25)
    assert [strict.book("c", 0.0) for _ in range(3)] == [0.0, 0.25, 0.5]
    strict.hold("c", 5.0)  # the platform asked this chat to wait
    assert strict.delay("c", 1.0) == 4.0
