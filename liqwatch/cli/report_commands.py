"""The news-style article: report."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from liqwatch.cli.common import DbOption, app, err, fail, open_store, settings_from, time_option


@app.command()
def report(
    db: DbOption = None,
    at: Annotated[str | None, typer.Option(help="End of the window, TIME (default: now).")] = None,
    window: Annotated[str, typer.Option(help="The article's window: 24h (default), or e.g. 1h, 4h, 12h, 7d.")] = "24h",
    fmt: Annotated[str, typer.Option("--format", help="md, html or json.")] = "md",
    out_file: Annotated[Path | None, typer.Option("--out", help="Write to FILE instead of stdout.")] = None,
    fetch_prices: Annotated[
        bool,
        typer.Option("--fetch-prices", help="First fetch candles (klines) from the venues' REST APIs into the store."),
    ] = False,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="A calendar period instead of --window: day, weekend, week or month (the last one ended by --at), "
            "ranked against the same kind of period.",
        ),
    ] = None,
) -> None:
    """The news-style article: totals, sides, timeframes, coins, largest order, prices, ranks, signals, data note."""
    from liqwatch.analytics.summary import parse_window
    from liqwatch.report.build import build
    from liqwatch.report.collect import collect
    from liqwatch.report.render import FORMATS, render

    if fmt not in FORMATS:
        raise fail(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    try:
        span = parse_window(window)
    except ValueError as exc:
        raise fail(f"--window: {exc}") from None
    end = time_option(at, "--at")
    if end is None:
        end = int(time.time() * 1000)
    kind = None
    if period is not None:
        from liqwatch.analytics.basis import KINDS, period_window

        if period not in KINDS:
            raise fail(f"--period: {period!r} is not one of {', '.join(KINDS)}")
        kind = period
        span, end = period_window(kind, end)
    settings = settings_from(db)
    with open_store(settings, read_only=not fetch_prices) as store:
        if fetch_prices:
            from liqwatch.feed.prices import fetch_into

            fetched = fetch_into(store, end, span[1], console=err, rest_urls=settings.rest_urls)
            err.print(fetched.describe(), highlight=False)
        text = render(build(collect(store, end, span, kind)), fmt)
    if out_file is None:
        sys.stdout.write(text)
    else:
        try:
            out_file.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise fail(f"--out: cannot write {out_file}: {exc.strerror or exc}") from None
        err.print(f"wrote {out_file}", highlight=False)
