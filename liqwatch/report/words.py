"""Numbers into newsroom words: names, times and periods here; money, counts, shares, prices and
headline rounding from liqwatch.money (the one house style, exact decimals). Pure."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from liqwatch import money as _money
from liqwatch.analytics import covers

# One table of venue names (analytics.covers); prose tells Binance's two hosts apart.
VENUE_NAMES = {**covers.VENUE_NAMES, "binance_usdm": "Binance USD-M"}

COIN_NAMES = {"BTC": "Bitcoin", "ETH": "Ether", "SOL": "Solana", "XRP": "XRP", "DOGE": "Dogecoin", "BNB": "BNB"}


def venue_name(venue: str) -> str:
    return VENUE_NAMES.get(venue, venue)


def coin_name(coin: str) -> str:
    return COIN_NAMES.get(coin, coin)


_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def number_word(n: int) -> str:
    """AP style: one to nine spelled out, 10 and above as figures."""
    return _NUMBER_WORDS[n] if 0 <= n < 10 else count(n)


_DATED = re.compile(r"\d{6}|\d{1,2}[A-Z]{3}\d{2}")


def instrument(symbol: str, coin: str) -> str:
    """A venue symbol as a reader says it: BTCUSDT → "BTC-USDT perpetual", PEPE_USDT →
    "PEPE-USDT perpetual", BTC-PERPETUAL → "BTC perpetual", BTC-27DEC25 → "BTC futures contract"."""
    upper = symbol.upper()
    if _DATED.search(upper):
        return f"{coin} futures contract"
    rest = upper.replace(coin.upper(), " ", 1) if coin.upper() in upper else upper
    for quote in ("USDT", "USDC", "USD"):
        if quote in rest:
            return f"{coin}-{quote} perpetual"
    return f"{coin} perpetual"


def join(items: list[str]) -> str:
    """["a"] → "a"; ["a", "b"] → "a and b"; ["a", "b", "c"] → "a, b and c"."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


# --- money and numbers: liqwatch.money is the one house style -----------------------------------

money = _money.prose  # observed sums in text: "$748.3 million"


def article(figure: str) -> str:
    """ "a" or "an" before a figure as it is read aloud: "an $8 million", "an $11.2 million", "an
    $18,000", "an 8-hour"; "a $1.2 billion", "a $180,000", "a 24-hour"."""
    digits = figure.lstrip("$").split(",")[0].split(".")[0].split(" ")[0].split("-")[0]
    return "an" if digits.startswith("8") or digits in ("11", "18") else "a"


money_short = _money.table  # tables: "$748.3M"
estimate = _money.estimate  # modelled amounts: "about $960,000"
count = _money.count
plural = _money.plural
share = _money.ratio  # 0.8312 → "83%"
change = _money.change
price = _money.price
level = _money.level


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


# --- headline amounts: see liqwatch.money (verbs "near" within 2%, "top", "hit") -----------------

headline_amount = _money.headline_amount
headline_money = _money.headline_money
headline_phrase = _money.headline_phrase
