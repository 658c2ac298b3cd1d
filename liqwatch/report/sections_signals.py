"""Report section on signals: squeeze and cascade detections."""

from __future__ import annotations

from liqwatch.analytics import context, squeeze
from liqwatch.analytics.history import (
    Metric,
)
from liqwatch.analytics.squeeze import (
    Baseline,
    Cascade,
    Detection,
    PriceInput,
    cascades,
    detect,
    one_sided,
    short_of_full_pattern,
)
from liqwatch.report import words
from liqwatch.report.common import (
    DAY_MS,
    MAJORS,
    _sigma_text,
    _stat_at,
    _strength,
)
from liqwatch.report.model import (
    Section,
)
from liqwatch.report.sections_market import _Market


class _Signals(_Market):
    # --- signals --------------------------------------------------------------------------------

    def detect_all(self) -> None:
        scopes: list[str | None] = [None, *[c for c in MAJORS if c in self.coins_focus]]
        for coin in scopes:
            rows = self.inputs.current if coin is None else self.inputs.coin_current.get(coin, [])
            long_units = sum(r.long_units for r in rows)
            short_units = sum(r.short_units for r in rows)
            base = {}
            sides: tuple[Metric, ...] = ("long", "short")
            for metric in sides:
                c = self.comparisons.get((coin, metric))
                if c is not None:
                    periods_ = c.baseline(30)
                    base[metric] = Baseline([p.start for p in periods_], [p.units for p in periods_])
            price_coin = coin or "BTC"
            self.detections.append(
                detect(
                    scope=coin or "all coins",
                    window=self.label,
                    start=self.start,
                    end=self.at,
                    long_units=long_units,
                    short_units=short_units,
                    baseline_long=base.get("long"),
                    baseline_short=base.get("short"),
                    price=self._price_input(price_coin),
                    oi_change=self._oi_change(price_coin),
                    funding=self._funding(price_coin),
                )
            )
        if self.inputs.events is not None:
            found = cascades(self.inputs.events, "short", self.start, self.at) + cascades(
                self.inputs.events, "long", self.start, self.at
            )
            self.cascade_list = sorted(found, key=lambda c: (-c.usd, c.start))[:3]

    def _price_input(self, coin: str) -> PriceInput | None:
        hourly = self.hourly.get(coin)
        if not hourly:
            return None
        a = context.price_at(hourly, self.start)
        z = context.price_at(hourly, self.at)
        if a is None or z is None:
            return None
        vol = context.realized_volatility(hourly, self.start, self.length, 30)
        venue, symbol = self.sources[coin]
        return PriceInput(
            log_return=context.Move(self.label, a, z).log_return,
            sigma=vol.sigma,
            periods=len(vol.returns),
            source=f"{words.venue_name(venue)} {symbol} hourly closes",
        )

    def _oi_change(self, coin: str) -> float | None:
        stats = self.inputs.open_interest.get(coin, [])
        start_sum = end_sum = 0.0
        found = False
        for key in sorted({(s.venue, s.symbol) for s in stats}):
            series = [s for s in stats if (s.venue, s.symbol) == key]
            a = _stat_at(series, self.start)
            z = _stat_at(series, self.at)
            if a is not None and z is not None and a > 0:
                start_sum += a
                end_sum += z
                found = True
        return end_sum / start_sum - 1.0 if found and start_sum > 0 else None

    def _funding(self, coin: str) -> float | None:
        stats = self.inputs.funding.get(coin, [])
        values = []
        for key in sorted({(s.venue, s.symbol) for s in stats}):
            v = _stat_at([s for s in stats if (s.venue, s.symbol) == key], self.start, max_age=DAY_MS)
            if v is not None:
                values.append(v)
        return sum(values) / len(values) if values else None

    def signals(self) -> Section | None:
        paragraphs = []
        for i, d in enumerate(self.detections):
            text = self._signal_sentence(d, i)
            if text:
                paragraphs.append(text)
        for i, c in enumerate(self.cascade_list):
            paragraphs.append(self._cascade_sentence(c, i))
        return Section("signals", "What this signals", paragraphs) if paragraphs else None

    def _signal_sentence(self, d: Detection, index: int) -> str | None:
        """What the detector found for one scope, saying no more than its checks support; a one-sided
        window that is no squeeze names the checks that decided it (analytics.squeeze)."""
        b = self.book
        scope = "all" if d.scope == "all coins" else d.scope
        if d.side is None or d.share is None or not one_sided(d):
            return None  # a split window: the lead gives the split, there is no signal to explain
        key = f"signals.{scope}"
        side_key = f"{d.side}_usd" if scope == "all" else f"coins.{scope}.{d.side}_usd"
        total_key = "total_usd" if scope == "all" else f"coins.{scope}.total_usd"
        if side_key not in b.figures or total_key not in b.figures:
            return None
        sides = f"{d.side}s"
        coin_name = "" if scope == "all" else words.coin_name(scope)
        price_coin = "Bitcoin" if scope == "all" else coin_name
        z_text = None
        if d.z is not None and d.baseline_mean_usd is not None:
            z_text = b.derived(
                f"{key}.z",
                d.z,
                _sigma_text(d.z, squeeze.DEFAULT.min_z),
                "sigma",
                f"({d.side} USD − mean) ÷ sample standard deviation of the {d.side} USD of the "
                f"{d.baseline_periods} most recent fully covered comparable periods (comparisons, {scope})",
                [side_key],
            )
            b.derived(
                f"{key}.baseline_mean_usd",
                d.baseline_mean_usd,
                words.money(d.baseline_mean_usd),
                "usd",
                f"mean {d.side} USD of those {d.baseline_periods} periods",
            )
        move = d.check("move")
        oi = d.check("oi")
        mv = None
        if move is not None and move.value is not None:
            mv = b.derived(
                f"{key}.move",
                move.value,
                _sigma_text(move.value, squeeze.DEFAULT.min_move_sigmas),
                "sigma",
                "ln(close at the window end ÷ close at its start) ÷ standard deviation of the same-length "
                "log returns of the 30 previous periods",
                [f"prices.{'BTC' if scope == 'all' else scope}.close"],
            )
        o = None
        if oi is not None and oi.value is not None:
            o = b.derived(f"{key}.oi_change", oi.value, words.change(oi.value), "ratio", "OI at end ÷ OI at start − 1")
        verb = "rise" if d.side == "short" else "fall"
        if d.verdict in ("short_squeeze", "long_cascade") and (
            index == 0 or _strength(d.verdict) > _strength(self.detections[0].verdict)
        ):
            name = "short squeeze" if d.verdict == "short_squeeze" else "long liquidation cascade"
            facts = []
            if scope != "all":
                share = b.share(f"{key}.share", d.share, side_key, total_key)
                facts.append(f"{sides} made up {share} of {coin_name} liquidations")
            if z_text is not None:
                facts.append(
                    f"{d.side} liquidations were {z_text} standard deviations above their average of the previous "
                    f"{d.baseline_periods} comparable periods ({b.figures[f'{key}.baseline_mean_usd'].text})"
                )
            if mv is not None:
                facts.append(
                    f"{price_coin}'s {verb} was {mv} times its typical {words.period_adjective(self.length)} move"
                )
            if o is not None and oi is not None and oi.value is not None:
                facts.append(f"open interest {'fell' if oi.value < 0 else 'rose'} {o}")
            lead = "The pattern fits a" if scope == "all" else f"In {coin_name}, the pattern fits a"
            return f"{lead} {name}: " + words.join(facts) + "."
        market = self.detections[0]
        if index > 0 and _strength(d.verdict) <= _strength(market.verdict):
            return None  # a coin adds a line only when its signal is stronger than the market's
        if d.verdict in ("short_liquidation_spike", "long_liquidation_spike"):
            whose = "" if scope == "all" else f"{coin_name} "
            assert z_text is not None
            return (
                f"{words.sentence_case(whose + d.side)} liquidations were {z_text} standard deviations above their "
                f"average of the previous {d.baseline_periods} comparable periods. Without price data for the "
                "window, liqwatch does not call this a squeeze."
            )
        if index > 0:
            return None  # a coin adds a line only when its own signal is stronger than one-sidedness
        reasons = []
        for c in short_of_full_pattern(d):
            if c.name == "z" and c.value is None and c.passed is None:
                reasons.append(
                    f"there is not yet enough comparable history to tell whether {d.side} liquidations were unusual"
                )
            elif c.name == "z":
                reasons.append(
                    f"{d.side} liquidations, {z_text} standard deviations above their recent average, were not outsized"
                )
            elif c.name == "move" and c.passed is None:
                reasons.append(f"there is no price data to tell whether {price_coin} moved unusually")
            elif c.name == "move":
                reasons.append(f"{price_coin}'s price move ({mv} times its typical move) was not unusual")
            elif c.name == "oi" and o is not None and oi is not None and oi.value is not None:
                reasons.append(
                    f"open interest rose {o}, so positions were added, not closed"
                    if oi.value >= 0
                    else f"open interest fell only {o}"
                )
        if not reasons:
            return None
        name = "short squeeze" if d.side == "short" else "long liquidation cascade"
        return f"The {self.noun} was one-sided, but it does not fit the pattern of a {name}: {words.join(reasons)}."

    def _cascade_sentence(self, c: Cascade, i: int) -> str:
        b = self.book
        key = f"cascades.{i}"
        usd = b.usd(f"{key}.usd", c.usd, c.start - 1, c.end, side=c.side)
        n = b.count(f"{key}.count", c.count, c.start - 1, c.end, side=c.side)
        rate = b.derived(
            f"{key}.rate_multiple",
            c.rate_multiple,
            f"{c.rate_multiple:.0f}",
            "ratio",
            "the burst's USD per minute (over max(duration, 1 minute)) ÷ the side's USD per minute over the window",
            [f"{key}.usd", f"{c.side}_usd"],
        )
        first = "The heaviest burst" if i == 0 else "Another burst"
        names = [words.venue_name(v) for v in c.venues]
        venues = words.join(names) if len(names) <= 3 else f"{words.number_word(len(names))} exchanges"
        text = (
            f"{first} of {c.side} liquidations came at {self.when(c.start)}: {usd} in {n} orders over "
            f"{words.duration(c.end - c.start)} on {venues}"
        )
        if self.starts_inside or self.stops_inside or self.outages():
            return text + "."  # the period's average rate would count unrecorded time: not compared
        return text + f", {rate} times the {self.noun}'s average rate."
