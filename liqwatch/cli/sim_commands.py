"""The local exchange simulator: sim."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from liqwatch.cli.common import app, csv_list, err, fail, time_option
from liqwatch.venues import VENUE_IDS
from liqwatch.venues.lifecycle import LIVE_VENUE_IDS


@app.command()
def sim(
    venues: Annotated[
        str | None, typer.Option(help="Venue ids to simulate, comma-separated (default: all; also hyperliquid).")
    ] = None,
    scenario: Annotated[str, typer.Option(help="Scenario tape: calm, squeeze, cascade or crash.")] = "calm",
    seed: Annotated[int, typer.Option(help="Seed of the scenario and of the faults (same seed, same tape).")] = 1,
    speed: Annotated[float, typer.Option(help="Tape time runs this many times faster than the clock.")] = 1.0,
    replay: Annotated[
        list[Path] | None,
        typer.Option(
            "--replay", help="Replay a capture journal instead of a scenario (repeatable).", show_default=False
        ),
    ] = None,
    faults: Annotated[
        str,
        typer.Option(
            help="Faults, e.g. drop-every=500,silent=okx,garbage=0.01,rest-5xx=0.2@bybit "
            "(NAME[=VALUE][@VENUE[+VENUE…]]; see `python -m pydoc liqwatch.sim.faults`)."
        ),
    ] = "",
    sent_log: Annotated[
        Path | None, typer.Option("--sent-log", help="Record every frame delivered, as a capture journal.")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="First port (one per venue, in order); 0: free ports.")] = 0,
    start: Annotated[str | None, typer.Option(help="Tape start TIME (default: now; replays: the first frame).")] = None,
    hyperliquid_node_dir: Annotated[
        Path | None,
        typer.Option(
            "--hyperliquid-node-dir",
            help="Also act as a Hyperliquid node: write its liquidations as node fills files under DIR "
            "(node_fills_by_block/hourly/…), for `liqwatch run --hyperliquid-node-dir DIR`.",
        ),
    ] = None,
) -> None:
    """Local exchange simulator: every venue's real WebSocket protocol and REST API on 127.0.0.1, with faults.

    Prints the `liqwatch run` command that points the collector at it, then runs until Ctrl-C.

    Faults (comma-separated NAME[=VALUE][@VENUE[+VENUE…]]): drop-every=N, drop=P, silent, garbage=P,
    truncate=P, impossible=P, stall=S[:N], slow=S, restart=S[:D], lifetime=S, idle=S, rest-429=P,
    rest-5xx=P, no-pong, reject=P (N frames, P probability, S and D seconds).
    """
    from liqwatch.sim import FaultError, FaultPlan, SimConfig
    from liqwatch.sim.console import serve
    from liqwatch.sim.protocol import SIM_VENUES
    from liqwatch.sim.server import WEBSOCKET_VENUES

    chosen = csv_list(venues) or tuple(v for v in WEBSOCKET_VENUES if v in LIVE_VENUE_IDS)
    unknown = [v for v in chosen if v not in VENUE_IDS and v not in SIM_VENUES]
    if unknown:
        raise fail(f"--venues: unknown venue {', '.join(unknown)} (known: {', '.join((*VENUE_IDS, *SIM_VENUES))})")
    missing = [str(f) for f in replay or [] if not f.is_file()]
    if missing:
        raise fail(f"--replay: no such file: {', '.join(missing)}")
    try:
        config = SimConfig(
            venues=tuple(chosen),
            scenario=scenario,
            seed=seed,
            speed=speed,
            replay=tuple(replay or ()),
            faults=faults,
            sent_log=sent_log,
            host=host,
            port=port,
            start_ms=time_option(start, "--start"),
            hyperliquid_node_dir=hyperliquid_node_dir,
        )
        FaultPlan.parse(faults, seed, chosen)
    except FaultError as exc:
        raise fail(f"--faults: {exc}") from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    status = serve(config, err=err)
    if status:
        raise typer.Exit(status)
