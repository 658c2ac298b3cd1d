"""Settings in one table: name, default, help. Built once by the CLI and passed down.

Precedence: defaults < config file (TOML, `--config`) < LIQWATCH_* environment < flags.
Only this module reads the environment.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_DB = "./liqwatch.duckdb"
DEFAULT_STATE_DIR = "./liqwatch-state"
STATE_SUFFIX = ".state"
# A side file's name beside the store before the state directory (suffix to the store's name) →
# its name inside the state directory.
EARLIER_NAMES = {
    ".journal": "journal",
    ".status.json": "status.json",
    ".instruments.json": "instruments.json",
    ".dead-letters.jsonl": "dead-letters.jsonl",
    ".gaps.jsonl": "gaps.jsonl",
    ".hyperliquid-node.json": "hyperliquid-node.json",
    ".hl-node": "hl-node",
}


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("db", DEFAULT_DB, "Store: a DuckDB file path or a postgresql:// URL (LIQWATCH_DB)."),
    Setting(
        "state_dir",
        DEFAULT_STATE_DIR,
        "With a postgresql:// store: the directory where this process keeps its journal, dead letters, "
        "instrument cache, gap log and status file (give each collector on one machine its own; "
        "LIQWATCH_STATE_DIR). A DuckDB store keeps them in NAME.state/ beside NAME.duckdb.",
    ),
    Setting("venues", "all", "Comma-separated venue ids to collect, or 'all'."),
    Setting("windows", "1h,4h,12h,24h", "Summary windows."),
    Setting("venue_urls", {}, "WebSocket URL overrides: VENUE or VENUE.CONNECTION → URL."),
    Setting("rest_urls", {}, "REST base URL overrides: VENUE → URL."),
    Setting("instrument_refresh_s", 3600.0, "How often `run` reloads the instrument catalogue."),
    Setting("status_interval_s", 10.0, "How often `run` prints a status line."),
    Setting(
        "market_coins",
        "BTC,ETH,SOL",
        "Coins whose klines and open interest `run` polls (levels model, dashboard price line).",
    ),
    Setting("market_poll_s", 300.0, "How often `run` polls klines and open interest; 0: never."),
    Setting(
        "hyperliquid_node_dir",
        "",
        "A Hyperliquid non-validator node's data directory (run with --write-fills, e.g. ~/hl/data): "
        "`run` follows its fills files for market-wide Hyperliquid liquidations; empty: not covered.",
    ),
    Setting(
        "max_event_ahead_s",
        300.0,
        "`run` and `import` refuse (dead-letter) an event stamped more than this after its receive time.",
    ),
    Setting(
        "api_token",
        "",
        "Access token the API and live stream require (Authorization: Bearer or ?token=); empty: none "
        "(LIQWATCH_API_TOKEN).",
    ),
)


@dataclass(frozen=True)
class Settings:
    db: str = DEFAULT_DB
    state_dir: str = DEFAULT_STATE_DIR
    venues: str = "all"
    windows: str = "1h,4h,12h,24h"
    venue_urls: dict[str, str] = field(default_factory=dict)
    rest_urls: dict[str, str] = field(default_factory=dict)
    instrument_refresh_s: float = 3600.0
    status_interval_s: float = 10.0
    market_coins: str = "BTC,ETH,SOL"
    market_poll_s: float = 300.0
    hyperliquid_node_dir: str = ""
    max_event_ahead_s: float = 300.0
    api_token: str = ""

    # Every side file of a store lives in ONE state directory: ./liqwatch.duckdb → ./liqwatch.state/
    # (journal/, status.json, …), which .gitignore covers. A database URL names no directory: then
    # they live in state_dir. Stores written before kept them beside the store: `earlier_layout`.
    @property
    def state(self) -> Path:
        """The directory of this store's side files."""
        if self.is_database_url:
            return Path(self.state_dir)
        stem = _stem(Path(self.db))
        return stem.with_name(stem.name + STATE_SUFFIX)

    @property
    def is_database_url(self) -> bool:
        return self.db.strip().lower().startswith(("postgresql://", "postgres://"))

    @property
    def journal_dir(self) -> Path:
        return self.state / "journal"

    @property
    def dead_letters(self) -> Path:
        return self.state / "dead-letters.jsonl"

    @property
    def instruments_cache(self) -> Path:
        return self.state / "instruments.json"

    @property
    def gaps_file(self) -> Path:
        return self.state / "gaps.jsonl"

    @property
    def status_file(self) -> Path:
        return self.state / "status.json"

    @property
    def node_position_file(self) -> Path:
        """Which Hyperliquid node file `run` has read up to, and where in it (resumes there)."""
        return self.state / "hyperliquid-node.json"

    @property
    def demo_node_dir(self) -> Path:
        """The Hyperliquid node directory the demo's simulator writes (fresh each demo)."""
        return self.state / "hl-node"

    def earlier_layout(self) -> dict[Path, Path]:
        """Where each side file lived before the state directory → where it lives now.

        Beside a DuckDB file they were named after it (./x.duckdb → ./x.journal/, ./x.status.json …);
        in state_dir after "liqwatch" (./liqwatch-state/liqwatch.journal/ …)."""
        base = Path(self.state_dir) / "liqwatch" if self.is_database_url else _stem(Path(self.db))
        return {base.with_name(base.name + suffix): self.state / name for suffix, name in EARLIER_NAMES.items()}

    def node_dirs(self) -> dict[str, tuple[Path, Path]]:
        """venue id → (node data directory, position file) for the venues read from a node's files."""
        if not self.hyperliquid_node_dir:
            return {}
        return {"hyperliquid": (Path(self.hyperliquid_node_dir).expanduser(), self.node_position_file)}


