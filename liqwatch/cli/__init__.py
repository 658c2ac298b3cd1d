"""The command line: flags → Settings → objects → output. Thin on purpose.

One module per command group (store_commands, live_commands, report_commands, sim_commands,
levels, wallets, history, backfill; importing holds import and reprice's work); common.py holds
what they share. Modules import common, never this package: no import circles.
"""

from __future__ import annotations

import sys

from liqwatch.cli import live_commands, report_commands, sim_commands, store_commands
from liqwatch.cli.backfill import backfill_app
from liqwatch.cli.common import UsageError, app, err
from liqwatch.cli.history import history_app
from liqwatch.cli.levels import levels_app
from liqwatch.cli.wallets import wallets_app

COMMAND_MODULES = (store_commands, live_commands, report_commands, sim_commands)  # they register on `app`

app.add_typer(levels_app, name="levels")
app.add_typer(history_app, name="history")
app.add_typer(backfill_app, name="backfill")
app.add_typer(wallets_app, name="wallets")


def main() -> None:
    try:
        app()
    except UsageError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)


__all__ = ["app", "main"]
