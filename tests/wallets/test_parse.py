"""Parsers on frames written from the documented shapes, on the research captures, and on drift."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liqwatch.wallets.model import WalletError, WalletSpec
from liqwatch.wallets.parse import parse_clearinghouse, parse_leaderboard, parse_meta_and_ctxs, parse_user_fills

HERE = Path(__file__).parent / "fixtures"
RESEARCH = Path("/work/shared/research/fixtures")
WALLET = WalletSpec("0x20c2d95a3dfdca9e9ad12794d5fa6fad99da44f5", "whale", "fund")


def research(name: str) -> bytes:
    path = RESEARCH / name
    if not path.is_file():
        pytest.skip(f"research fixture {name} absent")
    return path.read_bytes()


def test_clearinghouse_doc_sample() -> None:
    poll = parse_clearinghouse((HERE / "clearinghouse_state_doc.json").read_bytes(), WALLET, 1000, set_hash="h")
    assert poll.account_value == pytest.approx(13109.482328)
    (p,) = poll.positions
    assert (p.coin, p.szi, p.entry_px, p.leverage_type, p.leverage) == ("ETH", 0.0335, 2986.3, "isolated", 20)
    assert p.mark_px == pytest.approx(100.02765 / 0.0335)  # no marks given: implied by positionValue
    assert p.unrealized_pnl == pytest.approx(-0.0134, abs=1e-6)  # szi × (mark − entry) = the venue's figure
    assert p.venue_pnl == -0.0134
    assert p.liquidation_px == pytest.approx(2866.26936529)
    assert (p.margin_used, p.funding_since_open, p.cohort, p.label, p.set_hash) == (4.967826, 0.0, "fund", "whale", "h")
    assert p.direction == "long"


def test_clearinghouse_uses_the_polls_mark() -> None:
    body = (HERE / "clearinghouse_state_doc.json").read_bytes()
    (p,) = parse_clearinghouse(body, WALLET, 1000, {"ETH": 3000.0}).positions
    assert p.mark_px == 3000.0
    assert p.unrealized_pnl == pytest.approx(0.0335 * (3000.0 - 2986.3))
    assert p.position_value == pytest.approx(0.0335 * 3000.0)


def test_clearinghouse_2023_capture_has_other_fields() -> None:
    poll = parse_clearinghouse(research("hyperliquid_clearinghousestate_recorded_2023.json"), WALLET, 1)
    coins = [p.coin for p in poll.positions]
    assert coins[:3] == ["BTC", "ETH", "ATOM"]
    btc = poll.positions[0]
    assert btc.szi == -0.00785 and btc.direction == "short" and btc.funding_since_open is None
    assert btc.unrealized_pnl == pytest.approx(-0.08007, abs=1e-4)
    assert poll.positions[1].liquidation_px is None  # null on the wire
    for p in poll.positions:  # the implied mark reproduces every venue figure
        assert p.unrealized_pnl == pytest.approx(p.venue_pnl, abs=1e-3)


def test_clearinghouse_tolerates_missing_and_extra_fields() -> None:
    doc = json.loads((HERE / "clearinghouse_state_doc.json").read_text())
    position = doc["assetPositions"][0]["position"]
    for gone in ("cumFunding", "leverage", "liquidationPx", "marginUsed", "returnOnEquity", "maxLeverage"):
        del position[gone]
    position["brandNewField"] = {"x": [1, 2]}
    doc["newTopLevel"] = 1
    del doc["marginSummary"]
    poll = parse_clearinghouse(json.dumps(doc).encode(), WALLET, 1)
    (p,) = poll.positions
    assert poll.account_value is None
    assert (p.leverage_type, p.leverage, p.liquidation_px, p.margin_used) == (None, None, None, None)
    empty = parse_clearinghouse(b'{"assetPositions": [], "time": 5}', WALLET, 1)
    assert empty.positions == () and empty.account_value is None
    position["liquidationPx"] = ""
    position["szi"] = "0.0"  # a zero-size row is not a position
    assert parse_clearinghouse(json.dumps(doc).encode(), WALLET, 1).positions == ()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"assetPositions": [{"position": {"coin": "ETH"}}]}',
        b'{"assetPositions": [{"position": {"coin": "ETH", "szi": "x", "entryPx": "1"}}]}',
    ],
)
def test_clearinghouse_malformed_is_one_line_naming_wallet(body: bytes) -> None:
    with pytest.raises(WalletError) as info:
        parse_clearinghouse(body, WALLET, 1)
    text = str(info.value)
    assert "\n" not in text and "clearinghouseState" in text and WALLET.address in text


def test_meta_and_asset_ctxs_doc_sample() -> None:
    ctxs = parse_meta_and_ctxs((HERE / "meta_and_asset_ctxs_doc.json").read_bytes())
    assert set(ctxs) == {"BTC", "ETH", "HPOS"}
    assert ctxs["BTC"].mark_px == 14.3161 and ctxs["BTC"].funding == 0.0000125 and ctxs["BTC"].max_leverage == 50
    assert ctxs["BTC"].open_interest == 688.11 and ctxs["HPOS"].max_leverage == 3


def test_meta_and_asset_ctxs_research_sample() -> None:
    ctxs = parse_meta_and_ctxs(research("hyperliquid_metaandassetctxs_doc_example.json"))
    assert ctxs["BTC"].mark_px == 28429.3 and ctxs["BTC"].max_leverage is None  # older meta: no maxLeverage


def test_meta_and_asset_ctxs_misaligned() -> None:
    with pytest.raises(WalletError, match="metaAndAssetCtxs: 1 markets but 0 contexts"):
        parse_meta_and_ctxs(b'[{"universe": [{"name": "BTC"}]}, []]')


def test_user_fills_liquidation_marker() -> None:
    fills = parse_user_fills((HERE / "user_fills_liquidation.json").read_bytes(), WALLET.address)
    liq, plain, counterparty = fills
    assert liq.liquidation and liq.liquidation_method == "market" and liq.liquidation_mark_px == 150.1
    assert liq.position_side == "long" and liq.usd == pytest.approx(200 * 150.12)
    assert not plain.liquidation and plain.tid == 118906512037720
    assert not counterparty.liquidation  # the block is on both sides: someone else was liquidated


def test_user_fills_research_capture() -> None:
    fills = parse_user_fills(research("hyperliquid_userfills_recorded_2023_first3.json"), WALLET.address)
    assert len(fills) == 3 and not any(f.liquidation for f in fills)
    assert fills[0].coin == "SUI" and fills[0].direction == "Close Long" and fills[0].closed_pnl == -0.25686


def test_leaderboard_rows() -> None:
    rows = parse_leaderboard((HERE / "leaderboard_doc.json").read_bytes())
    assert len(rows) == 6  # the row with an unreadable account value is skipped
    first = rows[0]
    assert first.address == "0x" + "a" * 40  # lower-cased
    assert first.pnl("allTime") == 4234567.89 and first.volume("month") == 9000000.0 and first.pnl("nope") is None
    with pytest.raises(WalletError, match="leaderboard"):
        parse_leaderboard(b'{"rows": []}')
