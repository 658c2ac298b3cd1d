"""Reconnect delays: exponential backoff with full jitter. Pure: no sleeping, no I/O.

The n-th consecutive failure waits a uniform random time in [0, min(cap, initial × factor^n)]
("full jitter", so a fleet of clients that lost the same venue does not redial in lockstep).

When to reset is the important part: ONLY after the first real data frame of a connection,
never after a successful handshake. A venue that accepts, acks and then closes (or stays silent
until the watchdog kills the socket) must not be redialled at full speed forever; websockets'
own reconnect loop resets after the handshake, which is why the connection loop uses this.
"""

from __future__ import annotations

import random
from typing import Protocol


class Uniform(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


class Backoff:
    def __init__(
        self,
        initial: float = 1.0,
        factor: float = 2.0,
        cap: float = 60.0,
        rng: Uniform | None = None,
        seed: int | None = None,
    ) -> None:
        if initial <= 0 or factor < 1 or cap < initial:
            raise ValueError("backoff needs initial > 0, factor >= 1 and cap >= initial")
        self.initial = initial
        self.factor = factor
        self.cap = cap
        self._rng: Uniform = rng if rng is not None else random.Random(seed)
        self.failures = 0  # consecutive failures since the last reset

    def ceiling(self) -> float:
        """The upper bound of the next delay."""
        # Compare exponents rather than computing factor ** failures, which overflows.
        bound = self.initial
        for _ in range(self.failures):
            bound *= self.factor
            if bound >= self.cap:
                return self.cap
        return min(bound, self.cap)

    def next_delay(self) -> float:
        """The delay before the next attempt; counts one more consecutive failure."""
        delay = self._rng.uniform(0.0, self.ceiling())
        self.failures += 1
        return delay

    def reset(self) -> None:
        """Call on the first DATA frame of a connection (not on connect, not on an ack)."""
        self.failures = 0
