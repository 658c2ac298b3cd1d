"""`liqwatch backfill`: history from public sources (sources.py: pure URLs and requests; events.py:
Tardis, OKX, Deribit events; aggregate.py: Coinalyze, CoinGlass; prices.py: klines; common.py:
report, progress, retries)."""