def _stem(path: Path) -> Path:
    """./x.duckdb → ./x; a name without a suffix stays as it is."""
    return path.with_suffix("") if path.suffix else path


class ConfigError(ValueError):
    pass


def load(config_file: str | None = None, env: dict[str, str] | None = None, **flags: Any) -> Settings:
    """Settings from defaults < file < environment < flags (flags that are None are not given)."""
    settings = Settings()
    if config_file:
        settings = replace(settings, **_from_file(Path(config_file)))
    environ = os.environ if env is None else env
    from_env: dict[str, Any] = {
        f.name: environ[f"LIQWATCH_{f.name.upper()}"]
        for f in fields(Settings)
        if isinstance(f.default, str) and f"LIQWATCH_{f.name.upper()}" in environ
    }
    settings = replace(settings, **from_env)
    given = {k: v for k, v in flags.items() if v is not None}
    settings = replace(settings, **given)
    if not settings.max_event_ahead_s > 0:
        raise ConfigError(f"max_event_ahead_s must be a positive number of seconds, not {settings.max_event_ahead_s}")
    return settings


def _secrets_in(data: dict[str, Any]) -> list[str]:
    """Which secrets the config file's text holds: the API token, alert sinks' webhook secrets, bot
    tokens and URLs (a Discord or Slack webhook URL is a credential). `*_env` keys name variables."""
    found = []
    section = data.get("liqwatch", data)
    if section.get("api_token"):
        found.append("api_token")
    alerts = section.get("alerts", data.get("alerts"))
    sinks = alerts.get("sinks", {}) if isinstance(alerts, dict) else {}
    for name, sink in sinks.items() if isinstance(sinks, dict) else ():
        if isinstance(sink, dict):
            found += [f"alerts.sinks.{name}.{key}" for key in ("secret", "bot_token", "url") if sink.get(key)]
    return found


def secrets_exposed(path: str | os.PathLike[str]) -> str | None:
    """Why the config file's secrets are readable by others on this machine, or None."""
    try:
        mode = Path(path).stat().st_mode
        data = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return None  # read_toml reports those
    secrets = _secrets_in(data)
    if mode & 0o077 == 0 or not secrets:
        return None
    who = "everyone on this machine" if mode & 0o007 else "its group"
    return (
        f"config file {path} holds secrets ({', '.join(secrets[:3])}) and is readable by {who} "
        f"(mode {mode & 0o777:o}): chmod 600 {path}"
    )


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The config file's tables; ConfigError (one line) for a missing file or bad TOML.

    Settings sit at the top level or under `[liqwatch]`; `[alerts]` and `[wallets]` likewise."""
    try:
        return tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: {exc}") from None


def section_of(data: dict[str, Any], name: str) -> Any:
    """A part of the config file (`alerts`, `wallets`), at the top level or under `[liqwatch]`."""
    return data.get("liqwatch", {}).get(name, data.get(name))


def _from_file(path: Path) -> dict[str, Any]:
    data = read_toml(path)
    known = {f.name for f in fields(Settings)}
    section = data.get("liqwatch", data)
    unknown = sorted(set(section) - known - {"alerts", "wallets"})
    if unknown:
        raise ConfigError(f"config file {path}: unknown setting(s) {', '.join(unknown)}")
    return {k: v for k, v in section.items() if k in known}


def parse_overrides(pairs: list[str], what: str) -> dict[str, str]:
    """["binance_usdm=ws://127.0.0.1:9001/x"] → {"binance_usdm": "ws://…"}; one-line error on a bad pair."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, url = pair.partition("=")
        if not sep or not key or not url:
            raise ConfigError(f"{what} {pair!r}: expected VENUE=URL")
        out[key.strip()] = url.strip()
    return out
