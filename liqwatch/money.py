"""Money and numbers in the house style: the one module the article, CLI, alerts and dashboard use.

Pure and exact. A float is read by its shortest decimal text (`repr`), so 226950000.0 is the
decimal 226950000 and its half rounds as a person would round it; all rounding is done on
Decimal with ROUND_HALF_UP (halves away from zero): $12,250,000 → "$12.3 million".

Three kinds of amounts, three precisions (liqwatch/report/STYLE.md says why):
- observed sums (`prose`, `table`): what the feeds recorded; "$748.3 million" / "$748.3M";
- modelled estimates (`estimate`, `estimate_table`): two significant figures and "about":
  "about $960,000" / "~$960K", never "$960,467";
- prices (`price`) and round price levels (`level`): "$3,540", not "$3,540.00".

TABLE_RULES is also written out in liqwatch/web/static/money.js (the dashboard); a test checks
that both tables are the same and that both sides print the same figure.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

ROUNDING = ROUND_HALF_UP

# Compact table style, the first rule whose floor the rounded amount reaches: (floor, unit, suffix, places).
TABLE_RULES: tuple[tuple[int, int, str, int], ...] = (
    (1_000_000_000, 1_000_000_000, "B", 2),
    (1_000_000, 1_000_000, "M", 1),
    (1_000, 1_000, "K", 1),
    (1, 1, "", 0),
    (0, 1, "", 2),
)
# Prose: the same floors, with AP words; below $1 million the amount is written out in dollars.
PROSE_RULES: tuple[tuple[int, int, str, int], ...] = (
    (1_000_000_000, 1_000_000_000, " billion", 2),
    (1_000_000, 1_000_000, " million", 1),
    (1, 1, "", 0),
    (0, 1, "", 2),
)
ESTIMATE_DIGITS = 2  # modelled amounts: significant figures
NOTHING = "—"  # an amount that does not exist (unpriced, no data) in tables: never "$0"

Rules = tuple[tuple[int, int, str, int], ...]


def exact(value: float | int | Decimal) -> Decimal:
    """The decimal a number was written as: floats by their shortest repr (0.1 → Decimal("0.1"))."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite amount: {value!r}")
        return Decimal(repr(value))
    return Decimal(value)


