"""liqwatch's local exchange simulator: every venue's real WebSocket protocol and REST endpoints on
127.0.0.1, fed by a seeded scenario tape or by replayed capture journals, with fault injection.

    from liqwatch.sim import SimConfig, Simulator

    sim = Simulator(SimConfig(scenario="crash", speed=60, seed=7, faults="drop-every=500"))
    await sim.start()
    sim.urls        # {"binance_usdm": "ws://127.0.0.1:PORT/market/stream", "bybit.linear": …}
    sim.rest_urls   # {"okx": "http://127.0.0.1:PORT", "deribit": "http://127.0.0.1:PORT/api/v2", …}
    sim.sent        # frames delivered so far
    await sim.stop()

Layout: pure parts — `markets` (the simulated instruments and what a liquidation on them is worth),
`model` (truth liquidations, tape pushes), `tape` (seeded scenario tapes, prices), `encode` (per-venue
wire encoders, the inverse of each venue's parse), `protocol` (per-venue session state machines:
paths, acks, keep-alives, snapshots, idle rules), `rest` (REST answers), `faults` (the --faults syntax
and plans); I/O — `server` (websockets servers with REST through `process_request`, the feed, the
fault injector, the sent-log, journal replay) and `console` (`liqwatch sim`).
The --faults syntax is documented in `liqwatch.sim.faults`.

Extras beyond the API above: `SimConfig.tick_s` (companion-stream cadence, wall seconds) and
`SimConfig.start_ms` (the tape's exchange clock start); `Simulator.tape_now()`, `pause()` (stop
publishing, keep connections: tests drain a client with it), `run_flags()`, `status()`,
`sent_by_venue`, `faults_applied`, `replay_done`.
"""

from liqwatch.sim.faults import FaultError, FaultPlan
from liqwatch.sim.server import SimConfig, Simulator
from liqwatch.sim.tape import SCENARIOS

__all__ = ["SCENARIOS", "FaultError", "FaultPlan", "SimConfig", "Simulator"]
