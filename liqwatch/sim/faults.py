"""Fault plans: what goes wrong, where, and how often. Pure (the server applies them).

Syntax of `--faults` (composable, comma-separated; every random choice is seeded by `--seed`):

    FAULT[,FAULT…]      FAULT = NAME[=VALUE][@SCOPE]      SCOPE = TARGET[+TARGET…]
                        TARGET = VENUE or VENUE.CONNECTION (e.g. bybit.inverse); no scope = every venue

    drop-every=N        close each connection (TCP closed, no close frame: the client sees 1006) after
                        every N data frames sent on it
    drop=P              after each data frame, close the connection with probability P
    silent              accept, ack subscriptions, answer pings, but never send data (the "venue moved
                        its URL" failure); `silent=okx` is `silent@okx`
    garbage=P           before a data frame, with probability P, send a frame that is not JSON
    truncate=P          with probability P, send a data frame cut short (its liquidations are lost)
    impossible=P        with probability P per liquidation frame, also send a well-formed frame of the
                        venue's shape with an impossible value (negative size, zero price, unknown
                        symbol, in turn)
    stall=S[:N]         after every N data frames (default 200), send nothing for S seconds; the frames
                        queue up and arrive in a burst
    slow=S              delay every data frame by S seconds (the connection falls behind)
    restart=S[:D]       every S seconds, stop every server (connections cut, ports closed), stay down D
                        seconds (default 1), listen again on the same ports
    lifetime=S          close connections S seconds after they opened (close code 1001), like
                        Binance's 24 h limit (which is always on, compressed by --speed)
    idle=S              close connections that sent nothing for S seconds (the venues' own idle rules,
                        e.g. OKX 30 s, are always on)
    rest-429=P          a REST request gets 429 Too Many Requests (Retry-After: 1) with probability P
    rest-5xx=P          a REST request gets 500, 502 or 503 with probability P
    no-pong             never answer pings: text `ping`, JSON pings, futures.ping, public/test, nor
                        WebSocket ping frames; `no-pong=bitmex` is `no-pong@bitmex`
    reject=P            a WebSocket handshake is refused with HTTP 503 with probability P

Seconds are wall-clock seconds; probabilities are in [0, 1].
Example: `--faults drop-every=500,silent=okx,garbage=0.01,rest-5xx=0.2@bybit+gate`.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field

# name → the kind of value it takes: flag (none), int (frames), prob, seconds, seconds2 (S[:N])
FAULTS: dict[str, str] = {
    "drop-every": "int",
    "drop": "prob",
    "silent": "flag",
    "garbage": "prob",
    "truncate": "prob",
    "impossible": "prob",
    "stall": "seconds2",
    "slow": "seconds",
    "restart": "seconds2",
    "lifetime": "seconds",
    "idle": "seconds",
    "rest-429": "prob",
    "rest-5xx": "prob",
    "no-pong": "flag",
    "reject": "prob",
}
GLOBAL_ONLY = frozenset({"restart"})
STALL_EVERY = 200
RESTART_DOWN_S = 1.0


class FaultError(ValueError):
    """A --faults spec that does not parse; the message names the offending item."""


@dataclass(frozen=True)
class Fault:
    name: str
    value: float = 0.0
    value2: float | None = None
    scope: frozenset[str] = frozenset()  # venue ids or venue.connection; empty = everywhere

    def applies(self, venue: str, conn: str = "") -> bool:
        return not self.scope or venue in self.scope or f"{venue}.{conn}" in self.scope

    def describe(self) -> str:
        text = self.name
        kind = FAULTS[self.name]
        if kind != "flag":
            value = f"{self.value:g}"
            if self.value2 is not None:
                value += f":{self.value2:g}"
            text += f"={value}"
        if self.scope:
            text += "@" + "+".join(sorted(self.scope))
        return text


@dataclass(frozen=True)
class ConnectionFaults:
    """The faults of one connection (venue, connection name), resolved."""

    drop_every: int = 0
    drop: float = 0.0
    silent: bool = False
    garbage: float = 0.0
    truncate: float = 0.0
    impossible: float = 0.0
    stall_s: float = 0.0
    stall_every: int = STALL_EVERY
    slow_s: float = 0.0
    lifetime_s: float | None = None
    idle_s: float | None = None
    no_pong: bool = False
    reject: float = 0.0


@dataclass(frozen=True)
class FaultPlan:
    faults: tuple[Fault, ...] = ()
    seed: int = 1
    spec: str = ""
    _by_name: dict[str, list[Fault]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def parse(cls, spec: str, seed: int = 1, venues: Iterable[str] | None = None) -> FaultPlan:
        """Parse a --faults spec (see the module docstring). `venues`: the ids a scope may name."""
        known = set(venues) if venues is not None else None
        faults: list[Fault] = []
        for raw in spec.split(","):
            item = raw.strip()
            if not item:
                continue
            faults.append(_parse_item(item, known))
        plan = cls(tuple(faults), seed, spec)
        for fault in faults:
            plan._by_name.setdefault(fault.name, []).append(fault)
        return plan

    def __bool__(self) -> bool:
        return bool(self.faults)

    def describe(self) -> str:
        return ",".join(f.describe() for f in self.faults) or "none"

    def _get(self, name: str, venue: str, conn: str = "") -> Fault | None:
        found = None
        for fault in self._by_name.get(name, ()):
            if fault.applies(venue, conn):
                found = fault  # the last one given wins
        return found

    def connection(self, venue: str, conn: str = "") -> ConnectionFaults:
        def value(name: str, default: float = 0.0) -> float:
            fault = self._get(name, venue, conn)
            return fault.value if fault is not None else default

        stall = self._get("stall", venue, conn)
        lifetime = self._get("lifetime", venue, conn)
        idle = self._get("idle", venue, conn)
        return ConnectionFaults(
            drop_every=int(value("drop-every")),
            drop=value("drop"),
            silent=self._get("silent", venue, conn) is not None,
            garbage=value("garbage"),
            truncate=value("truncate"),
            impossible=value("impossible"),
            stall_s=stall.value if stall else 0.0,
            stall_every=int(stall.value2) if stall and stall.value2 else STALL_EVERY,
            slow_s=value("slow"),
            lifetime_s=lifetime.value if lifetime else None,
            idle_s=idle.value if idle else None,
            no_pong=self._get("no-pong", venue, conn) is not None,
            reject=value("reject"),
        )

    def rest(self, venue: str) -> tuple[float, float]:
        """(P(429), P(5xx)) for the venue's REST requests."""
        too_many = self._get("rest-429", venue)
        failing = self._get("rest-5xx", venue)
        return (too_many.value if too_many else 0.0, failing.value if failing else 0.0)

    def restart(self) -> tuple[float, float] | None:
        """(every S seconds, down D seconds), or None."""
        fault = self._get("restart", "")
        if fault is None:
            return None
        return fault.value, fault.value2 if fault.value2 is not None else RESTART_DOWN_S

    def rng(self, *parts: object) -> random.Random:
        """A generator seeded by the plan's seed and `parts` (stable across runs and processes)."""
        return random.Random("liqwatch-sim/faults/" + "/".join(str(p) for p in (self.seed, *parts)))


