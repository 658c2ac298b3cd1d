"""The instrument catalogue over time: which contract size was in force when.

A store keeps every version of an instrument it priced with (store table `instrument_versions`):
the definition (coin, kind, contract size, quote, price unit) and the time span it was in force,
[valid_from, valid_to) in ms, valid_to None while it still is. The first version an instrument
gets is in force from the beginning of time (nothing earlier is known about it); a later change
starts when it was seen. So a journal imported into any store is priced with the contract sizes in
force when its frames were received, the same in every store that holds the same versions.

Pure, but for `beside_catalogue`, which reads the `instruments.json` a collector keeps next to its
journal directory in the store's state directory `<name>.state/` (see config.Settings).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from pathlib import Path

import msgspec

from liqwatch.instruments import Catalogue, Instrument

FOREVER = 2**63 - 1


class Version(msgspec.Struct, frozen=True):
    instrument: Instrument
    valid_from: int  # ms; 0: since the beginning
    valid_to: int | None = None  # ms, exclusive; None: still in force


def same_contract(a: Instrument, b: Instrument) -> bool:
    """True when both price a liquidation alike (where the definition came from does not matter)."""
    return (a.coin, a.kind, a.contract_size, a.quote, a.price_unit) == (
        b.coin,
        b.kind,
        b.contract_size,
        b.quote,
        b.price_unit,
    )


def plan(current: Iterable[Version], incoming: Iterable[Instrument], at: int | None) -> list[Version]:
    """The version rows to insert or replace so that the store's catalogue takes in `incoming`:

    - an instrument the store has no version of: a version valid from the beginning;
    - one whose current version prices alike: nothing;
    - one whose contract changed: with `at` (a collector that fetched it at that time), the current
      version ends at `at` and a new one begins there; without `at` (an import bringing a
      journal's catalogue), nothing: what the store priced with stays.
    """
    now = {(v.instrument.venue, v.instrument.symbol): v for v in current if v.valid_to is None}
    rows: list[Version] = []
    for instrument in incoming:
        key = (instrument.venue, instrument.symbol)
        old = now.get(key)
        if old is None:
            version = Version(instrument, 0)
        elif same_contract(old.instrument, instrument) or at is None or at <= old.valid_from:
            continue
        else:
            rows.append(Version(old.instrument, old.valid_from, at))
            version = Version(instrument, at)
        now[key] = version
        rows.append(version)
    return rows


class CatalogueTimeline:
    """The catalogue in force at any time: `base` (cache, bundled snapshot, a journal's own
    catalogue) overlaid with the store's versions in force at that time (the store wins)."""

    def __init__(self, base: Catalogue, versions: Sequence[Version]) -> None:
        self.base = base
        self.versions = list(versions)
        edges = {v.valid_from for v in self.versions} | {v.valid_to for v in self.versions if v.valid_to is not None}
        edges.discard(0)
        self._edges = sorted(edges)  # times at which some version starts or ends
        self._cache: dict[int, Catalogue] = {}

    def under(self, beneath: Catalogue) -> CatalogueTimeline:
        """This timeline with `beneath` layered over its base, still under the store's versions."""
        merged = Catalogue(self.base.instruments())
        merged.update(beneath.instruments())
        return CatalogueTimeline(merged, self.versions)

    def at(self, ts: int) -> tuple[Catalogue, int, int]:
        """(catalogue in force at `ts`, lo, hi): the same catalogue holds for every lo <= ts < hi."""
        index = bisect.bisect_right(self._edges, ts)
        lo = self._edges[index - 1] if index else -FOREVER
        hi = self._edges[index] if index < len(self._edges) else FOREVER
        catalogue = self._cache.get(index)
        if catalogue is None:
            if not self.versions:
                catalogue = self.base
            else:
                catalogue = Catalogue(self.base.instruments())
                catalogue.update(
                    v.instrument
                    for v in self.versions
                    if v.valid_from <= ts and (v.valid_to is None or ts < v.valid_to)
                )
            self._cache[index] = catalogue
        return catalogue, lo, hi


def beside_catalogue(journal: Path) -> Catalogue | None:
    """The catalogue a collector kept beside the journal holding `journal` (`<name>.state/journal/…`
    → `<name>.state/instruments.json`; before the state directory `<name>.journal/…` →
    `<name>.instruments.json`), or one `*.instruments.json` in the journal's own folder."""
    folder = journal.parent
    candidates: list[Path] = []
    if folder.name == "journal":
        candidates.append(folder.with_name("instruments.json"))
    elif folder.name.endswith(".journal"):
        candidates.append(folder.with_name(folder.name.removesuffix(".journal") + ".instruments.json"))
    candidates.extend(sorted(folder.glob("*.instruments.json")))
    for candidate in candidates:
        try:
            return Catalogue.from_json(candidate.read_bytes())
        except FileNotFoundError:
            continue
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            continue  # an unreadable cache prices nothing: the next source does
    return None
