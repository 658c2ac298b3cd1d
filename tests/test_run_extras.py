"""End to end: what `liqwatch run` does beside collecting, against the simulator, from one config file.

Alerts go to a real local webhook receiver (signed), the watched Hyperliquid wallets chosen by the
leaderboard rule are polled from the simulator's POST /info into the store, and klines and open
interest are polled for the levels model (hourly) and the dashboard's price line (five-minute bars);
/metrics counts the alerts. Everything is read back from the store after a clean stop.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import signal
import sys
from pathlib import Path

import httpx

from liqwatch import queries
from liqwatch.sim import SimConfig, Simulator
from liqwatch.store.duckdb import DuckDBStore
from tests.alerts.servers import Recorder
from tests.web.test_run_serves import ENV, drain, read_address

VENUES = ("binance_usdm", "okx", "hyperliquid")
SECRET = "test-secret"
H = 3_600_000


def config_text(hook: str) -> str:
    return f"""
market_coins = "BTC,ETH"
market_poll_s = 3600

[alerts]
tick = "200ms"

[alerts.sinks.hook]
type = "webhook"
url = "{hook}"
secret = "{SECRET}"

[[alerts.rules]]
name = "every-order"
kind = "order"
above_usd = 1

[wallets]
interval_s = 1

[wallets.leaderboard]
min_all_time_pnl = 0
min_month_volume = 0
min_account_value = 0
max_wallets = 8
"""


def test_run_sends_alerts_polls_wallets_and_market_data(tmp_path: Path) -> None:
    db = tmp_path / "live.duckdb"
    config = tmp_path / "liqwatch.toml"

    async def main(hook: Recorder) -> str:
        config.write_text(config_text(hook.url))
        sim_config = SimConfig(venues=VENUES, scenario="crash", seed=5, speed=60, tick_s=0.2)
        async with Simulator(sim_config) as sim:
            command = [sys.executable, "-m", "liqwatch", "run", "--db", str(db), "--config", str(config)]
            command += ["--port", "0", *sim.run_flags()]
            process = await asyncio.create_subprocess_exec(
                *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=ENV
            )
            lines: list[str] = []
            try:
                url = await read_address(process, lines)
                drainer = asyncio.create_task(drain(process, lines))
                async with httpx.AsyncClient(base_url=url, timeout=30) as client, asyncio.timeout(90):
                    while True:
                        metrics = (await client.get("/metrics")).text
                        sent = re.search(r"^liqwatch_alerts_sent_total (\d+)", metrics, re.M)
                        polled = "wallets: watching" in "".join(lines)
                        if sent and int(sent.group(1)) >= 1 and polled and hook.requests:
                            break
                        await asyncio.sleep(0.3)
                await asyncio.sleep(2.5)  # a couple of wallet poll cycles
            finally:
                process.send_signal(signal.SIGINT)
                await asyncio.wait_for(process.wait(), 60)
            drainer.cancel()
            assert process.returncode == 0, "".join(lines)
            return "".join(lines)

    with Recorder() as hook:
        log = asyncio.run(main(hook))
        received = list(hook.requests)

    alert = received[0]
    signature = hmac.new(SECRET.encode(), alert.body, hashlib.sha256).hexdigest()
    assert alert.headers["x-liqwatch-signature"] == f"sha256={signature}"
    assert alert.json()["rule"] == "every-order"
    assert "alerts on (1 rules)" in log

    store = DuckDBStore(str(db))
    try:
        positions = queries.wallet_positions(store, max_age_ms=None)
        assert len({p.wallet for p in positions}) >= 1
        assert {p.set_hash for p in positions} and all(p.set_hash for p in positions)
        for interval in (H, 300_000):
            venues = {c.venue for c in store.candles("BTC", interval)}
            assert venues == {"binance_usdm", "okx"}, (interval, venues)
        assert {s.venue for s in store.stats("BTC", "open_interest_usd")} == {"binance_usdm", "okx"}
        stored = {e.id for e in queries.events(store)}
        alerted = {a.json()["fields"]["id"] for a in received}
        assert alerted and alerted <= stored  # each alert names a stored liquidation
    finally:
        store.close()
