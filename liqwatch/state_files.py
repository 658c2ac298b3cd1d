"""Moves a store's side files from where liqwatch kept them before into its state directory.

Before the state directory, `run`, `demo` and `import` wrote them beside the store, named after it
(./x.duckdb → ./x.journal/, ./x.status.json …), or as ./liqwatch-state/liqwatch.journal/ … for a
PostgreSQL store (config.Settings.earlier_layout). The first command that reads or writes them
after an upgrade moves them, once, and says so in one line. Nothing is lost:

- a file or directory with nothing at its new place is renamed there (atomic, same filesystem);
- a journal directory whose new place exists already is merged file by file;
- an append-only log (dead letters, gaps) present at both places becomes one log, earlier lines
  first;
- any other file present at both places keeps the new one, and the earlier one is kept under
  `<state>/earlier-layout/` (so is a journal file whose name is taken at the new place).
"""

from __future__ import annotations

import os
from pathlib import Path

from liqwatch.config import Settings

ASIDE = "earlier-layout"


class _Mover:
    def __init__(self, state: Path) -> None:
        self.state = state
        self.aside = 0

    def move(self, old: Path, new: Path) -> None:
        if not new.exists():
            os.replace(old, new)
        elif old.is_dir() and new.is_dir():
            self.merge(old, new)
        elif old.is_file() and new.is_file() and new.name.endswith(".jsonl"):
            _prepend(old, new)
        else:
            self.put_aside(old, old.name)

    def merge(self, old: Path, new: Path, where: str = "") -> None:
        where = where or old.name
        for entry in sorted(old.iterdir()):
            target = new / entry.name
            if not target.exists():
                os.replace(entry, target)
            elif entry.is_dir() and target.is_dir():
                self.merge(entry, target, f"{where}/{entry.name}")
            else:  # the same journal file name at both places: keep both, never mix their lines
                self.put_aside(entry, f"{where}/{entry.name}")
        old.rmdir()  # empty now: everything in it was moved

    def put_aside(self, path: Path, name: str) -> None:
        target = self.state / ASIDE / name
        n = 1
        while target.exists():
            n += 1
            target = target.with_name(f"{n}-{path.name}")  # the name still ends as before
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        self.aside += 1


def _prepend(old: Path, new: Path) -> None:
    """`new` becomes old's lines then its own (written whole, then renamed: never half a log)."""
    earlier = old.read_bytes()
    if earlier and not earlier.endswith(b"\n"):
        earlier += b"\n"  # a crash's partial last line stays a line of its own
    tmp = new.with_name(new.name + ".merging")
    with open(tmp, "wb") as stream:
        stream.write(earlier + new.read_bytes())
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(tmp, new)
    old.unlink()


def adopt_earlier_layout(settings: Settings) -> str | None:
    """Move the side files found at their earlier places into the state directory; one line saying
    what moved (or why something could not be), None when there was nothing to move."""
    found = [(old, new) for old, new in settings.earlier_layout().items() if old.exists()]
    if not found:
        return None
    state = settings.state
    mover = _Mover(state)
    moved: list[str] = []
    try:
        state.mkdir(parents=True, exist_ok=True)
        for old, new in found:
            mover.move(old, new)
            moved.append(old.name + ("/" if new.is_dir() else ""))
    except OSError as exc:
        done = f" (moved {', '.join(moved)})" if moved else ""
        return (
            f"liqwatch: warning: could not move {old} into {state}/: {exc.strerror or exc}{done}; "
            f"move it there by hand as {new.name}"
        )
    aside = f"; {mover.aside} earlier duplicate(s) kept in {state / ASIDE}/" if mover.aside else ""
    return f"liqwatch: moved {', '.join(moved)} into {state}/ (a store's side files now live there){aside}"


def where_now(path: Path, settings: Settings) -> Path:
    """A path named at a side file's earlier place (`import x.journal/` beside x.duckdb) → where it
    is now that it moved into the state directory; any other path as it is."""
    if path.exists():
        return path
    for old, new in settings.earlier_layout().items():
        try:
            inside = path.absolute().relative_to(old.absolute())
        except ValueError:
            continue
        if (new / inside).exists():
            return new / inside
    return path