def _parse_item(item: str, known: set[str] | None) -> Fault:
    body, at, scope_text = item.partition("@")
    name, eq, value_text = body.partition("=")
    name = name.strip().lower()
    kind = FAULTS.get(name)
    if kind is None:
        raise FaultError(f"unknown fault {name!r} in {item!r} (known: {', '.join(FAULTS)})")
    scope: set[str] = set()
    if at:
        scope = {t.strip() for t in scope_text.split("+") if t.strip()}
        if not scope:
            raise FaultError(f"{item!r}: empty scope after '@'")
    value, value2 = 0.0, None
    if kind == "flag":
        if eq:  # silent=okx: the value names the scope
            scope |= {t.strip() for t in value_text.split("+") if t.strip()}
    else:
        if not eq or not value_text.strip():
            raise FaultError(f"{item!r}: {name} needs a value ({_hint(kind)})")
        value, value2 = _value(item, name, kind, value_text.strip())
    if name in GLOBAL_ONLY and scope:
        raise FaultError(f"{item!r}: {name} applies to every server, it takes no scope")
    if known is not None:
        from liqwatch.sim.protocol import PATHS  # the simulator's connections per venue

        for target in scope:
            venue, dot, conn = target.partition(".")
            if venue not in known:
                raise FaultError(f"{item!r}: unknown venue {venue!r} (known: {', '.join(sorted(known))})")
            conns = PATHS.get(venue, {})
            if dot and conn not in conns:  # a fault that could never apply must not pass silently
                names = ", ".join(f"{venue}.{c}" for c in conns) or "none"
                raise FaultError(f"{item!r}: unknown connection {target!r} (known: {names})")
    return Fault(name, value, value2, frozenset(scope))


def _hint(kind: str) -> str:
    return {
        "int": "a number of frames",
        "prob": "a probability in [0, 1]",
        "seconds": "seconds",
        "seconds2": "seconds[:N]",
    }[kind]


def _value(item: str, name: str, kind: str, text: str) -> tuple[float, float | None]:
    first, colon, second = text.partition(":")
    try:
        value = float(first)
        value2 = float(second) if colon else None
    except ValueError:
        raise FaultError(f"{item!r}: {name} needs {_hint(kind)}, not {text!r}") from None
    if colon and kind != "seconds2":
        raise FaultError(f"{item!r}: {name} takes one value")
    if kind == "prob" and not 0.0 <= value <= 1.0:
        raise FaultError(f"{item!r}: {name} is a probability in [0, 1]")
    if kind == "int" and (value < 1 or value != int(value)):
        raise FaultError(f"{item!r}: {name} needs a whole number of frames ≥ 1")
    if kind in ("seconds", "seconds2") and value <= 0:
        raise FaultError(f"{item!r}: {name} needs a positive number of seconds")
    if value2 is not None and value2 <= 0:
        raise FaultError(f"{item!r}: {name}'s second value must be positive")
    return value, value2


# ── per-frame helpers ──────────────────────────────────────────────────────────────────────────

GARBAGE = (
    "\x00\x01binary junk",
    "<html><body>502 Bad Gateway</body></html>",
    "{{{{",
    "not json at all",
    '{"e":',
    "]",
)


def garbage_frame(rng: random.Random) -> str:
    """A text frame that is not a JSON document (random but seeded)."""
    base = rng.choice(GARBAGE)
    return base + "".join(rng.choice("abcdef0123456789") for _ in range(rng.randrange(0, 12)))


def truncated(text: str, rng: random.Random) -> str:
    """A strict prefix of `text` that cuts the JSON document short (never empty)."""
    if len(text) < 2:
        return "{"
    return text[: rng.randrange(1, len(text))]


__all__ = [
    "FAULTS",
    "ConnectionFaults",
    "Fault",
    "FaultError",
    "FaultPlan",
    "garbage_frame",
    "truncated",
]