def round_to(value: Decimal, places: int) -> Decimal:
    """Half up to `places` decimal places (negative: tens, hundreds…)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUNDING) if places >= 0 else _round_left(value, places)


def _round_left(value: Decimal, places: int) -> Decimal:
    step = Decimal(1).scaleb(-places)
    return (value / step).quantize(Decimal(1), rounding=ROUNDING) * step


def significant(value: Decimal, digits: int) -> Decimal:
    """Half up to `digits` significant figures: 960467 → 960000 (2)."""
    if value == 0:
        return value
    exponent = value.copy_abs().adjusted()
    return round_to(value, digits - 1 - exponent)


def _grouped(value: Decimal, places: int, strip: bool) -> str:
    text = f"{value:,.{places}f}"
    if strip and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _scaled(amount: Decimal, rules: Rules, strip: bool) -> str:
    """The amount by the first rule whose floor it reaches once rounded by that rule."""
    magnitude = amount.copy_abs()
    sign = "-" if amount < 0 else ""
    chosen = len(rules) - 1
    for i, (floor, _, _, _) in enumerate(rules):
        if magnitude >= floor:
            chosen = i
            break
    # rounding may carry into the rule above: $999,960,000 is "$1.00B", not "$1000.0M"
    while chosen > 0:
        _, unit, _, places = rules[chosen]
        if round_to(magnitude / unit, places) * unit >= rules[chosen - 1][0]:
            chosen -= 1
        else:
            break
    _, unit, suffix, places = rules[chosen]
    rounded = round_to(magnitude / unit, places)
    if rounded == 0:
        return "$0"
    # trailing zeros go only from scaled amounts ("$12 million"); cents stay cents ("$5.50")
    return f"{sign}${_grouped(rounded, places, strip and bool(suffix))}{suffix}"


def prose(usd: float | int | Decimal) -> str:
    """An observed amount in running text: "$1.23 billion", "$748.3 million", "$12 million", "$850,412"."""
    return _scaled(exact(usd), PROSE_RULES, strip=True)


def table(usd: float | int | Decimal | None) -> str:
    """An observed amount in a table cell: "$1.23B", "$748.3M", "$4.01M", "$850.4K", "$512"; None → "—"."""
    if usd is None:
        return NOTHING
    return _scaled(exact(usd), TABLE_RULES, strip=False)


def estimate(usd: float | int | Decimal) -> str:
    """A modelled amount in text: "about $960,000", "about $1.2 million"."""
    return "about " + prose(significant(exact(usd), ESTIMATE_DIGITS))


def estimate_table(usd: float | int | Decimal | None) -> str:
    """A modelled amount in a table: "~$960K", "~$1.2M"."""
    if usd is None:
        return NOTHING
    return "~" + _scaled(significant(exact(usd), ESTIMATE_DIGITS), TABLE_RULES, strip=True)


def price(p: float | int | Decimal) -> str:
    """A price: "$121,438" and "$3,540" (to the dollar from $1,000), "$150.25", "$0.5512" (4 figures)."""
    value = exact(p)
    if value >= 1000:
        return f"${_grouped(round_to(value, 0), 0, strip=False)}"
    if value >= 1:
        text = _grouped(round_to(value, 2), 2, strip=False)
        return f"${text[:-3] if text.endswith('.00') else text}"
    text = f"{significant(value, 4).normalize():f}"
    places = len(text.partition(".")[2])
    return f"${text}{'0' * (2 - places) if places < 2 else ''}"  # cents at least: "$0.20"


def level(p: float | int | Decimal) -> str:
    """A round price level, as few digits as it has: "$120,000", "$3,540", "$2.4", "$0.25"."""
    value = exact(p)
    if value >= 1000:
        return f"${_grouped(round_to(value, 0), 0, strip=False)}"
    return f"${_grouped(significant(value, 6), 8, strip=True)}"


# --- counts and shares --------------------------------------------------------------------------


def count(n: int) -> str:
    return f"{n:,}"


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """ "1 order", "2 orders", "1,204 wallets"; irregular plurals given: plural(2, "was", "were")."""
    word = singular if n == 1 else (plural_form or singular + "s")
    return f"{count(n)} {word}"


def share(part: float, whole: float) -> str:
    """part of whole as a whole percent, half up: never "100%" for a partial share nor "0%" for some.

    A part larger than its whole is a bug upstream (figures from different moments): refused.
    """
    if whole <= 0:
        raise ValueError("a share of nothing")
    if part < 0 or part > whole * (1 + 1e-12):
        raise ValueError(f"a part ({part!r}) larger than its whole ({whole!r})")
    return ratio(min(part / whole, 1.0))


def ratio(x: float) -> str:
    """0.8312 → "83%"; 0.9996 → "more than 99%"; 0.0004 → "less than 1%"."""
    if not 0 <= x <= 1 + 1e-6:  # USD sums rounded to 1e-8 may overshoot 1 a hair; more is a bug
        raise ValueError(f"a share must be between 0 and 1, not {x!r}")
    x = min(x, 1.0)
    pct = round_to(exact(x) * 100, 0)
    if pct == 100 and x < 1:
        return "more than 99%"
    if pct == 0 and x > 0:
        return "less than 1%"
    return f"{pct}%"


def change(x: float) -> str:
    """A relative change, unsigned (the verb says the direction): 0.0521 → "5.2%"."""
    return f"{round_to(exact(abs(x)) * 100, 1)}%"


# --- headline amounts -----------------------------------------------------------------------------

Verb = Literal["top", "near", "hit"]
NEAR = Decimal("0.02")  # "near" = at most 2% under the round amount (newsroom usage: within 1–2%)
_WORDS = ((Decimal(1_000_000_000), "Billion"), (Decimal(1_000_000), "Million"))


def headline_amount(usd: float | int | Decimal) -> tuple[Verb, Decimal]:
    """The roundest true statement about a total, as (verb, amount).

    down = the total rounded DOWN to two significant figures ("top" it, or "hit" it when equal);
    1. "near" a one-figure amount at most 2% above the total ($985 million: near $1 billion);
    2. "near" the two-figure amount above, when at most 2% above and closer than `down`
       ($3.43 billion: near $3.5 billion; $720.03 million tops $720 million, not near $730 million);
    3. else "top" (or "hit") `down`: $3.33 billion tops $3.3 billion, it is not near $3.5 billion.
    """
    value = exact(usd)
    if value <= 0:
        raise ValueError(f"a headline amount must be positive, not {usd!r}")
    exponent = value.adjusted()
    two = Decimal(1).scaleb(exponent - 1)
    down = (value / two).to_integral_value(rounding="ROUND_FLOOR") * two
    for digits in (1, 2):
        step = Decimal(1).scaleb(exponent - digits + 1)
        up = (value / step).to_integral_value(rounding="ROUND_CEILING") * step
        if up > value and up - value <= NEAR * up and (digits == 1 or up - value < value - down):
            return "near", up
    return ("hit" if down == value else "top"), down


def headline_money(amount: float | int | Decimal) -> str:
    """A round amount for a headline: "$1 Billion", "$750 Million", "$850,000", "$170"."""
    value = exact(amount)
    for size, word in _WORDS:
        if value >= size:
            return f"${_grouped(value / size, 2, strip=True)} {word}"
    return f"${_grouped(value, 2, strip=True)}"


def headline_phrase(usd: float | int | Decimal) -> str:
    """ "Top $3.3 Billion", "Near $3.5 Billion", "Hit $1.3 Billion"."""
    verb, amount = headline_amount(usd)
    return f"{verb.capitalize()} {headline_money(amount)}"
