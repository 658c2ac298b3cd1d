"""Numbers into newsroom words: money, counts, percentages, prices, times, and headline rounding.

Pure. Every rounding here is stated, and a headline amount is never more than the data says:
"Top $1 Billion" means at least $1 billion; "Near $400 Million" means within 5% of it;
"Exceed $1.2 Billion" means more than it; "Hit $1.3 Billion" means it rounds to exactly that.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Literal

VENUE_NAMES = {
    "binance_usdm": "Binance USD-M",
    "binance_coinm": "Binance COIN-M",
    "bybit": "Bybit",
    "okx": "OKX",
    "bitmex": "BitMEX",
    "deribit": "Deribit",
    "bitget": "Bitget",
    "gate": "Gate",
    "hyperliquid": "Hyperliquid",
}

COIN_NAMES = {"BTC": "Bitcoin", "ETH": "Ether", "SOL": "Solana", "XRP": "XRP", "DOGE": "Dogecoin", "BNB": "BNB"}


def venue_name(venue: str) -> str:
    return VENUE_NAMES.get(venue, venue)


def coin_name(coin: str) -> str:
    return COIN_NAMES.get(coin, coin)


def join(items: list[str]) -> str:
    """["a"] → "a"; ["a", "b"] → "a and b"; ["a", "b", "c"] → "a, b and c"."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


# --- money ----------------------------------------------------------------------------------------


def money(usd: float) -> str:
    """Body text: $1.23 billion, $748.3 million, $4.01 million (under $10M), $850,412, $512.34."""
    v = abs(usd)
    sign = "-" if usd < 0 else ""
    if round(v / 1e9, 2) >= 1:
        return f"{sign}${v / 1e9:,.2f} billion"
    if round(v / 1e6, 2) >= 10 and round(v / 1e6, 1) < 1000:
        return f"{sign}${v / 1e6:,.1f} million"
    if round(v / 1e6, 2) >= 1:
        return f"{sign}${v / 1e6:,.2f} million"
    if round(v) >= 1000:
        return f"{sign}${v:,.0f}"
    if v == 0:
        return "$0"
    return f"{sign}${v:,.2f}"


def money_short(usd: float) -> str:
    """Tables: $1.23B, $748.3M, $4.01M, $850.4K, $512."""
    v = abs(usd)
    sign = "-" if usd < 0 else ""
    if round(v / 1e9, 2) >= 1:
        return f"{sign}${v / 1e9:,.2f}B"
    if round(v / 1e6, 2) >= 10 and round(v / 1e6, 1) < 1000:
        return f"{sign}${v / 1e6:,.1f}M"
    if round(v / 1e6, 2) >= 1:
        return f"{sign}${v / 1e6:,.2f}M"
    if round(v / 1e3, 1) >= 1:
        return f"{sign}${v / 1e3:,.1f}K"
    return f"{sign}${v:,.0f}"


def count(n: int) -> str:
    return f"{n:,}"


def share(x: float) -> str:
    """0.8312 → "83%"; never rounds a partial share up to 100% or down to 0%."""
    pct = round(x * 100)
    if pct == 100 and x < 1:
        return "more than 99%"
    if pct == 0 and x > 0:
        return "less than 1%"
    return f"{pct}%"


def change(x: float) -> str:
    """0.0521 → "5.2%" (the sign is said with a verb: rose / fell)."""
    return f"{abs(x) * 100:.1f}%"


def price(p: float) -> str:
    """$121,438; $3,050.12 under $10,000; $0.5512 under $1."""
    if p >= 10_000:
        return f"${p:,.0f}"
    if p >= 1:
        return f"${p:,.2f}"
    return f"${p:.4g}"


def level(p: float) -> str:
    """A round price level: $120,000; $3,000; $2.4; $0.25."""
    if p >= 1 and float(p).is_integer():
        return f"${p:,.0f}"
    return f"${p:,.10g}"


# --- times ----------------------------------------------------------------------------------------


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def date(ms: int) -> str:
    """21 November 2025."""
    d = _dt(ms)
    return f"{d.day} {d.strftime('%B %Y')}"


def clock(ms: int) -> str:
    """14:32 UTC."""
    return _dt(ms).strftime("%H:%M UTC")


def moment(ms: int) -> str:
    """14:32 UTC on 21 November 2025."""
    return f"{clock(ms)} on {date(ms)}"


def day_of(end_ms: int) -> str:
    """The calendar day a period ending at end_ms (exclusive of the next midnight) covers."""
    return date(end_ms - 1)


