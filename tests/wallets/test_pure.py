"""Aggregation on generated scenarios, the leaderboard rule, the loss-crossing event, the config."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from liqwatch.wallets.aggregate import coin_group, exposure_changes, liquidation_levels, pnl_by, total_pnl, worst
from liqwatch.wallets.config import WalletsConfig, load_wallets_config, wallets_config
from liqwatch.wallets.events import loss_crossings
from liqwatch.wallets.model import PositionSnapshot, WalletError, WalletSpec
from liqwatch.wallets.parse import parse_leaderboard
from liqwatch.wallets.rule import LeaderboardRule, build_set, select

HERE = Path(__file__).parent / "fixtures"
COINS = ("BTC", "ETH", "SOL", "DOGE", "kPEPE")


def scenario(seed: int, wallets: int = 30) -> list[PositionSnapshot]:
    rng = random.Random(seed)
    marks = {c: rng.uniform(0.01, 100_000) for c in COINS}
    out = []
    for w in range(wallets):
        for coin in rng.sample(COINS, rng.randint(0, 4)):
            szi = rng.choice((-1, 1)) * rng.uniform(0.1, 1000)
            entry = marks[coin] * rng.uniform(0.8, 1.2)
            mark = marks[coin]
            out.append(
                PositionSnapshot(
                    1,
                    f"0x{w:040x}",
                    coin,
                    szi,
                    entry,
                    mark,
                    abs(szi) * mark,
                    szi * (mark - entry),
                    cohort=rng.choice(("a", "b", "")),
                )
            )
    return out


@pytest.mark.parametrize("seed", range(5))
def test_aggregates_equal_sum_of_szi_times_mark_minus_entry(seed: int) -> None:
    positions = scenario(seed)
    expected = {("long", g): 0.0 for g in ("BTC", "ETH", "altcoins")} | {
        ("short", g): 0.0 for g in ("BTC", "ETH", "altcoins")
    }
    for p in positions:
        expected[("long" if p.szi > 0 else "short", coin_group(p.coin))] += p.szi * (p.mark_px - p.entry_px)
    for (side, group), value in expected.items():
        assert total_pnl(positions, side, group) == pytest.approx(value)
    grand = sum(expected.values())
    for by in ("direction", "coin", "group", "cohort"):
        rows = pnl_by(positions, by)  # type: ignore[arg-type]
        assert sum(r.pnl for r in rows) == pytest.approx(grand)
        assert sum(r.long_positions + r.short_positions for r in rows) == len(positions)
    groups = {r.key: r for r in pnl_by(positions, "group")}
    for (side, group), value in expected.items():
        if group in groups:
            assert getattr(groups[group], f"{side}_pnl") == pytest.approx(value)
    direction = {r.key: r for r in pnl_by(positions, "direction")}
    assert set(direction) <= {"long", "short"}


def test_worst_and_levels_and_exposure() -> None:
    a = PositionSnapshot(1, "0x1", "BTC", -2.0, 90_000, 100_000, 200_000, -20_000, liquidation_px=120_000.0)
    b = PositionSnapshot(1, "0x2", "SOL", 100.0, 200, 180, 18_000, -2_000, liquidation_px=None)
    c = PositionSnapshot(1, "0x3", "ETH", 1.0, 3_000, 3_300, 3_300, 300, liquidation_px=2_000.0)
    assert worst([c, b, a], 5) == [a, b]  # profits are not "worst positions"
    assert liquidation_levels([a, b, c]) == [("BTC", "short", 120_000.0, 200_000.0), ("ETH", "long", 2_000.0, 3_300.0)]
    later = [
        PositionSnapshot(2, "0x1", "BTC", -3.0, 90_000, 100_000, 300_000, -30_000),
        PositionSnapshot(2, "0x4", "SOL", -1, 1, 1, 1, 0),
    ]
    changes = {(x.wallet, x.coin): x.change for x in exposure_changes([a, b, c], later)}
    assert changes == {
        ("0x1", "BTC"): "increased",
        ("0x2", "SOL"): "closed",
        ("0x3", "ETH"): "closed",
        ("0x4", "SOL"): "opened",
    }


def test_loss_crossings() -> None:
    def short(loss: float) -> PositionSnapshot:
        return PositionSnapshot(1, "0x1", "SOL", -1.0, 100.0, 100.0 + loss, 100.0, -loss)

    up = loss_crossings([short(0.5e6)], [short(6e6)], [1e6, 5e6, 10e6], ts=7, set_hash="h")
    assert [(c.side, c.threshold_usd, c.kind) for c in up] == [("short", 1e6, "crossed"), ("short", 5e6, "crossed")]
    assert "shorts crossed $1,000,000" in up[0].text() and up[0].set_hash == "h"
    down = loss_crossings([short(6e6)], [short(2e6)], [1e6, 5e6], ts=8)
    assert [(c.threshold_usd, c.kind) for c in down] == [(5e6, "recovered")]
    assert loss_crossings([short(2e6)], [short(3e6)], [1e6, 5e6], ts=9) == []
    assert loss_crossings([short(0)], [short(2e6)], [1e6], ts=9, group="BTC") == []  # SOL is not BTC
    with pytest.raises(ValueError):
        loss_crossings([], [], [0.0], ts=1)


def test_leaderboard_rule_is_documented_and_reproducible() -> None:
    rows = parse_leaderboard((HERE / "leaderboard_doc.json").read_bytes())
    rule = LeaderboardRule(max_volume_to_pnl=10_000)
    picked = select(rows, rule)
    # a: qualifies; b: qualifies; c: losing this month; d: too small; e: market-maker volume; 1: below $1M
    assert [w.address[:4] for w in picked] == ["0xaa", "0xbb"]
    assert [w.cohort for w in picked] == ["money_printer", "money_printer"] and picked[0].label == "HyperTrader42"
    broad = select(rows, LeaderboardRule(min_all_time_pnl=100_000, max_volume_to_pnl=None))
    assert [w.address[:4] for w in broad] == ["0xaa", "0xbb", "0xee", "0x11"]
    assert broad[-1].cohort == "smart_money"
    one = build_set([], rows, rule)
    shuffled = list(rows)
    random.Random(3).shuffle(shuffled)
    assert build_set([], shuffled, rule) == one and build_set([], shuffled, rule).hash == one.hash
    assert len(one.hash) == 64 and "allTime.pnl >= 1e+06" in one.rule
    assert build_set([], rows, LeaderboardRule(max_volume_to_pnl=10_001)).hash != one.hash  # any parameter counts
    assert (
        select(rows, LeaderboardRule(exclude=("0xAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",), max_volume_to_pnl=None))[
            0
        ].address[:4]
        == "0xbb"
    )
    mine = WalletSpec("0x" + "a" * 40, "mine", "fund")
    merged = build_set([mine], rows, rule)
    assert merged.by_address()[mine.address] == mine and merged.rule.startswith("config (1 wallets) + leaderboard v1")


def test_config_section(tmp_path: Path) -> None:
    path = tmp_path / "liqwatch.toml"
    path.write_text(
        """
