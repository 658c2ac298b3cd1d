"""What a venue module provides: a VenueSpec of pure functions and plain data.

Nothing here opens a socket. `feed/` reads a VenueSpec to know where to connect, what to
send, how to keep the connection alive and how to tell real data from control frames;
`parse` turns one received frame into normalized events.

THE SHAPE OF A VENUE MODULE (copy `aster.py` for a Binance clone, `bitget.py` for a new feed):
1. the docstring is the evidence: Docs (links), URLs, Side (which field, whose side), Size (unit,
   how usd and qty follow), Coverage (complete/sampled and why), Id (the form in ids.py), limits,
   and every UNCONFIRMED rule;
2. constants (URLs, side table), the wire Structs (only the fields read), the decoders;
3. `derive(symbol)`: the venue's documented naming, for symbols the catalogue does not list
   (here, or in the sibling below);
4. `parser(max_usd, min_ts)` → `parse`: decode once into typed Structs → route (per symbol and
   catalogue version, memoized in `cat.memo(VENUE)`) → event (one function holds the rules; a hot
   loop may inline them for the entries it plainly covers, and hands a frame with any other entry
   whole to the rules) → id (venues/ids.py: `number_key` is cheap on text already canonical);
   errors are BadFrame with a reason; `VenueSpec.checked_parse = parser` so the bounds cost nothing;
5. `is_data`, the heartbeat and the VenueSpec.
What the module sends and the names it reads may live in a sibling `<venue>_rest.py` (binance_rest,
bitmex_rest, okx_rest, deribit_rest, gate_rest, bybit_rest + bybit_subscribe): the subscribe and
ping builders, the instruments endpoint and naming (`derive`), REST history for backfill; the
module holds the stream's evidence and its parse. REST history goes through the same `parse`
(okx.parse_rest_liquidations wraps REST rows as the push that would carry them), so both give the
same events and ids.

UNLISTED SYMBOLS, one rule for every venue: a symbol the catalogue does not list and the venue's
documented naming cannot size (Binance "UNKNOWN404", a Bitget symbol without a known quote, a
Deribit name that is neither a future nor an option) is stored UNPRICED: `qty` and `usd` null,
the price as sent, `coin` the base the name states where it states one (OKX `XYZ-USDT-SWAP` → XYZ),
else the symbol itself. It is never refused (the venue did publish a liquidation: counts stay
true) and never priced by a guess. `liqwatch reprice`/the catalogue can price it later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from liqwatch.instruments import Catalogue, Instrument
from liqwatch.model import Coverage, Liquidation, Side

Frame = str | bytes


class BadFrame(ValueError):
    """A frame that is not a valid message of its venue: dead-lettered with this reason."""


Parse = Callable[[Frame, int, Catalogue], list[Liquidation]]
# Builds a venue's parse that refuses events beyond (max_usd, min_ts) itself, as `plausible` would.
CheckedParse = Callable[[float, float], Parse]

# No single liquidation is worth $10B, and exchange times before 2001 are seconds mistaken for
# milliseconds: a frame that yields either is impossible and goes to the dead letters.
MAX_USD = 1e10
MIN_TS = 1_000_000_000_000


def unlisted(
    venue: str, symbol: str, side: Side, price: float, ts: int, recv_ts: int, coverage: Coverage, event_id: str
) -> Liquidation:
    """The event of a symbol no venue rule can size (UNLISTED SYMBOLS in the module doc): unpriced."""
    return Liquidation(venue, symbol, symbol, side, price, None, None, ts, recv_ts, coverage, event_id)


def impossible(event: Liquidation) -> BadFrame:
    return BadFrame(f"{event.venue} {event.symbol}: impossible values (usd {event.usd}, ts {event.ts})")


def refuse_impossible(events: list[Liquidation], max_usd: float, min_ts: float) -> list[Liquidation]:
    """`events`, unless one has usd above max_usd or ts below min_ts: BadFrame naming the first."""
    for event in events:
        if event.ts < min_ts or (event.usd is not None and event.usd > max_usd):
            raise impossible(event)
    return events


# Time bounds against the receive time, checked where frames enter (collector, recovery, import),
# not in each parser: liquidation feeds start in 2017, and a venue's clock may run a little ahead
# of ours but never minutes (a future stamp would also sit in the live windows' pending heap).
PLAUSIBLE_SINCE_TS = 1_483_228_800_000  # 2017-01-01T00:00:00Z
MAX_AHEAD_MS = 300_000


def implausible_time(ts: int, recv_ts: int, max_ahead_ms: int = MAX_AHEAD_MS) -> str | None:
    """Why an event time cannot be right next to its receive time, naming a unit mix-up when it
    looks like one; None when it is plausible."""
    if ts < PLAUSIBLE_SINCE_TS:
        hint = " (seconds read as milliseconds?)" if abs(ts * 1000 - recv_ts) < 86_400_000 else ""
        return f"implausible time: ts {ts} is before 2017{hint}"
    if ts - recv_ts > max_ahead_ms:
        hint = " (microseconds read as milliseconds?)" if abs(ts // 1000 - recv_ts) < 86_400_000 else ""
        ahead = f"{(ts - recv_ts) / 1000:,.3f}".rstrip("0").rstrip(".")
        return f"implausible time: ts {ts} is {ahead} s after its receive time {recv_ts}{hint}"
    return None


def refuse_implausible_time(
    events: list[Liquidation], recv_ts: int, max_ahead_ms: int = MAX_AHEAD_MS
) -> list[Liquidation]:
    """`events`, unless one has an implausible time (see implausible_time): BadFrame naming it."""
    latest = recv_ts + max_ahead_ms
    for event in events:
        ts = event.ts
        if ts > latest or ts < PLAUSIBLE_SINCE_TS:
            reason = implausible_time(ts, recv_ts, max_ahead_ms)
            raise BadFrame(f"{event.venue} {event.symbol}: {reason}")
    return events


@dataclass(frozen=True)
class Heartbeat:
    """How a connection proves it is alive.

    `ping` builds the text the client sends every `interval_s` (None: rely on WebSocket
    ping frames); `reply` answers a server's own liveness request (Deribit `test_request`),
    returning the text to send back or None.
    """

    interval_s: float
    ping: Callable[[int], str] | None = None
    reply: Callable[[Frame], str | None] | None = None


@dataclass(frozen=True)
class Connection:
    """One WebSocket a venue needs (Bybit needs one for linear and one for inverse)."""

    name: str  # key into the venue's URLs, overridable with --venue-url VENUE[.NAME]=URL
    url: str
    # Text frames to send right after connecting; a callable builds its frame from the time of
    # sending (ms), for venues whose requests carry a timestamp the server checks (Gate).
    subscribe: Sequence[str | Callable[[int], str]]


@dataclass(frozen=True)
class RestRequest:
    """A GET the REST client performs; `params` are query parameters."""

    path: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class InstrumentsPage:
    instruments: list[Instrument]
    next: RestRequest | None = None  # the following page, for paginated endpoints


@dataclass(frozen=True)
class VenueSpec:
    id: str
    coverage: Coverage
    urls: Mapping[str, str]  # real WebSocket URLs by connection name
    rest_base: str  # real REST base URL
    connections: Callable[[Mapping[str, str], Catalogue], list[Connection]]
    parse: Parse
    is_data: Callable[[Frame], bool]  # a data frame proves the feed alive; acks and pongs do not
    heartbeat: Heartbeat
    silence_s: float  # no data frame for this long on an open connection = failure
    instrument_requests: Callable[[], list[RestRequest]] = lambda: []
    parse_instruments: Callable[[RestRequest, bytes], InstrumentsPage] = lambda _r, _b: InstrumentsPage([])
    notes: str = ""  # what the venue does not publish, shown in status and reports
    # `parse` with the registry's plausibility bounds checked inline (faster than wrapping it);
    # None: the registry wraps `parse`.
    checked_parse: CheckedParse | None = None
    # Binary frames → the text they carry (HTX gzips every frame). The connection applies it on
    # receipt, so the journal, `parse`, `is_data` and `heartbeat.reply` all see the text; None: frames
    # are used as received. A frame it cannot inflate raises and is passed on as received (bytes).
    inflate: Callable[[bytes], str] | None = None


def urls_with(defaults: Mapping[str, str], overrides: Mapping[str, str]) -> dict[str, str]:
    merged = dict(defaults)
    merged.update({k: v for k, v in overrides.items() if k in defaults})
    return merged
