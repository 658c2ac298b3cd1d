"""The [alerts] config: a readable example parses; every mistake is one line naming file and entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from liqwatch import config as settings_config
from liqwatch.alerts.config import TELEGRAM_API, load_alerts, parse_alerts
from liqwatch.alerts.model import OrderRule, SqueezeRule, VenueRule, WindowRule
from liqwatch.config import ConfigError

EXAMPLE = """
db = "./liqwatch.duckdb"

[alerts]
tick = "2s"

[alerts.sinks.ops]
type = "webhook"
url = "https://ops.example.com/liqwatch"
secret_env = "LIQWATCH_WEBHOOK_SECRET"

[alerts.sinks.desk]
type = "discord"
url = "https://discord.com/api/webhooks/1/abc"

[alerts.sinks.team]
type = "slack"
url_env = "SLACK_URL"

[alerts.sinks.phone]
type = "telegram"
bot_token_env = "TG_TOKEN"
chat_id = -1001234567890

[alerts.sinks.console]
type = "stdout"
attempts = 1

[[alerts.rules]]
name = "btc-shorts-1h"
kind = "window"
window = "1h"
coin = "btc"
side = "short"
above_usd = 50_000_000
cooldown = "30m"
sinks = ["ops", "desk"]

[[alerts.rules]]
kind = "order"
above_usd = 5_000_000

[[alerts.rules]]
kind = "squeeze"
min_usd = 20_000_000