def duration(ms: int) -> str:
    """90 s → "2 minutes"; 3 h 10 m → "3 hours 10 minutes"; rounded to whole minutes (at least 1)."""
    minutes = max(1, round(ms / 60_000))
    if minutes < 60:
        return f"{minutes} minute{'s' * (minutes != 1)}"
    hours, rest = divmod(minutes, 60)
    text = f"{hours} hour{'s' * (hours != 1)}"
    if rest:
        text += f" {rest} minute{'s' * (rest != 1)}"
    return text


_SPELLED = {1: "one", 2: "two", 3: "three", 4: "four", 6: "six", 7: "seven", 8: "eight", 12: "12"}


def period(length_ms: int) -> str:
    """The length of a window in words: 24 hours, 4 hours, one hour, 7 days, 90 minutes."""
    if length_ms % 86_400_000 == 0 and length_ms > 86_400_000:
        return f"{length_ms // 86_400_000} days"
    if length_ms % 3_600_000 == 0:
        hours = length_ms // 3_600_000
        return "hour" if hours == 1 else f"{hours} hours"
    minutes = length_ms // 60_000
    return f"{minutes} minutes"


def period_adjective(length_ms: int) -> str:
    """24 h → "24-hour"; 1 h → "one-hour"; 7 d → "7-day"; 90 min → "90-minute"."""
    if length_ms % 86_400_000 == 0 and length_ms > 86_400_000:
        return f"{length_ms // 86_400_000}-day"
    if length_ms % 3_600_000 == 0:
        hours = length_ms // 3_600_000
        return "one-hour" if hours == 1 else f"{hours}-hour"
    return f"{length_ms // 60_000}-minute"


def sentence_case(text: str) -> str:
    """Capitalize the first letter only ("bTC" stays, "short liquidations" → "Short liquidations")."""
    return text[:1].upper() + text[1:]


# --- headline amounts ------------------------------------------------------------------------------

Verb = Literal["top", "near", "exceed", "hit"]

_UNITS = ((1e9, "Billion"), (1e6, "Million"))


def headline_money(amount: float) -> str:
    """A round amount for a headline: 1e9 → "$1 Billion", 7.5e8 → "$750 Million", 850000 → "$850,000"."""
    for size, word in _UNITS:
        if amount >= size:
            value = amount / size
            text = f"{value:,.2f}".rstrip("0").rstrip(".")
            return f"${text} {word}"
    if amount >= 1000:
        return f"${amount:,.0f}"
    return f"${amount:,.10g}"


def _clean(x: float) -> float:
    """Remove float noise from k × 10^e."""
    return float(f"{x:.12g}")


def headline_amount(usd: float) -> tuple[Verb, float]:
    """The roundest true statement about a total, as (verb, amount).

    In order, the first that holds:
    1. a milestone m ∈ {1, 2, 5} × 10^k with m ≤ v < 1.1·m → ("top", m); 0.95·m ≤ v < m → ("near", m);
    2. a one-significant-digit amount n with n ≤ v < 1.05·n → ("top", n); 0.95·n ≤ v < n → ("near", n);
    3. the same for a half step (750 million, 1.5 billion);
    4. v rounded to two significant digits n: v > n → ("exceed", n); v == n → ("hit", n);
       v < n → ("near", n) (within 5%: two significant digits are within 5% of any v).
    """
    if not math.isfinite(usd) or usd <= 0:
        raise ValueError(f"a headline amount must be positive, not {usd!r}")
    e = math.floor(math.log10(usd))
    for k in (e, e + 1):
        for mult in (1, 2, 5):
            m = _clean(mult * 10.0**k)
            if m <= usd and usd - m < 0.1 * m:
                return "top", m
            if usd < m and m - usd <= 0.05 * m:
                return "near", m
    for step in (10.0**e, 10.0**e / 2):
        for n in (_clean(math.floor(usd / step) * step), _clean(math.ceil(usd / step) * step)):
            if n <= 0:
                continue
            if n <= usd and usd - n < 0.05 * n:
                return "top", n
            if usd < n and n - usd <= 0.05 * n:
                return "near", n
    n = _clean(round(usd, -e + 1))
    if usd > n:
        return "exceed", n
    if usd == n:
        return "hit", n
    return "near", n


def headline_phrase(usd: float) -> str:
    """ "Top $1 Billion", "Near $400 Million", "Exceed $1.2 Billion", "Hit $1.3 Billion"."""
    verb, amount = headline_amount(usd)
    return f"{verb.capitalize()} {headline_money(amount)}"
