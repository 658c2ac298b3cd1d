"""Render a Report: Markdown, HTML (with inline SVG charts) or JSON. Pure: Report → text."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from liqwatch.report import charts, words
from liqwatch.report.model import Report

FORMATS = ("md", "html", "json")


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("liqwatch.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["money"] = words.money
    env.filters["money_short"] = words.money_short
    env.filters["clock"] = words.clock
    env.filters["moment"] = words.moment
    env.filters["count"] = words.count
    env.filters["duration"] = words.duration
    env.filters["venue"] = words.venue_name
    env.globals["cells"] = money_cells
    env.globals["per_hour"] = per_hour
    return env


def money_cells(row: Any) -> list[str]:
    """longs, shorts, total of a table row: "not recorded" outside the record, "unpriced (n orders)"
    for a coin whose orders all lack a USD value, never $0 for either."""
    if not getattr(row, "recorded", True):
        return ["not recorded"] * 3
    unpriced = getattr(row, "unpriced", 0)
    if unpriced and row.total_usd == 0:
        return ["—", "—", f"unpriced ({words.plural(unpriced, 'order')})"]
    total = words.money_short(row.total_usd)
    if unpriced:
        total += f" + {unpriced:,} unpriced"
    return [words.money_short(row.long_usd), words.money_short(row.short_usd), total]


def per_hour(row: Any) -> str:
    """A slice's total per hour, so slices of different lengths compare like with like."""
    if not getattr(row, "recorded", True):
        return "not recorded"
    hours = (row.end - row.start) / 3_600_000
    return words.money_short(row.total_usd / hours) if hours > 0 else "—"


_ENV = _environment()


def render(report: Report, fmt: str) -> str:
    if fmt == "json":
        return to_json(report)
    if fmt == "md":
        text = _ENV.get_template("report.md.j2").render(r=report)
        return re.sub(r"\n{3,}", "\n\n", text)
    if fmt == "html":
        return _ENV.get_template("report.html.j2").render(
            r=report,
            timeline=charts.timeline(report.bars, report.price_line, report.start, report.end, report.unrecorded),
            coin_chart=charts.coins(report.coins),
        )
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


def to_builtins(report: Report) -> dict[str, Any]:
    doc: dict[str, Any] = msgspec.to_builtins(report)
    doc["article"] = render(report, "md")
    return doc


def to_json(report: Report) -> str:
    return msgspec.json.format(msgspec.json.encode(to_builtins(report)), indent=2).decode() + "\n"