[[alerts.rules]]
kind = "venue"
venue = "okx"
silent_after = "off"
min_gap = "30s"
"""

ENV = {"LIQWATCH_WEBHOOK_SECRET": "s3cret", "SLACK_URL": "https://hooks.slack.com/services/x", "TG_TOKEN": "123:abc"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_the_example_parses_into_rules_and_sinks(tmp_path: Path) -> None:
    config = load_alerts(write(tmp_path, EXAMPLE), ENV)
    assert config is not None
    assert config.tick_s == 2.0
    window, order, squeeze, venue = config.rules
    assert isinstance(window, WindowRule)
    assert (window.name, window.window_ms, window.coin, window.side) == ("btc-shorts-1h", 3_600_000, "BTC", "short")
    assert (window.above_usd, window.rearm_below_usd, window.cooldown_ms) == (50e6, 45e6, 1_800_000)
    assert config.targets(window) == ("ops", "desk")
    assert isinstance(order, OrderRule) and order.name == "all order above $5.0M" and order.max_age_ms == 300_000
    assert config.targets(order) == ("ops", "desk", "team", "phone", "console")
    assert isinstance(squeeze, SqueezeRule) and squeeze.window == "1h" and squeeze.min_usd == 20e6
    assert isinstance(venue, VenueRule) and venue.silent_after_ms is None and venue.min_gap_ms == 30_000
    assert config.sinks["ops"].secret == "s3cret"
    assert config.sinks["team"].url == "https://hooks.slack.com/services/x"
    assert config.sinks["phone"].chat_id == "-1001234567890"
    assert config.sinks["phone"].url == TELEGRAM_API
    assert config.sinks["console"].attempts == 1


def test_the_settings_loader_accepts_the_same_file(tmp_path: Path) -> None:
    assert settings_config.load(str(write(tmp_path, EXAMPLE)), env={}).db == "./liqwatch.duckdb"


def test_no_rules_means_no_alerts(tmp_path: Path) -> None:
    assert load_alerts(write(tmp_path, 'db = "x.duckdb"\n'), {}) is None
    assert parse_alerts({"sinks": {"c": {"type": "stdout"}}}) is None


SINK = '[alerts.sinks.ops]\ntype = "stdout"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            SINK
            + '[[alerts.rules]]\nkind = "order"\nabove_usd = 1\n[[alerts.rules]]\nname = "x"\nkind = "window"\nwindow = "2x"\nabove_usd = 1',
            "alerts.rules[1] (x): unknown window '2x'",
        ),
        (SINK + '[[alerts.rules]]\nkind = "windw"', "alerts.rules[0]: unknown kind 'windw'; use one of window, order"),
        (SINK + "[[alerts.rules]]\nabove_usd = 1", "alerts.rules[0]: missing kind"),
        (SINK + '[[alerts.rules]]\nkind = "order"\nabov_usd = 1', "alerts.rules[0]: unknown key 'abov_usd'"),
        (SINK + '[[alerts.rules]]\nkind = "order"', "alerts.rules[0]: needs above_usd"),
        (SINK + '[[alerts.rules]]\nkind = "order"\nabove_usd = -5', "alerts.rules[0]: above_usd must be a number >= 0"),
        (SINK + '[[alerts.rules]]\nkind = "window"\nabove_usd = 5', "alerts.rules[0]: needs window"),
        (SINK + '[[alerts.rules]]\nkind = "order"\nabove_usd = 5\nside = "buy"', 'side must be "long" or "short"'),
        (SINK + '[[alerts.rules]]\nkind = "order"\nabove_usd = 5\nvenue = "binance"', "unknown venue 'binance'"),
        (SINK + '[[alerts.rules]]\nkind = "order"\nabove_usd = 5\ncooldown = "5 minutes"', "cooldown: bad duration"),
        (
            SINK + '[[alerts.rules]]\nkind = "order"\nabove_usd = 5\nsinks = ["pager"]',
            "unknown sink 'pager' (sinks: ops)",
        ),
        (
            SINK + '[[alerts.rules]]\nkind = "window"\nwindow = "1h"\nabove_usd = 5\nrearm_below_usd = 6',
            "rearm_below_usd must not exceed above_usd",
        ),
        (
            SINK
            + '[[alerts.rules]]\nname = "a"\nkind = "order"\nabove_usd = 5\n[[alerts.rules]]\nname = "a"\nkind = "order"\nabove_usd = 5',
            "alerts.rules[1]: duplicate rule name 'a'",
        ),
        ('[[alerts.rules]]\nkind = "order"\nabove_usd = 5', "alerts: rules but no sinks"),
        ('[alerts.sinks.ops]\ntype = "pagerduty"', "alerts.sinks.ops: unknown type 'pagerduty'"),
        ('[alerts.sinks.ops]\ntype = "webhook"', "alerts.sinks.ops: webhook needs url"),
        ('[alerts.sinks.ops]\ntype = "webhook"\nurl = "ftp://x"', "alerts.sinks.ops: url must start with http://"),
        (
            '[alerts.sinks.ops]\ntype = "webhook"\nurl = "http://x"\nsecret_env = "NOPE"',
            "alerts.sinks.ops: secret_env: environment variable NOPE is not set",
        ),
        (
            '[alerts.sinks.ops]\ntype = "webhook"\nurl = "http://x"\nsecret = "a"\nsecret_env = "B"',
            "give secret or secret_env, not both",
        ),
        ('[alerts.sinks.tg]\ntype = "telegram"\nbot_token = "1:a"', "alerts.sinks.tg: telegram needs chat_id"),
        ('[alerts.sinks.ops]\ntype = "stdout"\nurl = "http://x"', "alerts.sinks.ops: unknown key 'url'"),
        ('[alerts.sinks.ops]\ntype = "stdout"\nattempts = 0', "attempts must be a whole number >= 1"),
        ("[alerts]\ntik = 1", "alerts: unknown key 'tik'"),
    ],
)
def test_each_mistake_is_one_line_naming_the_file_and_the_entry(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_alerts(path, {})
    error = str(caught.value)
    assert "\n" not in error
    assert error.startswith(f"{path}: ")
    assert message in error


def test_a_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[alerts\n")
    with pytest.raises(ConfigError, match=r"config\.toml: "):
        load_alerts(path, {})
