"""`liqwatch sim`: run the simulator in the foreground until Ctrl-C (or SIGTERM)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shlex
import signal
import sys
from typing import TextIO

from rich.console import Console

from liqwatch.sim.server import SimConfig, Simulator
from liqwatch.timeparse import iso

STATUS_EVERY_S = 10.0


def run_command(sim: Simulator) -> str:
    """The `liqwatch run …` command line that points the collector at `sim` (shell-quoted)."""
    return shlex.join(["liqwatch", "run", *sim.run_flags()])


def serve(config: SimConfig, *, out: TextIO | None = None, err: Console | None = None) -> int:
    """Start the simulator, print how to point the collector at it, run until interrupted."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else Console(stderr=True)
    logging.getLogger("liqwatch.sim").setLevel(logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(_serve(config, out, err))
    return 0


async def _serve(config: SimConfig, out: TextIO, err: Console) -> int:
    main = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, lambda: main.cancel() if main else None)
    sim = Simulator(config)
    try:
        await sim.start()
    except OSError as exc:  # a port in use, an address not ours, an unreadable replay file
        err.print(f"liqwatch sim: cannot start: {exc}", highlight=False, soft_wrap=True)
        return 1
    try:
        source = (
            f"replaying {len(config.replay)} journal(s)"
            if config.replay
            else f"scenario {config.scenario}, seed {config.seed}"
        )
        err.print(
            f"liqwatch sim: {source}, speed {config.speed:g}×, faults: {sim.plan.describe()}",
            highlight=False,
            soft_wrap=True,
        )
        for venue in sim.servers:
            sockets = [url for key, url in sim.urls.items() if key.partition(".")[0] == venue]
            rest = sim.rest_urls.get(venue, "—")
            err.print(f"  {venue:<14} {'  '.join(sockets)}  REST {rest}", highlight=False, soft_wrap=True)
        if sim.info is not None:
            err.print(f"  hyperliquid    POST {sim.info.url}/info  (liqwatch wallets poll --url …)", highlight=False)
        if config.sent_log is not None:
            err.print(f"  sent-log: {config.sent_log}", highlight=False, soft_wrap=True)
        err.print("Point the collector at it (Ctrl-C stops the simulator):", highlight=False)
        out.write(run_command(sim) + "\n")
        out.flush()
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                await asyncio.sleep(STATUS_EVERY_S)
                err.print(status_line(sim), highlight=False, soft_wrap=True)
    finally:
        await sim.stop()
    err.print(f"liqwatch sim: stopped; {sim.sent:,} frames sent", highlight=False)
    return 0


def status_line(sim: Simulator) -> str:
    status = sim.status()
    clients = ", ".join(f"{v} {n}" for v, n in status["clients"].items() if n) or "none"
    faults = ", ".join(f"{k} {n:,}" for k, n in sorted(status["faults"].items()))
    line = f"sim: tape {iso(status['tape_ms'])}, {status['sent']:,} frames sent; clients: {clients}"
    return line + (f"; faults: {faults}" if faults else "")
