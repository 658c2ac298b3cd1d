"""The simulator's exchange clock is read by the demo's API on worker threads, not only on the loop."""

from __future__ import annotations

import asyncio

from liqwatch.sim import SimConfig, Simulator


def test_tape_time_can_be_read_from_another_thread_and_runs_at_the_speed() -> None:
    async def main() -> tuple[int, int, int]:
        async with Simulator(SimConfig(venues=("okx",), speed=1000, start_ms=1_700_000_000_000)) as sim:
            before = sim.tape_now()
            from_thread = await asyncio.to_thread(sim.tape_now)
            await asyncio.sleep(0.05)
            after = await asyncio.to_thread(sim.tape_now)
        return before, from_thread, after

    before, from_thread, after = asyncio.run(main())
    assert 1_700_000_000_000 <= before <= from_thread < after
    assert after - before >= 50 * 1000 * 0.9  # ≥ 0.05 s of wall time at 1000×


def test_a_history_is_the_same_tape_before_the_start_and_the_held_clock_waits_for_release() -> None:
    """`history_s`: what the tape publishes in the hour before start_ms comes back as journal records
    (one copy of Binance's two hosts) as it is read, the same frames the endless tape gives; the prices of that
    hour are in the book; a held clock stands at the start until `release()`."""
    from liqwatch.sim.tape import PriceBook, scenario_tape

    start, hour = 1_700_000_000_000, 3_600_000
    venues = ("binance_usdm", "binance_coinm", "okx")

    async def main() -> tuple[list[tuple[int, str, str]], list[int], float]:
        config = SimConfig(venues=venues, scenario="squeeze", speed=1000, start_ms=start, history_s=3600, held=True)
        async with Simulator(config) as sim:
            history = [(r.ts, r.venue, r.frame) for r in sim.history()]
            assert list(sim.history()) == []  # once
            held = [sim.tape_now()]
            await asyncio.sleep(0.05)
            held.append(sim.tape_now())
            sim.release()
            await asyncio.sleep(0.05)
            held.append(sim.tape_now())
            first_bar = sim.book.bars("BTC", start - hour, start - hour)[0][1]
        return history, held, first_bar

    history, held, first_bar = asyncio.run(main())
    book = PriceBook(start - hour, 1)
    expected = []
    for push in scenario_tape("squeeze", 1, venues, start - hour, book):
        if push.at >= start:
            break
        if push.venue and push.venue != "binance_coinm":
            expected.append((push.at, push.venue, push.text))
    assert history == expected and len(history) > 1000
    assert {venue for _, venue, _ in history} == {"binance_usdm", "okx"}
    assert held[0] == held[1] == start < held[2]
    assert first_bar == book.bars("BTC", start - hour, start - hour)[0][1]  # the tape's price, not made up
