"""The HTML article renders cleanly in a real Chromium (Debian's, via Playwright): on a desktop and on
a 390-px phone no horizontal page overflow, every chart label inside its SVG, the price line clipped
to the plot, and the x axis spanning the window its caption names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from liqwatch.report.build import build
from liqwatch.report.collect import collect
from liqwatch.report.render import render
from liqwatch.store.duckdb import DuckDBStore
from tests.report import tapes
from tests.web.dashboard_helpers import CHROMIUM_ARGS, require_chromium

LABELS_INSIDE = """() => [...document.querySelectorAll("svg")].flatMap((svg) => {
  const box = svg.viewBox.baseVal;
  return [...svg.querySelectorAll("text")].map((t) => {
    const b = t.getBBox();
    return {text: t.textContent, inside: b.x >= box.x - 0.5 && b.y >= box.y - 0.5
      && b.x + b.width <= box.x + box.width + 0.5 && b.y + b.height <= box.y + box.height + 0.5};
  });
})"""


def article_html(tmp_path: Path) -> str:
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        # the first hours of the window hold no events: the axis must still start at the window
        events = [
            e
            for e in tapes.calm_days(10) + tapes.squeeze_day()
            if not tapes.AT - tapes.DAY < e.ts < tapes.AT - 20 * tapes.H
        ]
        store.write_events(events)
        store.write_candles(tapes.btc_squeeze_candles())
        return render(build(collect(store, tapes.AT, ("24h", tapes.DAY))), "html")


def test_html_on_desktop_and_phone(tmp_path: Path) -> None:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    path = tmp_path / "article.html"
    path.write_text(article_html(tmp_path), encoding="utf-8")
    results: dict[int, dict[str, Any]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        try:
            for width in (1280, 390):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(path.as_uri())
                results[width] = {
                    "scroll": page.evaluate("document.documentElement.scrollWidth"),
                    "labels": page.evaluate(LABELS_INSIDE),
                    "ticks": page.evaluate(
                        "[...document.querySelector('figure svg').querySelectorAll('text')]"
                        ".map((t) => t.textContent).filter((s) => /^\\d\\d:\\d\\d$/.test(s))"
                    ),
                    "clipped": page.evaluate("!!document.querySelector('figure svg path[clip-path]')"),
                }
        finally:
            browser.close()
    for width, found in results.items():
        assert found["scroll"] <= width, (width, found["scroll"])
        outside = [label["text"] for label in found["labels"] if not label["inside"]]
        assert not outside, (width, outside)
        assert found["clipped"]
        # the window is 00:00 to 00:00: the axis starts and ends there, as the caption says
        assert found["ticks"][0] == "00:00" and found["ticks"][-1] == "00:00", found["ticks"]
