"""An independent checker: every figure of a report JSON against the events (as `liqwatch events`
prints them) and the stored candles, computed here from scratch, without liqwatch's analytics."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from liqwatch import money
from liqwatch.model import Candle, Liquidation


def _match(e: Liquidation, q: dict[str, Any]) -> bool:
    if q.get("since") is not None and not e.ts > q["since"]:
        return False
    if q.get("until") is not None and not e.ts <= q["until"]:
        return False
    if q.get("side") and e.side != q["side"]:
        return False
    if q.get("coins") and e.coin not in q["coins"]:
        return False
    return not (q.get("venues") and e.venue not in q["venues"])


def _sum(events: list[Liquidation], q: dict[str, Any]) -> float:
    return math.fsum(e.usd for e in events if e.usd is not None and _match(e, q))


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def walk(doc: Any, path: list[str]) -> Any:
    """The value at `path` (report.model.Query.path) in a command's JSON output."""
    for step in path:
        if isinstance(doc, list) and step == "length":
            return len(doc)
        if isinstance(doc, list) and "=" in step:
            wanted = dict(cond.split("=", 1) for cond in step.split(","))
            doc = next(el for el in doc if all(str(el[k]) == v for k, v in wanted.items()))
        elif isinstance(doc, list):
            doc = doc[int(step)]
        else:
            doc = doc[step]
    return doc


def check_figures(
    doc: dict[str, Any],
    events: list[Liquidation],
    candles: list[Candle],
    run_json: Callable[[str], Any] | None = None,
) -> int:
    """Assert every events- and candle-backed figure, and with `run_json` (runs a `liqwatch …` command
    line, returns its JSON output) every figure read from a command; returns how many were checked."""
    figures = doc["figures"]
    checked = 0
    for key, fig in figures.items():
        q = fig["query"]
        op = q["op"]
        value = fig["value"]
        if op == "sum_usd":
            assert _close(value, _sum(events, q)), (key, value, _sum(events, q))
            assert q["cli"].startswith("liqwatch events --since "), key
        elif op == "count":
            assert value == sum(1 for e in events if _match(e, q)), key
        elif op == "largest":
            priced = [e for e in events if e.usd is not None and _match(e, q)]
            best = min(priced, key=lambda e: (-round(e.usd * 1e8), e.ts, e.id))  # type: ignore[operator]
            assert _close(value, best.usd), key  # type: ignore[arg-type]
            assert figures[key.rsplit(".", 1)[0] + ".id"]["value"] == best.id
        elif op == "share":
            den = _sum(events, {**figures[q["of"]]["query"]})
            assert den > 0 and _close(value, _sum(events, q) / den), key
        elif op == "candle":
            c = q["candle"]
            bar = next(
                b
                for b in candles
                if (b.venue, b.symbol, b.interval_ms, b.open_ts)
                == (c["venue"], c["symbol"], c["interval_ms"], c["open_ts"])
            )
            assert value == getattr(bar, c["field"]), key
        elif op == "json":
            assert run_json is not None, f"{key}: a 'json' figure needs run_json"
            assert q["cli"].startswith("liqwatch ") and q["cli"].endswith(" --json"), key
            found = walk(run_json(q["cli"]), q["path"])
            same = _close(value, found) if isinstance(value, float) else value == found
            assert same, (key, value, found)
        elif op == "derived":
            for name in q.get("inputs", []):
                assert name in figures, (key, name)
            continue
        else:
            raise AssertionError(f"unknown op {op} for {key}")
        checked += 1
    return checked


def check_tables(doc: dict[str, Any], events: list[Liquidation]) -> None:
    for row in doc["windows"] + doc["slices"]:
        q = {"since": row["start"], "until": row["end"]}
        assert _close(row["total_usd"], _sum(events, q))
        assert _close(row["long_usd"], _sum(events, {**q, "side": "long"}))
        assert _close(row["short_usd"], _sum(events, {**q, "side": "short"}))
        assert row["count"] == sum(1 for e in events if _match(e, q))
    window = {"since": doc["start"], "until": doc["end"]}
    for row in doc["coins"]:
        q = {**window, "coins": [row["coin"]]}
        assert _close(row["total_usd"], _sum(events, q)), row
        assert row["count"] == sum(1 for e in events if _match(e, q))
    for row in doc["venues"]:
        q = {**window, "venues": [row["venue"]]}
        assert _close(row["total_usd"], _sum(events, q)), row
        sampled = any(e.coverage == "sampled" for e in events if _match(e, q))
        assert row["coverage"] == ("sampled" if sampled else "complete")
    for bar in doc["bars"]:
        q = {"since": bar["start"], "until": bar["end"]}
        assert _close(bar["long_usd"], _sum(events, {**q, "side": "long"}))
        assert _close(bar["short_usd"], _sum(events, {**q, "side": "short"}))


MONEY = re.compile(r"(?:about )?\$[0-9]{1,3}(?:,[0-9]{3})*(?:\.[0-9]+)?(?: (?:million|billion))?")
PERCENT = re.compile(r"(?:more than |less than )?[0-9]+(?:\.[0-9]+)?%")


def _renders(fig: dict[str, Any]) -> set[str]:
    """The texts a figure's value may print as in the house style (liqwatch.money)."""
    value = fig["value"]
    if not isinstance(value, int | float):
        return set()
    if fig["unit"] == "usd":
        return {money.prose(abs(value)), money.estimate(abs(value))}
    if fig["unit"] == "ratio":
        return {money.change(value)} | ({money.ratio(value)} if 0 <= value <= 1 else set())
    if fig["unit"] == "price":
        return {money.price(value), money.level(value)}
    return set()


def check_prose(doc: dict[str, Any]) -> int:
    """Every dollar amount and percentage in the article's sentences is the printed text of a figure,
    and that text is what the figure's value prints as in the house style; returns how many."""
    by_text: dict[str, list[dict[str, Any]]] = {}
    for fig in doc["figures"].values():
        by_text.setdefault(fig["text"], []).append(fig)
    checked = 0
    for section in doc["sections"]:
        for paragraph in section["paragraphs"]:
            for amount in MONEY.findall(paragraph) + PERCENT.findall(paragraph):
                figures = by_text.get(amount) or by_text.get(amount.removeprefix("about "))
                assert figures, (amount, paragraph)
                rendered = set().union(*(_renders(f) for f in figures))
                if all(f["unit"] == "price" for f in figures):  # "briefly touching $123,000": a rounded extreme
                    number = float(amount.lstrip("$").replace(",", ""))
                    assert any(abs(number - f["value"]) <= 0.01 * f["value"] for f in figures), (amount, figures)
                elif rendered:
                    assert amount in rendered or amount.removeprefix("about ") in rendered, (amount, rendered)
                checked += 1
    return checked
