"""The `import` and `reprice` commands' work: files → kinds → the importer → one-line messages.

Exit codes: 0 imported (dead letters are reported, not fatal); 1 a file of which not one line could
be read; 2 a path that cannot be imported at all (nothing is imported then); 3 the import stopped
part-way (the store failed: disk full, …; a worker process died): the batches written before it
are kept, and importing again finishes.
"""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from rich.markup import escape

from liqwatch import import_kinds
from liqwatch.config import Settings
from liqwatch.feed.instruments import read_cache
from liqwatch.importer import ImportReport, import_files
from liqwatch.instruments import bundled
from liqwatch.store.base import StoreError


def import_paths(
    settings: Settings,
    paths: list[Path],
    *,
    quiet: bool,
    verb: str,
    coin: str | None = None,
    workers: int | None = None,
) -> None:
    """`liqwatch import` (verb "import") and `liqwatch reprice` (verb "reprice") of `paths`;
    `coin`: the coin of a CoinGlass file whose name does not say it; `workers`: see import_files."""
    from liqwatch.cli.common import err, fail, open_store
    from liqwatch.state_files import where_now

    files, refused = import_kinds.expand([where_now(path, settings) for path in paths])
    for path in files:
        if path.resolve() == settings.dead_letters.resolve():
            refused.append(f"{path}: the dead-letter file this import writes to")
            continue
        try:
            import_kinds.kind_of(path)
        except import_kinds.Unreadable as exc:
            refused.append(f"{path}: {exc}")
        except OSError as exc:
            refused.append(f"{path}: cannot read: {exc.strerror or exc}")
    if refused:
        for line in refused[1:]:
            err.print(f"liqwatch: {line}", highlight=False, markup=False, soft_wrap=True)
        raise fail(escape(f"{refused[0]} (nothing {'imported' if verb == 'import' else 'repriced'})"), code=2)
    catalogue = bundled()
    cached = read_cache(settings.instruments_cache)
    if cached is not None:
        catalogue.update(cached.instruments())
    with open_store(settings, must_exist=verb != "import") as store:
        try:
            report: ImportReport = import_files(
                files,
                store,
                catalogue=catalogue,
                dead_letters=settings.dead_letters,
                progress=not quiet and err.is_terminal,
                coin=coin,
                max_ahead_ms=int(settings.max_event_ahead_s * 1000),
                workers=workers,
            )
        except StoreError as exc:  # the store's own failure (disk full, …): what was written stays
            raise fail(
                escape(f"{exc} (batches written before it are stored; import again to finish)"), code=3
            ) from None
        except BrokenProcessPool:  # a worker killed (out of memory, …): what was written stays
            raise fail(
                "a worker process of the import died (killed, or out of memory?); batches written before it are "
                "stored: import again to finish, with --workers 1 or 0 to use less memory",
                code=3,
            ) from None
        still = store.unpriced_count() if verb == "reprice" else None
    err.print(report.describe(), highlight=False, markup=False, soft_wrap=True)
    if still is not None:
        err.print(
            f"repriced {report.repriced:,} stored events; {still:,} stored events remain unpriced",
            highlight=False,
            soft_wrap=True,
        )
    for problem in report.problems[:20]:
        err.print(f"  [yellow]skipped[/] {escape(problem)}", highlight=False, soft_wrap=True)
    more = report.more(20)
    if more:
        where = f" (see {settings.dead_letters})" if report.dead_letter_count else ""
        err.print(f"  … and {more:,} more{where}", highlight=False, markup=False, soft_wrap=True)
    if report.unreadable:
        shown = "; ".join(report.unreadable[:3]) + (" …" if len(report.unreadable) > 3 else "")
        raise fail(escape(f"unreadable: {shown}"), code=1)