db = "x.duckdb"
[wallets]
url = "http://127.0.0.1:1/info"
interval_s = 30
fills = true
loss_thresholds = [1e6]
[[wallets.watch]]
address = "0xAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
label = "big"
cohort = "fund"
[wallets.leaderboard]
min_all_time_pnl = 500000
max_wallets = 50
"""
    )
    config = load_wallets_config(path)
    assert config.watch == (WalletSpec("0x" + "a" * 40, "big", "fund"),)
    assert config.leaderboard == LeaderboardRule(min_all_time_pnl=500_000, max_wallets=50)
    assert (config.url, config.interval_s, config.fills, config.loss_thresholds) == (
        "http://127.0.0.1:1/info",
        30,
        True,
        (1e6,),
    )
    assert load_wallets_config(None) == WalletsConfig() and WalletsConfig().url == "https://api.hyperliquid.xyz/info"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"intervall_s": 1}, "unknown key(s) intervall_s"),
        ({"watch": [{"address": "0x12"}]}, "#1: wallet address '0x12'"),
        ({"watch": [{"label": "x"}]}, "needs an address"),
        ({"leaderboard": {"min_pnl": 1}}, "unknown key(s) min_pnl"),
        ({"interval_s": "soon"}, "[wallets]"),
        ({"weight_per_min": 0}, "must be positive"),
    ],
)
def test_config_errors_are_one_line(section: dict[str, object], message: str) -> None:
    with pytest.raises(WalletError) as info:
        wallets_config(section, "config file x.toml")
    assert message in str(info.value) and "\n" not in str(info.value) and "x.toml" in str(info.value)
