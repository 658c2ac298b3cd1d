"""The dashboard formats money with the house style: static/money.js has the same rule table as
liqwatch/money.py, and in a real Chromium prints the same figures (exact halves included)."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from liqwatch import money
from tests.web.dashboard_helpers import CHROMIUM_ARGS, require_chromium

FIGURES = [
    226_950_000.0,  # an exact half in decimal, below it in binary: "$227.0M", not "$226.9M"
    12_250_000.0,
    12_350_000.0,
    748_312_345.67,
    999_960_000.0,  # carries into billions
    999_950.0,
    819_850.0,
    41_450.0,
    1_234_567_890.0,
    170.91,
    999.5,
    0.425,
    0.0,
    -2_675_000.0,
    1e21,
    3.3e-7,
]


PRICES = [121_438.5, 3540.0, 3050.12, 150.0, 150.255, 2.5, 1.005, 0.55123, 0.2, 0.000012345, 0.1]


def script() -> str:
    return (resources.files("liqwatch.web") / "static" / "money.js").read_text(encoding="utf-8")


def test_the_rule_tables_are_the_same() -> None:
    found = re.search(r"const TABLE_RULES = (\[.*?\]);", script(), re.S)
    assert found is not None
    rules = json.loads(re.sub(r",\s*\]", "]", found.group(1)))
    assert [tuple(r) for r in rules] == list(money.TABLE_RULES)


@pytest.mark.parametrize("figure", [226_950_000.0])
def test_one_figure_both_ways(figure: float) -> None:
    """The figure the issue named, spelled out: both sides print $227.0M."""
    assert money.table(figure) == "$227.0M"


def test_chromium_prints_what_python_prints() -> None:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            page.set_content("<!doctype html><title>money</title>")
            page.add_script_tag(content=script())
            printed = page.evaluate("(xs) => xs.map((x) => window.LiqMoney.table(x))", FIGURES)
            missing = page.evaluate("[window.LiqMoney.table(null), window.LiqMoney.table(undefined)]")
            prices = page.evaluate("(xs) => xs.map((x) => window.LiqMoney.price(x))", PRICES)
        finally:
            browser.close()
    assert printed == [money.table(x) for x in FIGURES]
    assert printed[0] == "$227.0M" and printed[1] == "$12.3M"
    assert missing == ["—", "—"]
    assert prices == [money.price(p) for p in PRICES]
